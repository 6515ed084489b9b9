"""Tables for scoring.junk: name/email cleaning, verdicts and reason texts."""

import unicodedata
from datetime import UTC, datetime

import pytest

from scoring import REASON_TEXTS, VERDICTS, Assessment, LeadInput, assess_lead, normalize_phone
from scoring.junk import clean_email, clean_name

PHONE = "0901234567"
E164 = "+84901234567"


def lead(**overrides):
    values = {
        "name": "Nguyễn Văn An",
        "phone": PHONE,
        "email": "an.nguyen@gmail.com",
        "service": "Niềng răng",
        "source": "facebook",
        "registered_at": datetime(2024, 5, 1, 9, tzinfo=UTC),
    }
    values.update(overrides)
    return LeadInput(**values)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Ý", "Ý"),
        ("Út", "Út"),
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        ("Công Tôn Nữ Thị Tịnh", "Công Tôn Nữ Thị Tịnh"),
        ("Âu Dương Phong", "Âu Dương Phong"),
        ("Nguyen Van A", "Nguyen Van A"),
        ("Tran Thi B", "Tran Thi B"),
        ("H'Hen Niê", "H'Hen Niê"),
        ("h’hen niê", "H'Hen Niê"),
        ("Ksor Y Ruăh", "Ksor Y Ruăh"),
        ("Y Moan Ênuôl", "Y Moan Ênuôl"),
        ("Rơ Mah Hiền", "Rơ Mah Hiền"),
        ("Kpă Pôl", "Kpă Pôl"),
        ("Nay Phin", "Nay Phin"),
        ("Giàng A Pháo", "Giàng A Pháo"),
        ("Thào Seo Phủ", "Thào Seo Phủ"),
        ("Lò Văn Giàng", "Lò Văn Giàng"),
        ("Ma Văn Kháng", "Ma Văn Kháng"),
        ("NGUYỄN VĂN AN", "Nguyễn Văn An"),
        ("trần thị bích ngọc", "Trần Thị Bích Ngọc"),
        ("  lê   văn\ttám ", "Lê Văn Tám"),
        ("đặng thùy trâm", "Đặng Thùy Trâm"),
        ("nguyễn Văn AN", "Nguyễn Văn An"),
        ("Lan 🌸", "Lan"),
        ("Lan (chị gái)", "Lan"),
        ("Lan (0901234567)", "Lan"),
        (unicodedata.normalize("NFD", "Công Tôn Nữ Thị Tịnh"), "Công Tôn Nữ Thị Tịnh"),
        ("McDonald", "McDonald"),
    ],
)
def test_real_names_stay_ok(raw, cleaned):
    assert clean_name(raw) == (cleaned, None)
    result = assess_lead(lead(name=raw))
    assert (result.verdict, result.reasons, result.name) == ("ok", (), cleaned)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "name_missing"),
        ("", "name_missing"),
        ("   ", "name_missing"),
        ("#N/A", "name_missing"),
        ("null", "name_missing"),
        ("-", "name_missing"),
        ("test", "name_fake"),
        ("Test", "name_fake"),
        ("TEST TEST", "name_fake"),
        ("Nguyen Test", "name_fake"),
        ("asdf", "name_fake"),
        ("abc", "name_fake"),
        ("xxx", "name_fake"),
        ("aaa", "name_fake"),
        ("aaaaa", "name_fake"),
        ("khách hàng", "name_fake"),
        ("Khách Hàng", "name_fake"),
        ("khach hang", "name_fake"),
        ("no name", "name_fake"),
        ("ẩn danh", "name_fake"),
        ("qwerty", "name_fake"),
        ("hjkl", "name_fake"),
        ("sdfsdf", "name_fake"),
        ("bcdfgh", "name_fake"),
        ("Nguyen 123", "name_fake"),
        ("Lan2", "name_fake"),
        ("123", "name_fake"),
        ("!!!", "name_fake"),
        ("@@@", "name_fake"),
        ("🌸🌸", "name_fake"),
        ("lan@gmail.com", "name_fake"),
        ("https://facebook.com/lan", "name_fake"),
    ],
)
def test_missing_or_fake_names_make_suspect(raw, reason):
    assert clean_name(raw) == (None, reason)
    result = assess_lead(lead(name=raw))
    assert (result.verdict, result.reasons, result.name) == ("suspect", (reason,), None)


@pytest.mark.parametrize(
    ("raw", "cleaned", "reason"),
    [
        ("An.Nguyen@Gmail.com", "an.nguyen@gmail.com", None),
        ("  lan@yahoo.com.vn ", "lan@yahoo.com.vn", None),
        ("<lan@fpt.vn>", "lan@fpt.vn", None),
        ("lan+ads@gmail.com", "lan+ads@gmail.com", None),
        (None, None, None),
        ("", None, None),
        ("#N/A", None, None),
        ("không có", None, None),
        ("lan", "lan", "email_invalid"),
        ("lan@", "lan@", "email_invalid"),
        ("lan@gmail", "lan@gmail", "email_invalid"),
        ("lan@@gmail.com", "lan@@gmail.com", "email_invalid"),
        ("lan..an@gmail.com", "lan..an@gmail.com", "email_invalid"),
        ("lan an@gmail.com", "lan an@gmail.com", "email_invalid"),
        ("lan@gmail.con", "lan@gmail.con", "email_invalid"),
        ("lan@gmai.com", "lan@gmai.com", "email_invalid"),
        ("lan@example.com", "lan@example.com", "email_fake"),
        ("lan@test.com", "lan@test.com", "email_fake"),
        ("lan@mailinator.com", "lan@mailinator.com", "email_fake"),
        ("lan@yopmail.com", "lan@yopmail.com", "email_fake"),
        ("lan@mail.example.org", "lan@mail.example.org", "email_fake"),
        ("lan@shop.test", "lan@shop.test", "email_fake"),
        ("test@gmail.com", "test@gmail.com", "email_fake"),
        ("asdf@gmail.com", "asdf@gmail.com", "email_fake"),
    ],
)
def test_email_cleaning(raw, cleaned, reason):
    assert clean_email(raw) == (cleaned, reason)
    result = assess_lead(lead(email=raw))
    assert result.email == cleaned
    assert result.reasons == ((reason,) if reason else ())
    assert result.verdict == ("suspect" if reason else "ok")


@pytest.mark.parametrize(
    ("row", "seen", "blocked", "verdict", "reasons"),
    [
        (lead(), (), (), "ok", ()),
        (lead(phone="+84 901 234 567"), (), (), "ok", ()),
        (lead(phone="024 3825 1234"), (), (), "ok", ("phone_landline",)),
        (lead(phone="024 3825 1234", name="test"), (), (), "suspect", ("phone_landline", "name_fake")),
        (lead(name=None, email="x@example.com"), (), (), "suspect", ("name_missing", "email_fake")),
        (lead(phone=None), (), (), "junk", ("phone_missing",)),
        (lead(phone="#N/A"), (), (), "junk", ("phone_placeholder",)),
        (lead(phone="0000000000"), (), (), "junk", ("phone_repeated_digits",)),
        (lead(phone="0123456789"), (), (), "junk", ("phone_sequential",)),
        (lead(phone="0101234567"), (), (), "junk", ("phone_invalid",)),
        (lead(phone="0901"), (), (), "junk", ("phone_too_short",)),
        # The phone decides before name and email.
        (lead(phone=None, name="test"), (), (), "junk", ("phone_missing",)),
        (lead(phone=None), (E164,), (E164,), "junk", ("phone_missing",)),
        (lead(), (E164,), (), "duplicate", ("duplicate_phone",)),
        (lead(phone="901234567"), (E164,), (), "duplicate", ("duplicate_phone",)),
        (lead(), (), (E164,), "blocked", ("dnc_listed",)),
        (lead(), (E164,), (E164,), "blocked", ("dnc_listed",)),
        (lead(name="test", email="x@test.com"), (E164,), (), "duplicate", ("duplicate_phone",)),
        (lead(name="test"), (E164,), (E164,), "blocked", ("dnc_listed",)),
        (lead(), ("+84912345678",), ("+84389123456",), "ok", ()),
        (lead(phone="01689123456"), (), ("+84389123456",), "blocked", ("dnc_listed",)),
    ],
)
def test_verdict_precedence(row, seen, blocked, verdict, reasons):
    result = assess_lead(row, seen_keys=frozenset(seen), blocked_numbers=frozenset(blocked))
    assert (result.verdict, result.reasons) == (verdict, reasons)
    assert result.verdict in VERDICTS


@pytest.mark.parametrize(
    ("phone", "key"),
    [(PHONE, E164), ("+84 901 234 567", E164), ("01689123456", "+84389123456"), (None, None), ("abc", None)],
)
def test_dedupe_key_is_e164(phone, key):
    result = assess_lead(lead(phone=phone))
    assert result.dedupe_key == key
    assert result.phone == normalize_phone(phone)


def test_seen_keys_accepts_any_container():
    assert assess_lead(lead(), seen_keys=[E164]).verdict == "duplicate"
    assert assess_lead(lead(), blocked_numbers={E164: True}).verdict == "blocked"


def test_foreign_default_region():
    result = assess_lead(lead(phone="(415) 867-5309"), default_region="US")
    assert (result.verdict, result.dedupe_key) == ("ok", "+14158675309")


def test_assessment_shape():
    result = assess_lead(LeadInput(phone=PHONE))
    assert isinstance(result, Assessment)
    assert (result.name, result.email, result.verdict) == (None, None, "suspect")


# Every code each module can produce; REASON_TEXTS must explain all of them in both languages.
ALL_CODES = [
    "phone_missing",
    "phone_placeholder",
    "phone_repeated_digits",
    "phone_sequential",
    "phone_invalid",
    "phone_too_short",
    "phone_landline",
    "phone_multiple",
    "phone_foreign",
    "phone_converted_2018",
    "dnc_listed",
    "duplicate_phone",
    "name_missing",
    "name_fake",
    "email_invalid",
    "email_fake",
]


@pytest.mark.parametrize("code", ALL_CODES)
def test_reason_texts_cover_every_code(code):
    text_vi, text_en = REASON_TEXTS[code]
    assert text_vi.strip() and text_en.strip() and text_vi != text_en
