"""Junk rules for lead intake: clean a raw row and decide whether it is worth a call."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime

from scoring.phones import PhoneCheck, normalize_phone

VERDICTS = ("ok", "suspect", "junk", "duplicate", "blocked")


@dataclass(frozen=True)
class LeadInput:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    service: str | None = None
    source: str | None = None
    registered_at: datetime | None = None


@dataclass(frozen=True)
class Assessment:
    verdict: str
    reasons: tuple[str, ...]
    phone: PhoneCheck
    name: str | None
    email: str | None
    dedupe_key: str | None


# code -> (text_vi, text_en), for every reason code produced anywhere in `scoring`.
REASON_TEXTS: dict[str, tuple[str, str]] = {
    # phones
    "phone_missing": ("Không có số điện thoại", "No phone number"),
    "phone_placeholder": ("Số điện thoại là giá trị giữ chỗ (#N/A, xxx…)", "Phone is a placeholder"),
    "phone_repeated_digits": ("Số điện thoại lặp một chữ số", "Phone repeats one digit"),
    "phone_sequential": ("Số điện thoại là dãy số liên tiếp", "Phone is a digit sequence"),
    "phone_invalid": ("Số điện thoại không hợp lệ", "Phone number is not valid"),
    "phone_too_short": ("Số điện thoại quá ngắn", "Phone number is too short"),
    "phone_landline": ("Số cố định, khó gặp đúng người", "Landline, harder to reach the person"),
    "phone_multiple": ("Nhiều số trong một ô, đã lấy số đầu tiên", "Several numbers; kept the first usable"),
    "phone_foreign": ("Số điện thoại nước ngoài", "Foreign phone number"),
    "phone_converted_2018": ("Đã đổi đầu số 11 số sang 10 số (2018)", "Old 11-digit number converted (2018)"),
    # junk
    "dnc_listed": ("Số nằm trong danh sách không gọi", "Number is on the do-not-call list"),
    "duplicate_phone": ("Trùng số điện thoại với khách đã có", "Same phone as an existing lead"),
    "name_missing": ("Không có họ tên", "No name given"),
    "name_fake": ("Họ tên có vẻ không thật", "Name looks fake"),
    "email_invalid": ("Email sai định dạng", "Email is malformed"),
    "email_fake": ("Email tạm thời hoặc email thử", "Disposable or test email"),
    # rank: pre-call
    "base": ("Điểm khởi đầu", "Starting score"),
    "fresh_1h": ("Đăng ký trong vòng 1 giờ", "Registered within the hour"),
    "fresh_24h": ("Đăng ký trong vòng 24 giờ", "Registered within 24 hours"),
    "fresh_7d": ("Đăng ký trong vòng 7 ngày", "Registered within 7 days"),
    "stale_30d": ("Đăng ký đã hơn 30 ngày", "Registered more than 30 days ago"),
    "registered_unknown": ("Không rõ thời điểm đăng ký", "Registration time unknown"),
    "source_referral": ("Nguồn: được giới thiệu", "Source: referral"),
    "source_zalo": ("Nguồn: Zalo", "Source: Zalo"),
    "source_web": ("Nguồn: form trên website", "Source: website form"),
    "source_facebook": ("Nguồn: quảng cáo Facebook", "Source: Facebook ads"),
    "source_google": ("Nguồn: quảng cáo Google", "Source: Google ads"),
    "has_name": ("Có họ tên", "Name given"),
    "has_email": ("Có email", "Email given"),
    "has_service": ("Có dịch vụ quan tâm", "Service of interest given"),
    "verdict_suspect": ("Thông tin đáng ngờ", "Suspect details"),
    "verdict_junk": ("Dữ liệu rác", "Junk record"),
    "verdict_duplicate": ("Khách trùng lặp", "Duplicate lead"),
    "verdict_blocked": ("Số bị chặn", "Blocked number"),
    # rank: post-call
    "no_answer": ("Không nghe máy", "Call not answered"),
    "identity_confirmed": ("Xác nhận đúng người", "Identity confirmed"),
    "identity_denied": ("Không xác nhận đúng người", "Identity denied"),
    "answered_by_speech": ("Trả lời bằng giọng nói", "Answered by voice"),
    "no_steps": ("Nghe máy nhưng không trả lời câu nào", "Answered but gave no answers"),
    "interest_yes": ("Quan tâm, muốn được tư vấn", "Interested"),
    "interest_callback": ("Hẹn gọi lại sau", "Asked for a callback"),
    "interest_no": ("Không quan tâm", "Not interested"),
    "wrong_person": ("Nhầm người", "Wrong person"),
    "opted_out": ("Yêu cầu không gọi nữa", "Asked not to be called"),
}

_PLACEHOLDERS = frozenset(
    {
        "",
        "#n/a",
        "n/a",
        "na",
        "nan",
        "null",
        "none",
        "nil",
        "undefined",
        "-",
        "--",
        ".",
        "?",
        "0",
        "#value!",
        "không có",
        "khong co",
        "chưa có",
        "chua co",
        "ko có",
        "ko",
        "không",
        "khong",
    }
)
# Whole-name matches, compared case-insensitively with diacritics kept ("An Danh" is a possible real name).
_FAKE_NAMES = frozenset(
    {
        "test",
        "testing",
        "tester",
        "asdf",
        "abc",
        "abcd",
        "abcxyz",
        "xyz",
        "xxx",
        "aaa",
        "zzz",
        "qwerty",
        "demo",
        "fake",
        "sample",
        "unknown",
        "anonymous",
        "no name",
        "noname",
        "khách hàng",
        "khach hang",
        "ẩn danh",
        "không tên",
        "khong ten",
        "không có",
        "khong co",
        "họ tên",
        "ho ten",
        "họ và tên",
        "ho va ten",
        "tên",
        "ten",
        "name",
        "customer",
        "người dùng",
        "nguoi dung",
        "admin",
        "user",
        "a b c",
    }
)
# Any word of the name that is one of these makes it fake ("Nguyen Test", "asdf Lan").
_FAKE_WORDS = frozenset({"test", "asdf", "qwerty", "xxx", "zzz", "asd", "qwe", "zxc", "sdf", "jkl", "abcxyz"})
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_VOWELS = set("aeiouy")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})

_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$"
)
_FAKE_DOMAINS = frozenset(
    {
        "example.com",
        "example.org",
        "example.net",
        "test.com",
        "test.vn",
        "mailinator.com",
        "yopmail.com",
        "guerrillamail.com",
        "10minutemail.com",
        "tempmail.com",
        "temp-mail.org",
        "trashmail.com",
        "sharklasers.com",
        "maildrop.cc",
        "getnada.com",
        "dispostable.com",
        "fakeinbox.com",
        "throwawaymail.com",
        "mailnesia.com",
        "emailondeck.com",
        "abc.com",
        "asdf.com",
    }
)
# Reserved top-level names (RFC 2606) never deliver mail.
_FAKE_TLDS = frozenset({"test", "example", "invalid", "localhost"})
_FAKE_LOCALS = frozenset({"test", "abc", "asdf", "xxx", "aaa", "noemail", "no-email", "none", "fake", "qwerty"})
# Typos of the big providers: the address cannot receive mail as written.
_TYPO_DOMAINS = frozenset(
    {
        "gmail.con",
        "gmail.co",
        "gmai.com",
        "gmial.com",
        "gamil.com",
        "gmail.vn",
        "gmail.com.vn",
        "yahoo.con",
        "yaho.com",
        "hotmail.con",
        "hotmai.com",
        "outlook.con",
    }
)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D")


def _cap(word: str) -> str:
    # Capitalise each piece after an apostrophe or hyphen too: "h'hen" -> "H'Hen" (Ê Đê names).
    return "".join(p[:1].upper() + p[1:].lower() for p in re.split(r"(['\-])", word))


def _case_word(word: str) -> str:
    # Leave deliberate mixed case ("McCain") alone; fix only ALL CAPS and all lower.
    if word.isupper() or word.islower():
        return _cap(word)
    return word[:1].upper() + word[1:]


def _is_mash(word: str) -> bool:
    plain = _strip_accents(word).lower().replace("'", "").replace("-", "").replace(".", "")
    if not plain:
        return False
    if plain in _FAKE_WORDS or re.search(r"(.)\1\1", plain):
        return True
    if len(plain) >= 4 and any(plain in row for row in _KEYBOARD_ROWS):
        return True
    if re.fullmatch(r"(.{3,})\1+", plain):  # "asdasd", "abcabc"
        return True
    # No Vietnamese (or minority-language) syllable is four consonants with no vowel.
    return len(plain) >= 4 and plain.isascii() and not (_VOWELS & set(plain))


def clean_name(raw: str | None) -> tuple[str | None, str | None]:
    """Cleaned display name and a reason code ("name_missing" / "name_fake") or None."""
    text = unicodedata.normalize("NFC", raw or "").translate(_APOSTROPHES)
    # A note in brackets is not part of the name: "Lan (chị gái)" -> "Lan".
    text = " ".join(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text).split())
    if text.casefold() in _PLACEHOLDERS:
        return None, "name_missing"
    # Digits, an email or a link where the name should be: someone typed anything to pass the form.
    folded = text.casefold()
    if any(c.isdigit() for c in text) or "@" in text or "http" in folded or "www." in folded:
        return None, "name_fake"
    # Drop emoji and decoration; keep letters, combining marks and the punctuation names really use.
    kept = "".join(c if (c.isalpha() or unicodedata.category(c).startswith("M") or c in " '-.") else " " for c in text)
    kept = " ".join(w.strip("'-.") for w in kept.split())
    kept = " ".join(kept.split())
    if not any(c.isalpha() for c in kept):
        return None, "name_fake"
    if kept.casefold() in _FAKE_NAMES or any(_is_mash(w) for w in kept.split()):
        return None, "name_fake"
    return " ".join(_case_word(w) for w in kept.split()), None


def clean_email(raw: str | None) -> tuple[str | None, str | None]:
    """Lower-cased email and a reason code ("email_invalid" / "email_fake") or None."""
    text = unicodedata.normalize("NFC", raw or "").strip().strip("<>").strip().lower()
    if text in _PLACEHOLDERS:
        return None, None
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    if not _EMAIL.match(text) or ".." in text:
        return text, "email_invalid"
    local, domain = text.rsplit("@", 1)
    if domain in _TYPO_DOMAINS:
        return text, "email_invalid"
    fake_domain = any(domain == d or domain.endswith("." + d) for d in _FAKE_DOMAINS)
    if fake_domain or domain.rsplit(".", 1)[-1] in _FAKE_TLDS or local in _FAKE_LOCALS:
        return text, "email_fake"
    return text, None


def assess_lead(
    row: LeadInput,
    *,
    default_region: str = "VN",
    seen_keys: Container[str] = frozenset(),
    blocked_numbers: Container[str] = frozenset(),
) -> Assessment:
    """Clean a lead row and give its verdict with reason codes."""
    phone = normalize_phone(row.phone, default_region)
    name, name_reason = clean_name(row.name)
    email, email_reason = clean_email(row.email)
    key = phone.e164

    def verdict(v: str, reasons: tuple[str, ...]) -> Assessment:
        return Assessment(verdict=v, reasons=reasons, phone=phone, name=name, email=email, dedupe_key=key)

    # Precedence: junk, then blocked, then duplicate, then suspect; the phone decides before name/email.
    if phone.reason is not None or key is None:
        return verdict("junk", (phone.reason or "phone_invalid",))
    if key in blocked_numbers:
        return verdict("blocked", ("dnc_listed",))
    if key in seen_keys:
        return verdict("duplicate", ("duplicate_phone",))
    soft = tuple(r for r in (name_reason, email_reason) if r)
    landline = ("phone_landline",) if phone.kind == "landline" else ()
    return verdict("suspect" if soft else "ok", landline + soft)
