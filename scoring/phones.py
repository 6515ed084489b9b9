"""Phone number normalisation for lead intake: messy spreadsheet cells in, one E.164 number out."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult


@dataclass(frozen=True)
class PhoneCheck:
    e164: str | None
    region: str | None
    kind: str | None
    reason: str | None
    notes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """True when the number can be dialled."""
        return self.reason is None


# Pre-2018 11-digit mobile prefixes (national digits, trunk zero dropped) -> their 10-digit replacements.
# The carriers moved these on 15 Sep 2018; marketing lists collected before then still carry the old form.
OLD_MOBILE_PREFIXES: dict[str, str] = {
    **{f"16{d}": f"3{d}" for d in "23456789"},
    "120": "70",
    "121": "79",
    "122": "77",
    "126": "76",
    "128": "78",
    "123": "83",
    "124": "84",
    "125": "85",
    "127": "81",
    "129": "82",
    "186": "56",
    "188": "58",
    "199": "59",
}

PLACEHOLDER_WORDS = frozenset(
    {
        "#n/a",
        "n/a",
        "na",
        "#na",
        "nan",
        "null",
        "none",
        "nil",
        "undefined",
        "unknown",
        "-",
        "--",
        "---",
        ".",
        "?",
        "0",
        "#value!",
        "#ref!",
        "chưa có",
        "chua co",
        "không có",
        "khong co",
        "ko có",
        "ko co",
        "không",
        "khong",
        "ko",
        "không rõ",
        "khong ro",
        "chưa cập nhật",
        "đang cập nhật",
        "no",
        "no phone",
    }
)

# "0909xxxxxx", "0909***": a masked number copied from an export that hid it.
_MASKED = re.compile(r"\d[\d\s.\-]*[xX*]{2,}|[xX*]{3,}\s*\d")
# Several numbers in one cell. A bare "-" is left alone because "0901-234-567" is one number.
_SEPARATORS = re.compile(r"\s*[/,;|\n]\s*|\s+-\s+|\s+(?:hoặc|hoac|or|và|va)\s+", re.IGNORECASE)
_NA = re.compile(r"#?\bn/a\b", re.IGNORECASE)
# The number inside surrounding text ("SĐT: 0901 234 567 (Zalo)").
_NUMBER = re.compile(r"\+?\s*\(?\d[\d\s.\-()]*\d|\d")
# Excel/pandas turn a numeric cell into "901234567.0".
_FLOAT_TAIL = re.compile(r"^\s*\+?\d+\.0+\s*$")
_SEQUENCES = ("01234567890", "09876543210")

_KIND = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
}


def _fail(reason: str, notes: tuple[str, ...] = ()) -> PhoneCheck:
    return PhoneCheck(e164=None, region=None, kind=None, reason=reason, notes=notes)


def _is_placeholder(text: str) -> bool:
    low = text.strip().casefold()
    return low in PLACEHOLDER_WORDS or bool(_MASKED.search(text))


def _is_repeated(digits: str) -> bool:
    # Counting (not just a run) also catches "0999999990"-style fillers.
    return len(digits) >= 8 and max(digits.count(d) for d in set(digits)) >= 8


def _is_sequential(digits: str) -> bool:
    # Whole-string match only: a real number such as 0901234567 contains a long run but is not a sequence.
    return len(digits) >= 8 and any(digits in seq for seq in _SEQUENCES)


def _split(text: str) -> list[str]:
    # "#N/A" must survive the split on "/" to be recognised as a placeholder.
    text = _NA.sub("#NA", text)
    parts = [p for p in _SEPARATORS.split(text) if p and p.strip()]
    out: list[str] = []
    for part in parts:
        # "0901234567 0912345678": whitespace splits only when every token is a whole number.
        tokens = part.split()
        if len(tokens) > 1 and all(sum(c.isdigit() for c in t) >= 9 for t in tokens):
            out.extend(tokens)
        else:
            out.append(part)
    return out


def _extract(text: str) -> tuple[str, bool]:
    """Digits of the longest number-like run in text, and whether it was written with a leading '+'."""
    if _FLOAT_TAIL.match(text):
        text = text.split(".")[0]
    best = max(_NUMBER.findall(text), key=lambda m: sum(c.isdigit() for c in m), default="")
    return "".join(c for c in best if c.isdigit()), best.lstrip().startswith("+")


def _international(digits: str, plus: bool, default_region: str) -> str | None:
    """Digits with country code, or None when the number is national for a non-VN default region."""
    if plus:
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if default_region != "VN":
        return None
    if digits.startswith("0"):
        return "84" + digits[1:]
    if digits.startswith("84") and len(digits) >= 11:
        return digits
    # Excel drops the trunk zero: "901234567" is 0901234567.
    return "84" + digits


def _check_vn(national: str, notes: tuple[str, ...], default_region: str) -> PhoneCheck:
    # "+84 0901 234 567" and "840901234567" repeat the trunk zero.
    national = national[1:] if national.startswith("0") and len(national) > 9 else national
    if _is_repeated(national):
        return _fail("phone_repeated_digits", notes)
    if _is_sequential(national):
        return _fail("phone_sequential", notes)
    if len(national) == 10 and national[:3] in OLD_MOBILE_PREFIXES:
        national = OLD_MOBILE_PREFIXES[national[:3]] + national[3:]
        notes += ("phone_converted_2018",)
    number = phonenumbers.parse("+84" + national)
    if not phonenumbers.is_valid_number(number):
        # phonenumbers is lenient on VN lengths, so judge "too short" from the leading digit ourselves.
        first = national[:1]
        short = (first in "35789" and len(national) < 9) or (first == "2" and len(national) < 10)
        return _fail("phone_too_short" if short else "phone_invalid", notes)
    return _usable(number, notes, default_region)


def _check_parsed(number: phonenumbers.PhoneNumber, notes: tuple[str, ...], default_region: str) -> PhoneCheck:
    national = str(number.national_number)
    if number.country_code == 84:
        return _check_vn(national, notes, default_region)
    if _is_repeated(national):
        return _fail("phone_repeated_digits", notes)
    if _is_sequential(national):
        return _fail("phone_sequential", notes)
    if not phonenumbers.is_valid_number(number):
        short = phonenumbers.is_possible_number_with_reason(number) == ValidationResult.TOO_SHORT
        return _fail("phone_too_short" if short else "phone_invalid", notes)
    return _usable(number, notes, default_region)


def _usable(number: phonenumbers.PhoneNumber, notes: tuple[str, ...], default_region: str) -> PhoneCheck:
    region = phonenumbers.region_code_for_number(number)
    kind = _KIND.get(phonenumbers.number_type(number), "other")
    if kind == "landline":
        notes += ("phone_landline",)
    if region != default_region:
        notes += ("phone_foreign",)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneCheck(e164=e164, region=region, kind=kind, reason=None, notes=notes)


def _check_one(text: str, default_region: str) -> PhoneCheck:
    if _is_placeholder(text):
        return _fail("phone_placeholder")
    digits, plus = _extract(text)
    if not digits:
        # Text without a single digit ("đang hỏi lại") carries no number at all.
        return _fail("phone_placeholder" if not any(c.isalpha() for c in text) else "phone_invalid")
    if _is_repeated(digits):
        return _fail("phone_repeated_digits")
    if _is_sequential(digits):
        return _fail("phone_sequential")
    if len(digits) < 8:
        return _fail("phone_too_short")
    intl = _international(digits, plus, default_region)
    try:
        if intl is None:
            number = phonenumbers.parse(digits, default_region)
        elif intl.startswith("84"):
            return _check_vn(intl[2:], (), default_region)
        else:
            number = phonenumbers.parse("+" + intl)
    except NumberParseException:
        return _fail("phone_invalid")
    return _check_parsed(number, (), default_region)


def normalize_phone(raw: str | None, default_region: str = "VN") -> PhoneCheck:
    """Normalise a raw phone cell to E.164, or say why it is not a usable number."""
    if raw is None:
        return _fail("phone_missing")
    # NFC so Vietnamese placeholders typed on macOS (decomposed accents) still match.
    text = unicodedata.normalize("NFC", str(raw)).strip()
    if not text:
        return _fail("phone_missing")
    if _is_placeholder(text):
        return _fail("phone_placeholder")
    default_region = default_region.upper()
    # Only pieces with digits are candidates: "0901234567 (Zalo/Viber)" holds one number, not two.
    numbered = [part for part in _split(text) if any(c.isdigit() for c in part)]
    parts = numbered or _split(text) or [text]
    checks = [_check_one(part, default_region) for part in parts]
    multiple = ("phone_multiple",) if len(numbered) > 1 else ()
    for check in checks:
        if check.reason is None:
            return PhoneCheck(check.e164, check.region, check.kind, None, check.notes + multiple)
    if len(parts) > 1:
        # The split may have cut one number apart ("0901 - 234 - 567"); try the cell as a whole.
        whole = _check_one(text, default_region)
        if whole.reason is None:
            return whole
    first = checks[0]
    return _fail(first.reason or "phone_invalid", first.notes + multiple)
