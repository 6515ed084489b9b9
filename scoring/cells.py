"""Phone cells as spreadsheets give them: placeholders, several numbers in one cell, the digits of one number."""

from __future__ import annotations

import re

# What an empty cell looks like after a spreadsheet or an export has been at it; each field adds its own words.
EMPTY_CELL = frozenset(
    {
        "",
        "#n/a",
        "#na",
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
        "#ref!",
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
PLACEHOLDER_WORDS = (EMPTY_CELL - {""}) | {
    "n/a",
    "na",
    "unknown",
    "---",
    "ko co",
    "không rõ",
    "khong ro",
    "chưa cập nhật",
    "đang cập nhật",
    "no",
    "no phone",
}

# "0909xxxxxx", "0909***": a masked number copied from an export that hid it.
_MASKED = re.compile(r"\d[\d\s.\-]*[xX*]{2,}|[xX*]{3,}\s*\d")
# Several numbers in one cell. A bare "-" is left alone because "0901-234-567" is one number.
_SEPARATORS = re.compile(r"\s*[/,;|\n]\s*|\s+-\s+|\s+(?:hoặc|hoac|or|và|va)\s+", re.IGNORECASE)
_NA = re.compile(r"#?\bn/a\b", re.IGNORECASE)
# What any _SEPARATORS match starts or ends with; most cells have none, and skip the costly split.
_MAY_SEPARATE = re.compile(r"[/,;|\n-]|\s[hov]", re.IGNORECASE)
# The number inside surrounding text ("SĐT: 0901 234 567 (Zalo)").
_NUMBER = re.compile(r"\+?\s*\(?\d[\d\s.\-()]*\d|\d")
# Excel/pandas turn a numeric cell into "901234567.0".
_FLOAT_TAIL = re.compile(r"^\s*\+?\d+\.0+\s*$")
# Excel shows a long number in a General cell as "8.4912345678E+10" (or "8,49…" under a Vietnamese locale),
# and a CSV saved from that view keeps only what was shown.
_SCIENTIFIC = re.compile(r"\+?([1-9])(?:[.,](\d+))?\s*[eE]\s*\+?(\d{1,2})")


def is_placeholder(text: str) -> bool:
    """True for a cell that stands for "no number": a placeholder word or a masked number."""
    low = text.strip().casefold()
    if low in PLACEHOLDER_WORDS:
        return True
    return ("x" in low or "*" in low) and _MASKED.search(text) is not None


def split(text: str) -> list[str]:
    """The pieces of a cell that may each hold a number."""
    # "#N/A" must survive the split on "/" to be recognised as a placeholder.
    if "/" in text and "n/a" in text.lower():
        text = _NA.sub("#NA", text)
    if _MAY_SEPARATE.search(text):
        parts = [p for p in _SEPARATORS.split(text) if p and p.strip()]
    else:
        parts = [text] if text.strip() else []
    out: list[str] = []
    for part in parts:
        # "0901234567 0912345678": whitespace splits only when every token is a whole number.
        tokens = part.split() if len(part) >= 19 else ()  # shorter parts cannot hold two 9-digit tokens
        if len(tokens) > 1 and all(sum(map(str.isdigit, t)) >= 9 for t in tokens):
            out.extend(tokens)
        else:
            out.append(part)
    return out


def extract(text: str) -> tuple[str, bool]:
    """Digits of the longest number-like run in text, and whether it was written with a leading '+'."""
    if "." in text and _FLOAT_TAIL.match(text):
        text = text.split(".")[0]
    runs = _NUMBER.findall(text)
    best = runs[0] if len(runs) == 1 else max(runs, key=lambda m: sum(map(str.isdigit, m)), default="")
    digits = best.replace(" ", "").replace(".", "").replace("-", "").replace("(", "").replace(")", "").replace("+", "")
    if not digits.isdigit():
        digits = "".join(filter(str.isdigit, best))  # tabs, line breaks or other spaces inside the run
    return digits, best.lstrip().startswith("+")


def read_scientific(text: str) -> tuple[str | None, str | None] | None:
    """For a cell in Excel's scientific notation, (digits, None) when every digit is there, else (None, reason);
    None for any other cell."""
    match = _SCIENTIFIC.fullmatch(text)
    if match is None:
        return None
    lead, fraction, exponent = match[1], match[2] or "", int(match[3])
    if len(fraction) < exponent:
        # "8.49123E+10": Excel rounded the number to six digits when it saved the file; the rest is gone.
        return None, "phone_sci_notation_lossy"
    if fraction[exponent:].strip("0"):
        return None, "phone_invalid"  # a fraction, so never a phone number
    return lead + fraction[:exponent], None


def plain_number(text: str) -> tuple[str, bool] | None:
    """The digits of a stripped ASCII cell of digits and separators, and whether it starts with '+', read without
    regexes; None for any other cell.

    It must read the cell exactly as the general path (split, then extract) does, so it declines whatever that
    path could read differently: " - " (which may separate two numbers), a '+' not directly before the number,
    tabs, letters, two numbers side by side. tests/scoring/test_phone_paths.py checks both paths agree.
    """
    if " - " in text:
        return None
    plus = text[:1] == "+"
    if plus:
        rest = text[1:].lstrip(" ")
        if rest[:1] == "(":
            rest = rest[1:]
        if not rest[:1].isdigit():
            return None
        text = text[1:]
    if "." in text:
        head, _, tail = text.partition(".")
        if tail and not tail.strip("0") and head.isdigit():
            text = head  # "901234567.0", as _FLOAT_TAIL reads it
    digits = text
    if not digits.isdigit():
        # A replace chain: str.translate with a deletion table is several times slower on short strings.
        digits = text.replace(" ", "").replace("-", "").replace(".", "").replace("(", "").replace(")", "")
        if not digits.isdigit():
            return None
    # Two digits at least ("0" is a placeholder word); at most 14, well short of two whole numbers side by side.
    return (digits, plus) if 2 <= len(digits) <= 14 else None
