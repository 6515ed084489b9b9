"""Tables for scoring.phones.normalize_phone."""

import dataclasses

import pytest

from scoring.phones import OLD_MOBILE_PREFIXES, PhoneCheck, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0901234567", "+84901234567"),
        ("+84901234567", "+84901234567"),
        ("+84 901 234 567", "+84901234567"),
        ("84901234567", "+84901234567"),
        ("0084901234567", "+84901234567"),
        ("00 84 901 234 567", "+84901234567"),
        ("0901 234 567", "+84901234567"),
        ("0901.234.567", "+84901234567"),
        ("0901-234-567", "+84901234567"),
        ("(090) 123-4567", "+84901234567"),
        ("(+84) 901 234 567", "+84901234567"),
        ("+84 (0) 90 123 4567", "+84901234567"),
        ("+84 0901234567", "+84901234567"),
        ("SĐT: 0901 234 567", "+84901234567"),
        ("Tel: 0901234567 (anh Nam)", "+84901234567"),
        ("0901234567 (Zalo/Viber)", "+84901234567"),
        ("  0901234567\t", "+84901234567"),
        ("0901 - 234 - 567", "+84901234567"),
        # Excel drops the leading zero, and pandas adds ".0".
        ("901234567", "+84901234567"),
        ("389123456", "+84389123456"),
        ("512345678", "+84512345678"),
        ("703123456", "+84703123456"),
        ("812345678", "+84812345678"),
        ("901234567.0", "+84901234567"),
        ("84901234567.0", "+84901234567"),
        ("84912345678.0", "+84912345678"),
        ("+84912345678.00", "+84912345678"),
        # Text around the number.
        ("ĐT 0912345678", "+84912345678"),
        ("SĐT:0912.345.678", "+84912345678"),
        ("đt: +84 912 345 678", "+84912345678"),
        ("Số máy: 0912 345 678 (chị Lan)", "+84912345678"),
        ("0912345678 - Zalo", "+84912345678"),
        # Every carrier's block, written plainly.
        ("0321234567", "+84321234567"),
        ("0528123456", "+84528123456"),
        ("0561234567", "+84561234567"),
        ("0591234567", "+84591234567"),
        ("0701234567", "+84701234567"),
        ("0761234567", "+84761234567"),
        ("0861234567", "+84861234567"),
        ("0881234567", "+84881234567"),
        ("0991234567", "+84991234567"),
    ],
)
def test_vietnamese_mobile_forms(raw, e164):
    check = normalize_phone(raw)
    assert check == PhoneCheck(e164=e164, region="VN", kind="mobile", reason=None, notes=())
    assert check.usable


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("01689123456", "+84389123456"),
        ("01621234567", "+84321234567"),
        ("0169 123 4567", "+84391234567"),
        ("+84 1689123456", "+84389123456"),
        ("841689123456", "+84389123456"),
        ("1689123456", "+84389123456"),  # old number with its zero dropped by Excel
        ("01201234567", "+84701234567"),
        ("01211234567", "+84791234567"),
        ("01221234567", "+84771234567"),
        ("01261234567", "+84761234567"),
        ("01281234567", "+84781234567"),
        ("01231234567", "+84831234567"),
        ("01241234567", "+84841234567"),
        ("01251234567", "+84851234567"),
        ("01271234567", "+84811234567"),
        ("01291234567", "+84821234567"),
        ("01861234567", "+84561234567"),
        ("01881234567", "+84581234567"),
        ("01991234567", "+84591234567"),
    ],
)
def test_old_eleven_digit_mobiles_are_converted(raw, e164):
    check = normalize_phone(raw)
    assert (check.e164, check.kind, check.reason) == (e164, "mobile", None)
    assert check.notes == ("phone_converted_2018",)


@pytest.mark.parametrize(
    ("raw", "e164", "notes"),
    [
        # A General cell in Excel shows a long number as x.xxE+yy; saved to CSV, that text is all that is left.
        ("8.4912345678E+10", "+84912345678", ("phone_sci_notation",)),
        ("8,4912345678E+10", "+84912345678", ("phone_sci_notation",)),  # Vietnamese decimal comma
        ("8.4912345678e+10", "+84912345678", ("phone_sci_notation",)),
        (" 8.4912345678E10 ", "+84912345678", ("phone_sci_notation",)),
        ("9.12345678E+08", "+84912345678", ("phone_sci_notation",)),  # the zero was dropped first
        ("8.4912345678000E+10", "+84912345678", ("phone_sci_notation",)),
        ("8.41689123456E+11", "+84389123456", ("phone_sci_notation", "phone_converted_2018")),
        ("2.438251234E+09", "+842438251234", ("phone_sci_notation", "phone_landline")),
    ],
)
def test_scientific_notation_is_recovered_when_every_digit_is_there(raw, e164, notes):
    check = normalize_phone(raw)
    assert (check.e164, check.reason, check.notes) == (e164, None, notes)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("8.49123E+10", "phone_sci_notation_lossy"),  # Excel kept 6 digits of 11
        ("8,49123E+10", "phone_sci_notation_lossy"),
        ("9.12346E+08", "phone_sci_notation_lossy"),
        ("8.43899E+10", "phone_sci_notation_lossy"),
        ("8.491234567E+10", "phone_sci_notation_lossy"),  # one digit short: it may have been a zero, or not
        ("9E+08", "phone_sci_notation_lossy"),
        ("8.49123456789E+10", "phone_invalid"),  # a fraction: never a phone number
    ],
)
def test_scientific_notation_that_lost_digits_is_junk(raw, reason):
    assert normalize_phone(raw).reason == reason


@pytest.mark.parametrize(
    ("raw", "e164"),
    [(901234567, "+84901234567"), (84912345678.0, "+84912345678"), (8.4912345678e10, "+84912345678")],
)
def test_numbers_from_spreadsheet_cells(raw, e164):
    assert normalize_phone(raw).e164 == e164


def test_conversion_table_covers_every_old_prefix():
    assert len(OLD_MOBILE_PREFIXES) == 8 + 5 + 5 + 2 + 1
    for old, new in OLD_MOBILE_PREFIXES.items():
        check = normalize_phone(f"0{old}1234567")
        assert check.e164 == f"+84{new}1234567", old


@pytest.mark.parametrize(
    ("raw", "e164", "notes"),
    [
        ("0901234567 / 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567, 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567; 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567 - 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567 hoặc 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567 | 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567\n0912345678", "+84901234567", ("phone_multiple",)),
        ("Zalo: 0901234567, ĐT: 0912345678", "+84901234567", ("phone_multiple",)),
        ("0901234567 0912345678", "+84901234567", ("phone_multiple",)),
        ("0000000000 / 0912345678", "+84912345678", ("phone_multiple",)),
        ("090123 / 0912345678", "+84912345678", ("phone_multiple",)),
        ("01689123456 / 0912345678", "+84389123456", ("phone_converted_2018", "phone_multiple")),
        ("#N/A / 0912345678", "+84912345678", ()),
    ],
)
def test_several_numbers_keep_first_usable(raw, e164, notes):
    check = normalize_phone(raw)
    assert (check.e164, check.reason, check.notes) == (e164, None, notes)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("024 3825 1234", "+842438251234"),  # Hanoi
        ("028 3829 1234", "+842838291234"),  # Ho Chi Minh City
        ("(028) 3829-1234", "+842838291234"),
        ("+84 24 3825 1234", "+842438251234"),
        ("2438251234", "+842438251234"),
    ],
)
def test_landline_is_usable_with_note(raw, e164):
    assert normalize_phone(raw) == PhoneCheck(e164, "VN", "landline", None, ("phone_landline",))


@pytest.mark.parametrize(
    ("raw", "default_region", "e164", "region", "notes"),
    [
        ("+1 415 867 5309", "VN", "+14158675309", "US", ("phone_foreign",)),
        ("001 415 867 5309", "VN", "+14158675309", "US", ("phone_foreign",)),
        ("+44 20 7946 0000", "VN", "+442079460000", "GB", ("phone_landline", "phone_foreign")),
        ("(415) 867-5309", "US", "+14158675309", "US", ()),
        ("+84 901 234 567", "US", "+84901234567", "VN", ("phone_foreign",)),
        ("0901234567", "vn", "+84901234567", "VN", ()),
    ],
)
def test_foreign_numbers_keep_their_country(raw, default_region, e164, region, notes):
    check = normalize_phone(raw, default_region)
    assert (check.e164, check.region, check.reason, check.notes) == (e164, region, None, notes)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "phone_missing"),
        ("", "phone_missing"),
        ("   ", "phone_missing"),
        ("\t\n", "phone_missing"),
        ("#N/A", "phone_placeholder"),
        ("N/A", "phone_placeholder"),
        ("null", "phone_placeholder"),
        ("None", "phone_placeholder"),
        ("-", "phone_placeholder"),
        ("unknown", "phone_placeholder"),
        ("chưa có", "phone_placeholder"),
        ("Chưa có", "phone_placeholder"),
        ("0909xxxxxx", "phone_placeholder"),
        ("0909 XXX XXX", "phone_placeholder"),
        ("0909******", "phone_placeholder"),
        ("09xx xxx xxx", "phone_placeholder"),
        ("0912***678", "phone_placeholder"),
        ("NULL", "phone_placeholder"),
        ("không có", "phone_placeholder"),
        ("0", "phone_placeholder"),
        ("0000000000", "phone_repeated_digits"),
        ("0999999999", "phone_repeated_digits"),
        ("0911111111", "phone_repeated_digits"),
        ("1111111111", "phone_repeated_digits"),
        ("+84 999 999 999", "phone_repeated_digits"),
        ("0123456789", "phone_sequential"),
        ("123456789", "phone_sequential"),
        ("0987654321", "phone_sequential"),
        ("1234567890", "phone_sequential"),
        ("12345", "phone_too_short"),
        ("0901", "phone_too_short"),
        ("090123456", "phone_too_short"),
        ("SĐT: 0901 234", "phone_too_short"),
        ("abc", "phone_invalid"),
        ("đang hỏi lại", "phone_invalid"),
        ("???", "phone_placeholder"),
        ("0101234567", "phone_invalid"),
        ("0112345678", "phone_invalid"),
        ("0412345678", "phone_invalid"),
        ("0612345678", "phone_invalid"),
        ("02171234567", "phone_invalid"),  # no 0217 area code
        ("09123456789", "phone_invalid"),
        ("0912345", "phone_too_short"),
        ("+84 91 234 56", "phone_too_short"),
        ("0888888888", "phone_repeated_digits"),
        ("84", "phone_too_short"),
        ("090123456789012", "phone_invalid"),
        ("+1 100 555 0123", "phone_invalid"),
        ("#N/A / null", "phone_placeholder"),
        ("0000000000 / 0123456789", "phone_repeated_digits"),
    ],
)
def test_unusable_numbers(raw, reason):
    check = normalize_phone(raw)
    assert (check.e164, check.region, check.kind, check.reason) == (None, None, None, reason)
    assert not check.usable


def test_decomposed_unicode_placeholder_matches():
    # macOS keyboards may send "chưa có" with combining accents.
    import unicodedata

    assert normalize_phone(unicodedata.normalize("NFD", "chưa có")).reason == "phone_placeholder"


def test_multiple_unusable_numbers_note_multiple():
    assert normalize_phone("0000000000 / 0123456789").notes == ("phone_multiple",)


def test_phone_check_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        normalize_phone("0901234567").e164 = "x"  # type: ignore[misc]
