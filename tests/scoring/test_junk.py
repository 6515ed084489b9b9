"""Tables for scoring.junk: name/email cleaning, verdicts and reason texts."""

import dataclasses
import unicodedata
from datetime import UTC, datetime

import pytest

from scoring import REASON_TEXTS, VERDICTS, Assessment, LeadInput, assess_lead, normalize_phone
from scoring.emails import check_email
from scoring.junk import REASON_EXAMPLES, clean_email, clean_name

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
        ("Tran Thi Mai", "Tran Thi Mai"),
        ("TRAN VAN DUNG", "Tran Van Dung"),
        ("Nguyễn Văn Anh", "Nguyễn Văn Anh"),
        ("Trần Thị Bé", "Trần Thị Bé"),
        ("Lê Thị Út", "Lê Thị Út"),
        ("Na", "Na"),
        ("Bé Ba", "Bé Ba"),
        ("Chị Lan", "Chị Lan"),
        ("Mr. Long", "Mr Long"),
        ("Kevin Nguyen", "Kevin Nguyen"),
        ("Nguyễn Thị Thuỷ", "Nguyễn Thị Thuỷ"),
        ("K'Bờ", "K'Bờ"),
        ("k'bờ", "K'Bờ"),
        ("Y Moan", "Y Moan"),
        ("Y Bhim Mlô", "Y Bhim Mlô"),
        ("H'Lan Êban", "H'Lan Êban"),
        ("Sùng A Lử", "Sùng A Lử"),
        ("Lầu Mí Chứ", "Lầu Mí Chứ"),
        ("Vàng Thị Mỷ", "Vàng Thị Mỷ"),
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
        # Decomposed accents, as macOS exports them, come out composed (NFC).
        (unicodedata.normalize("NFD", "Công Tôn Nữ Thị Tịnh"), "Công Tôn Nữ Thị Tịnh"),
        (unicodedata.normalize("NFD", "K'Bờ"), "K'Bờ"),
        (unicodedata.normalize("NFD", "NGUYỄN THỊ THANH HƯƠNG"), "Nguyễn Thị Thanh Hương"),
        (unicodedata.normalize("NFD", "Ksor Y Ruăh"), "Ksor Y Ruăh"),
        ("McDonald", "McDonald"),
    ],
)
def test_real_names_stay_ok(raw, cleaned):
    assert clean_name(raw) == (cleaned, None)
    assert unicodedata.is_normalized("NFC", cleaned)
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
        ("nan", "name_missing"),
        ("-", "name_missing"),
        ("không có", "name_missing"),
        (unicodedata.normalize("NFD", "chưa có"), "name_missing"),
        # The textbook placeholder person: family name, Văn or Thị, one letter.
        ("Nguyễn Văn A", "name_fake"),
        ("Nguyen Van A", "name_fake"),
        ("NGUYEN VAN A", "name_fake"),
        ("nguyễn văn a", "name_fake"),
        ("Nguyễn Văn B", "name_fake"),
        ("Trần Thị B", "name_fake"),
        ("Tran Thi B", "name_fake"),
        ("Lê Văn C", "name_fake"),
        ("Phạm Thị X", "name_fake"),
        (unicodedata.normalize("NFD", "Nguyễn Văn A"), "name_fake"),
        ("N/A", "name_fake"),
        ("n/a", "name_fake"),
        ("No Name", "name_fake"),
        ("Không tên", "name_fake"),
        ("Test Lead", "name_fake"),
        ("asdfgh", "name_fake"),
        ("ádsád", "name_fake"),  # "asdasd" typed with Telex on: two tone marks in one syllable
        ("user2847", "name_fake"),
        ("Tuấn 0912", "name_fake"),
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
    ("raw", "cleaned", "reason", "verdict"),
    [
        ("An.Nguyen@Gmail.com", "an.nguyen@gmail.com", None, "ok"),
        ("  lan@yahoo.com.vn ", "lan@yahoo.com.vn", None, "ok"),
        ("<lan@fpt.vn>", "lan@fpt.vn", None, "ok"),
        ("mailto:lan@fpt.vn", "lan@fpt.vn", None, "ok"),
        ("lan+ads@gmail.com", "lan+ads@gmail.com", None, "ok"),
        ("lan_nguyen-90@gmail.com", "lan_nguyen-90@gmail.com", None, "ok"),
        ("lan@hotmail.co.uk", "lan@hotmail.co.uk", None, "ok"),
        ("lan@ymail.com", "lan@ymail.com", None, "ok"),  # real Yahoo domain, one letter from gmail
        ("lan@mail.com", "lan@mail.com", None, "ok"),
        ("lan@googlemail.com", "lan@googlemail.com", None, "ok"),
        (None, None, None, "ok"),
        ("", None, None, "ok"),
        ("#N/A", None, None, "ok"),
        ("không có", None, None, "ok"),
        # Malformed: a slip, so the lead stays ok with the reason listed.
        ("lan", "lan", "email_invalid", "ok"),
        ("lan@", "lan@", "email_invalid", "ok"),
        ("lan@gmail", "lan@gmail", "email_invalid", "ok"),
        ("lan.gmail.com", "lan.gmail.com", "email_invalid", "ok"),
        ("lan@@gmail.com", "lan@@gmail.com", "email_invalid", "ok"),
        ("lan..an@gmail.com", "lan..an@gmail.com", "email_invalid", "ok"),
        (".lan@gmail.com", ".lan@gmail.com", "email_invalid", "ok"),
        ("lan.@gmail.com", "lan.@gmail.com", "email_invalid", "ok"),
        ("lan an@gmail.com", "lan an@gmail.com", "email_invalid", "ok"),
        ("lan@gmail..com", "lan@gmail..com", "email_invalid", "ok"),
        ("lân@gmail.com", "lân@gmail.com", "email_invalid", "ok"),
        # Test domains and test addresses: made up to pass the form.
        ("lan@example.com", "lan@example.com", "email_fake", "suspect"),
        ("lan@test.com", "lan@test.com", "email_fake", "suspect"),
        ("lan@mail.example.org", "lan@mail.example.org", "email_fake", "suspect"),
        ("lan@shop.test", "lan@shop.test", "email_fake", "suspect"),
        ("test@gmail.com", "test@gmail.com", "email_fake", "suspect"),
        ("asdf@gmail.com", "asdf@gmail.com", "email_fake", "suspect"),
        ("test@gmial.com", "test@gmial.com", "email_fake", "suspect"),
        # Disposable inboxes, from the disposable-email-domains list.
        ("lan@mailinator.com", "lan@mailinator.com", "email_disposable", "suspect"),
        ("lan@yopmail.com", "lan@yopmail.com", "email_disposable", "suspect"),
        ("lan@guerrillamail.com", "lan@guerrillamail.com", "email_disposable", "suspect"),
        ("lan@10minutemail.com", "lan@10minutemail.com", "email_disposable", "suspect"),
        ("lan@sharklasers.com", "lan@sharklasers.com", "email_disposable", "suspect"),
        ("lan@tempmail.com", "lan@tempmail.com", "email_disposable", "suspect"),
        ("lan@inbox.mailinator.com", "lan@inbox.mailinator.com", "email_disposable", "suspect"),
    ],
)
def test_email_cleaning(raw, cleaned, reason, verdict):
    assert clean_email(raw) == (cleaned, reason)
    result = assess_lead(lead(email=raw))
    assert result.email == cleaned
    assert result.reasons == ((reason,) if reason else ())
    assert (result.verdict, result.email_suggestion) == (verdict, None)


@pytest.mark.parametrize(
    ("raw", "suggestion"),
    [
        ("an@gmial.com", "an@gmail.com"),
        ("an@gmai.com", "an@gmail.com"),
        ("an@gmal.com", "an@gmail.com"),
        ("an@gamil.com", "an@gmail.com"),
        ("an@gnail.com", "an@gmail.com"),
        ("an@gmaill.com", "an@gmail.com"),
        ("an@gmail.con", "an@gmail.com"),
        ("an@gmail.co", "an@gmail.com"),
        ("an@gmail.cm", "an@gmail.com"),
        ("an@gmial.con", "an@gmail.com"),
        ("an@gmail.com.vn", "an@gmail.com"),  # Gmail has no Vietnamese domain
        ("an@gmail.vn", "an@gmail.com"),
        ("AN@GMIAL.COM", "an@gmail.com"),
        ("an@yahooo.com", "an@yahoo.com"),
        ("an@yaho.com", "an@yahoo.com"),
        ("an@yahoo.con", "an@yahoo.com"),
        ("an@yahoo.com.vm", "an@yahoo.com.vn"),
        ("an@yaho.com.vn", "an@yahoo.com.vn"),
        ("an@yahooo.com.vn", "an@yahoo.com.vn"),
        ("an@yahoo.vn", "an@yahoo.com.vn"),
        ("an@hotmial.com", "an@hotmail.com"),
        ("an@hotmai.com", "an@hotmail.com"),
        ("an@hotmail.con", "an@hotmail.com"),
        ("an@outlok.com", "an@outlook.com"),
        ("an@outllok.com", "an@outlook.com"),
        ("an@outlook.co", "an@outlook.com"),
        ("an@iclod.com", "an@icloud.com"),
        ("an@icoud.com", "an@icloud.com"),
        ("an@icloud.con", "an@icloud.com"),
    ],
)
def test_email_typos_keep_the_lead_ok_and_suggest_the_fix(raw, suggestion):
    assert check_email(raw) == (raw.lower(), "email_typo", suggestion)
    result = assess_lead(lead(email=raw))
    assert (result.verdict, result.reasons, result.email_suggestion) == ("ok", ("email_typo",), suggestion)


@pytest.mark.parametrize(
    ("row", "seen", "blocked", "verdict", "reasons"),
    [
        (lead(), (), (), "ok", ()),
        (lead(phone="+84 901 234 567"), (), (), "ok", ()),
        (lead(phone="024 3825 1234"), (), (), "ok", ("phone_landline",)),
        (lead(phone="024 3825 1234", name="test"), (), (), "suspect", ("phone_landline", "name_fake")),
        (lead(name=None, email="x@example.com"), (), (), "suspect", ("name_missing", "email_fake")),
        (lead(name="Nguyễn Văn A", email="x@gmial.com"), (), (), "suspect", ("name_fake", "email_typo")),
        (lead(email="x@mailinator.com"), (), (), "suspect", ("email_disposable",)),
        # The phone's notes come along, and do not make the lead suspect.
        (lead(phone="01689123456"), (), (), "ok", ("phone_converted_2018",)),
        (lead(phone="0901234567 / 0912345678"), (), (), "ok", ("phone_multiple",)),
        (lead(phone="8.4912345678E+10"), (), (), "ok", ("phone_sci_notation",)),
        (lead(phone="+1 415 867 5309"), (), (), "ok", ("phone_foreign",)),
        (lead(phone="8.49123E+10"), (), (), "junk", ("phone_sci_notation_lossy",)),
        (lead(phone="0000000000 / 0123456789"), (), (), "junk", ("phone_repeated_digits", "phone_multiple")),
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
    assert (result.name, result.email, result.verdict, result.email_suggestion) == (None, None, "suspect", None)


@pytest.mark.parametrize(
    "row", [lead(), lead(email="an@gmial.com"), lead(phone="#N/A"), lead(phone="024 3825 1234", name="test")]
)
def test_assessment_equals_one_built_the_ordinary_way(row):
    # assess_lead builds its result by hand for speed; it must be an ordinary, frozen Assessment.
    result = assess_lead(row)
    plain = Assessment(**{f.name: getattr(result, f.name) for f in dataclasses.fields(Assessment)})
    assert result == plain and hash(result) == hash(plain) and repr(result) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.verdict = "ok"  # type: ignore[misc]


def test_assessment_is_source_compatible():
    # Positional construction, as callers wrote it before email_suggestion was added.
    check = normalize_phone(PHONE)
    assert Assessment("ok", (), check, "An", None, E164).email_suggestion is None


# Every code assess_lead and normalize_phone can produce; each must be explained in both languages and shown
# with an example input.
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
    "phone_sci_notation",
    "phone_sci_notation_lossy",
    "dnc_listed",
    "duplicate_phone",
    "name_missing",
    "name_fake",
    "email_invalid",
    "email_fake",
    "email_disposable",
    "email_typo",
]


@pytest.mark.parametrize("code", ALL_CODES)
def test_reason_texts_cover_every_code(code):
    text_vi, text_en = REASON_TEXTS[code]
    assert text_vi.strip() and text_en.strip() and text_vi != text_en


def test_every_intake_code_has_an_example():
    assert sorted(REASON_EXAMPLES) == sorted(ALL_CODES)


def assess_example(code: str, example: str) -> Assessment:
    """Run an example input through assess_lead, in the field its code names."""
    if code in ("dnc_listed", "duplicate_phone"):
        listed = frozenset({normalize_phone(example).e164})
        key = "blocked_numbers" if code == "dnc_listed" else "seen_keys"
        return assess_lead(lead(phone=example), **{key: listed})
    field = code.split("_")[0]
    return assess_lead(lead(**{field: example}))


@pytest.mark.parametrize(("code", "example"), sorted(REASON_EXAMPLES.items()))
def test_each_example_produces_its_code(code, example):
    result = assess_example(code, example)
    assert code in result.reasons
    if code.startswith("phone_"):
        check = normalize_phone(example)
        assert code in (check.reason, *check.notes)


# Rows of every shape from the tables above: whatever assess_lead says about them must be a documented code.
CORPUS = [
    lead(name=name, phone=phone, email=email)
    for name, phone, email in zip(
        ["Nguyễn Văn An", "test", None, "Nguyễn Văn A", "K'Bờ", "#N/A", "N/A", "ádsád", "Lan2"] * 4,
        ["0901234567", "01689123456", "8.49123E+10", "0909xxxxxx", "024 3825 1234", "+1 415 867 5309", None, "0123"] * 4
        + ["8.4912345678E+10", "0000000000", "0101234567", "0901234567 / 0912345678"],
        ["a@gmail.com", "a@gmial.com", "a@mailinator.com", "a@example.com", "a@", None, "#N/A", "test@gmail.com"] * 4
        + ["a@yahooo.com.vn", "b@yopmail.com", "c@hotmail.con", "x"],
        strict=False,
    )
]


@pytest.mark.parametrize("row", CORPUS)
def test_every_code_produced_is_documented(row):
    for seen, blocked in (((), ()), ((E164,), ()), ((), (E164,))):
        result = assess_lead(row, seen_keys=frozenset(seen), blocked_numbers=frozenset(blocked))
        for code in (*result.reasons, *result.phone.notes, result.phone.reason):
            assert code is None or code in REASON_EXAMPLES
