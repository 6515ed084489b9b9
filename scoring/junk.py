"""Junk rules for lead intake: clean a raw row and decide whether it is worth a call."""

from __future__ import annotations

import functools
from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime

from scoring.emails import check_email, clean_email
from scoring.names import clean_name
from scoring.phones import PhoneCheck, normalize_phone

__all__ = [
    "REASON_EXAMPLES",
    "REASON_TEXTS",
    "VERDICTS",
    "Assessment",
    "LeadInput",
    "assess_lead",
    "clean_email",
    "clean_name",
    "first_verdict",
    "junk_reasons",
]

VERDICTS = ("ok", "suspect", "junk", "duplicate", "blocked")


@dataclass(frozen=True)
class LeadInput:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    service: str | None = None
    source: str | None = None
    registered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    verdict: str
    reasons: tuple[str, ...]
    phone: PhoneCheck
    name: str | None
    email: str | None
    dedupe_key: str | None
    # The address the lead probably meant, when the reasons hold "email_typo" ("an@gmial.com" -> "an@gmail.com").
    email_suggestion: str | None = None


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
    "phone_sci_notation": (
        "Số bị Excel ghi dạng khoa học (8.49E+10), đã khôi phục đủ chữ số",
        "Excel scientific notation, recovered exactly",
    ),
    "phone_sci_notation_lossy": (
        "Số bị Excel ghi dạng khoa học và đã mất chữ số",
        "Excel scientific notation lost digits",
    ),
    # junk
    "dnc_listed": ("Số nằm trong danh sách không gọi", "Number is on the do-not-call list"),
    "duplicate_phone": ("Trùng số điện thoại với khách đã có", "Same phone as an existing lead"),
    "name_missing": ("Không có họ tên", "No name given"),
    "name_fake": ("Họ tên có vẻ không thật", "Name looks fake"),
    "email_invalid": ("Email sai định dạng", "Email is malformed"),
    "email_fake": ("Email thử hoặc email giả", "Test or fake email"),
    "email_disposable": ("Email tạm thời (dùng một lần)", "Disposable email address"),
    "email_typo": ("Email có vẻ gõ sai tên miền, xem gợi ý", "Email domain looks mistyped; see the suggestion"),
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

# code -> a short input that produces it, in the field its prefix names (phone_*, name_*, email_*); dnc_listed and
# duplicate_phone are the phone of a lead already on the do-not-call list / already imported. Shown next to the
# texts so that a reviewer sees what each reason means.
REASON_EXAMPLES: dict[str, str] = {
    "phone_missing": "",
    "phone_placeholder": "0909xxxxxx",
    "phone_repeated_digits": "0999999999",
    "phone_sequential": "0123456789",
    "phone_invalid": "0101234567",
    "phone_too_short": "090123456",
    "phone_landline": "024 3825 1234",
    "phone_multiple": "0901234567 / 0912345678",
    "phone_foreign": "+1 415 867 5309",
    "phone_converted_2018": "01689123456",
    "phone_sci_notation": "8.4912345678E+10",
    "phone_sci_notation_lossy": "8.49123E+10",
    "dnc_listed": "0901234567",
    "duplicate_phone": "+84 901 234 567",
    "name_missing": "#N/A",
    "name_fake": "Nguyễn Văn A",
    "email_invalid": "lan@gmail",
    "email_fake": "lan@example.com",
    "email_disposable": "lan@mailinator.com",
    "email_typo": "lan@gmial.com",
}

# Reasons that make a good phone lead suspect: no real name, or an address made up to get past the form (a test
# domain, a disposable inbox). A mistyped ("email_typo") or malformed ("email_invalid") address is not one of them:
# the lead is judged on the phone, a slip of the keyboard says nothing about whether the person is real, and the
# agent confirms the address (with `email_suggestion`) on the call. The reason is still listed, and scored.
_SUSPECT = frozenset({"name_missing", "name_fake", "email_fake", "email_disposable"})
_DNC = ("dnc_listed",)
_DUPLICATE = ("duplicate_phone",)
# What the frozen dataclass's own __init__ does, minus its per-field global and attribute look-ups.
_new = object.__new__
_set = object.__setattr__


def junk_reasons(phone: PhoneCheck) -> tuple[str, ...]:
    """The reasons of a row without a usable number: why, then the phone's notes."""
    return (phone.reason or "phone_invalid", *phone.notes)


@functools.lru_cache(maxsize=1024)
def first_verdict(
    notes: tuple[str, ...], name_reason: str | None, email_reason: str | None
) -> tuple[str, tuple[str, ...]]:
    """Verdict and reasons of a row whose number is usable, not blocked and not held yet (a few combinations repeat
    over a whole file, hence the cache). The phone's notes (landline, converted, recovered from Excel…) travel with
    the verdict so the agent sees them."""
    verdict, reasons = "ok", notes
    if name_reason is not None:
        reasons += (name_reason,)
        verdict = "suspect"  # both name reasons are suspect ones
    if email_reason is not None:
        reasons += (email_reason,)
        if email_reason in _SUSPECT:
            verdict = "suspect"
    return verdict, reasons


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
    email, email_reason, suggestion = check_email(row.email)
    key = phone.e164
    # Precedence: junk, then blocked, then duplicate, then suspect; the phone decides before name/email.
    if key is None:
        verdict, reasons = "junk", junk_reasons(phone)
    elif key in blocked_numbers:
        verdict, reasons = "blocked", _DNC
    elif key in seen_keys:
        verdict, reasons = "duplicate", _DUPLICATE
    else:
        verdict, reasons = first_verdict(phone.notes, name_reason, email_reason)
    # Assessment(...) built by hand: on the intake's hot path that saves a tenth of the row's time; the tests
    # check the result equals Assessment(...) field for field.
    result = _new(Assessment)
    _set(result, "verdict", verdict)
    _set(result, "reasons", reasons)
    _set(result, "phone", phone)
    _set(result, "name", name)
    _set(result, "email", email)
    _set(result, "dedupe_key", key)
    _set(result, "email_suggestion", suggestion)
    return result
