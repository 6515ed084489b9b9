"""Phone number normalisation for lead intake: messy spreadsheet cells in, one E.164 number out."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, replace

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from scoring.cells import extract, is_placeholder, plain_number, read_scientific, split
from scoring.numbering import MOBILE_PREFIXES, classify_vn


@dataclass(frozen=True, slots=True)
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

_SEQ_UP = "01234567890"
_SEQ_DOWN = "09876543210"

_LANDLINE = ("phone_landline",)
_SCIENTIFIC_NOTE = ("phone_sci_notation",)
_CONVERTED = ("phone_converted_2018",)

_KIND = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
}


# What the frozen dataclass's own __init__ does, minus its per-field global and attribute look-ups.
_new = object.__new__
_set = object.__setattr__


def _usable_check(e164: str, region: str, kind: str, notes: tuple[str, ...]) -> PhoneCheck:
    """PhoneCheck(e164, region, kind, None, notes), built by hand: it runs for most rows of an import, and the
    generated __init__ costs a third of the quick path. The tests check both constructions give equal objects."""
    check = _new(PhoneCheck)
    _set(check, "e164", e164)
    _set(check, "region", region)
    _set(check, "kind", kind)
    _set(check, "reason", None)
    _set(check, "notes", notes)
    return check


@functools.cache
def _fail(reason: str, notes: tuple[str, ...] = ()) -> PhoneCheck:
    # A handful of distinct failures: share one frozen instance of each.
    return PhoneCheck(e164=None, region=None, kind=None, reason=reason, notes=notes)


def _is_repeated(digits: str) -> bool:
    # Counting (not just a run) also catches "0999999990"-style fillers. A digit seen 8 times leaves at most
    # n - 8 other digits, which rules out almost every real number before any counting.
    n = len(digits)
    return n >= 8 and len(set(digits)) <= n - 7 and max(map(digits.count, set(digits))) >= 8


def _is_sequential(digits: str) -> bool:
    # Whole-string match only: a real number such as 0901234567 contains a long run but is not a sequence.
    return len(digits) >= 8 and (digits in _SEQ_UP or digits in _SEQ_DOWN)


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


def _check_vn(national: str, notes: tuple[str, ...], default_region: str, fast: bool) -> PhoneCheck:
    # "+84 0901 234 567" and "840901234567" repeat the trunk zero.
    national = national[1:] if national.startswith("0") and len(national) > 9 else national
    if _is_repeated(national):
        return _fail("phone_repeated_digits", notes)
    if _is_sequential(national):
        return _fail("phone_sequential", notes)
    if len(national) == 10 and national[:3] in OLD_MOBILE_PREFIXES:
        national = OLD_MOBILE_PREFIXES[national[:3]] + national[3:]
        notes += ("phone_converted_2018",)
    known = classify_vn(national) if fast else None
    if known is not None:
        # The prefix table settles it without building a phonenumbers object (the bulk of intake's time).
        kind, reason = known
        if reason is not None:
            return _fail(reason, notes)
        if kind == "landline":
            notes += ("phone_landline",)
        if default_region != "VN":
            notes += ("phone_foreign",)
        return _usable_check("+84" + national, "VN", kind, notes)
    number = phonenumbers.parse("+84" + national)
    if not phonenumbers.is_valid_number(number):
        # phonenumbers is lenient on VN lengths, so judge "too short" from the leading digit ourselves.
        first = national[:1]
        short = (first in "35789" and len(national) < 9) or (first == "2" and len(national) < 10)
        return _fail("phone_too_short" if short else "phone_invalid", notes)
    return _usable(number, notes, default_region)


def _check_parsed(number: phonenumbers.PhoneNumber, notes: tuple[str, ...], default_region: str) -> PhoneCheck:
    national = str(number.national_number)
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


def _check_digits(digits: str, plus: bool, default_region: str, fast: bool) -> PhoneCheck:
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
            return _check_vn(intl[2:], (), default_region, fast)
        else:
            number = phonenumbers.parse("+" + intl)
    except NumberParseException:
        return _fail("phone_invalid")
    if number.country_code == 84:
        return _check_vn(str(number.national_number), (), default_region, fast)
    return _check_parsed(number, (), default_region)


def _check_one(text: str, default_region: str, fast: bool) -> PhoneCheck:
    if is_placeholder(text):
        return _fail("phone_placeholder")
    digits, plus = extract(text)
    if not digits:
        # Text without a single digit ("đang hỏi lại") carries no number at all.
        return _fail("phone_invalid" if any(map(str.isalpha, text)) else "phone_placeholder")
    if fast and default_region == "VN" and digits.isascii():
        return _check_digits_fast(digits, plus)
    return _check_digits(digits, plus, default_region, fast)


def _check_scientific(digits: str | None, reason: str | None, default_region: str, fast: bool) -> PhoneCheck:
    if digits is None:
        return _fail(reason or "phone_invalid", () if reason == "phone_sci_notation_lossy" else _SCIENTIFIC_NOTE)
    if fast and default_region == "VN" and digits.isascii():
        check = _check_digits_fast(digits, False)
    else:
        check = _check_digits(digits, False, default_region, fast)
    notes = _SCIENTIFIC_NOTE + check.notes
    if check.reason is not None:
        return _fail(check.reason, notes)
    return replace(check, notes=notes)


def _check_digits_fast(digits: str, plus: bool) -> PhoneCheck:
    """_check_digits(digits, plus, "VN", True) for ASCII digits, with the shapes most rows have settled inline:
    0xx mobile, (+)84 mobile, a mobile without its zero, an old 11-digit mobile, a 02x landline."""
    n = len(digits)
    if n == 10 and not plus and digits[0] == "0" and digits[1] != "0":
        national = digits[1:]
    elif n == 11 and digits[0] == "8" and digits[1] == "4":
        national = digits[2:]
    elif n == 9 and not plus:
        national = digits
    elif n == 11 and not plus and digits[0] == "0" and (digits[1] == "1" or digits[1] == "2"):
        national = digits[1:]
    else:
        return _check_digits(digits, plus, "VN", True)
    # With more than n - 7 distinct digits no digit appears 8 times, in the cell or in its national part;
    # a sequence in the cell is one in its national part too.
    if len(set(digits)) <= n - 7 or national in _SEQ_UP or national in _SEQ_DOWN:
        return _check_digits(digits, plus, "VN", True)
    if len(national) == 9 and national[:3] in MOBILE_PREFIXES:
        # _usable_check inlined: most rows of an import end here.
        check = _new(PhoneCheck)
        _set(check, "e164", "+84" + national)
        _set(check, "region", "VN")
        _set(check, "kind", "mobile")
        _set(check, "reason", None)
        _set(check, "notes", ())
        return check
    notes: tuple[str, ...] = ()
    if len(national) == 10:
        new = OLD_MOBILE_PREFIXES.get(national[:3])
        if new is not None:
            national = new + national[3:]
            notes = _CONVERTED
            if national[:3] in MOBILE_PREFIXES:
                return _usable_check("+84" + national, "VN", "mobile", notes)
    known = classify_vn(national)
    if known is None:
        return _check_digits(digits, plus, "VN", True)
    kind, reason = known
    if reason is not None:
        return _fail(reason, notes)
    return _usable_check("+84" + national, "VN", kind, notes + _LANDLINE if kind == "landline" else notes)


@functools.lru_cache(maxsize=4096)
def _general(text: str, default_region: str, fast: bool) -> PhoneCheck:
    # Cached: the cells that come this way are mostly a few placeholders ("#N/A", "null", "0909xxxxxx") repeated.
    return _normalize(text, default_region, fast)


def _normalize(raw: object, default_region: str, fast: bool) -> PhoneCheck:
    if raw is None:
        return _fail("phone_missing")
    text = str(raw)
    default_region = default_region.upper()
    # NFC so Vietnamese placeholders typed on macOS (decomposed accents) still match.
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return _fail("phone_missing")
    if is_placeholder(text):
        return _fail("phone_placeholder")
    scientific = read_scientific(text)
    if scientific is not None:
        return _check_scientific(*scientific, default_region, fast)
    # Only pieces with digits are candidates: "0901234567 (Zalo/Viber)" holds one number, not two.
    numbered = [part for part in split(text) if any(map(str.isdigit, part))]
    parts = numbered or split(text) or [text]
    multiple = ("phone_multiple",) if len(numbered) > 1 else ()
    checks = []
    for part in parts:
        check = _check_one(part, default_region, fast)
        if check.reason is None:
            if not multiple:
                return check
            return replace(check, notes=check.notes + multiple)
        checks.append(check)
    if len(parts) > 1:
        # The split may have cut one number apart ("0901 - 234 - 567"); try the cell as a whole.
        whole = _check_one(text, default_region, fast)
        if whole.reason is None:
            return whole
    first = checks[0]
    return _fail(first.reason or "phone_invalid", first.notes + multiple)


def normalize_phone(raw: str | None, default_region: str = "VN") -> PhoneCheck:
    """Normalise a raw phone cell to E.164, or say why it is not a usable number."""
    if type(raw) is not str:
        if raw is None:
            return _fail("phone_missing")
        raw = str(raw)  # a spreadsheet's number cell: 901234567, 84912345678.0
    if raw.isascii() and (default_region == "VN" or default_region.upper() == "VN"):
        text = raw.strip()
        if text.isdigit() and 2 <= len(text) <= 14:
            return _check_digits_fast(text, False)  # bare digits, the commonest cell
        read = plain_number(text)
        if read is not None:
            return _check_digits_fast(*read)
    return _general(raw, default_region, True)


def normalize_phone_reference(raw: str | None, default_region: str = "VN") -> PhoneCheck:
    """normalize_phone without the quick path or the prefix table: phonenumbers judges every number."""
    return _normalize(raw, default_region, False)
