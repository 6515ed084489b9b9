"""Vietnam's numbering plan as a prefix table: say whether a national number is mobile, landline or invalid."""

from __future__ import annotations

_DIGITS = "0123456789"


def _all(*heads: str) -> set[str]:
    # Every three-digit prefix that starts with one of the two-digit heads.
    return {head + d for head in heads for d in _DIGITS}


# Three leading national digits (trunk zero dropped) of a 9-digit mobile number. This is libphonenumber's view of
# the plan, which the slow path uses, so the two always agree; it is a little wider than what the carriers use
# today (Viettel 032-039, 086, 096-098; VinaPhone 081-085, 088, 091, 094; MobiFone 070, 076-079, 089, 090, 093;
# Vietnamobile 052, 056, 058, 092; Gmobile 059, 099; Itelecom 087; Reddi 055). tests/scoring checks every prefix
# against phonenumbers, so an update of its metadata that moves a prefix fails loudly.
MOBILE_PREFIXES: frozenset[str] = frozenset(
    _all("30", "31", "32", "33", "34", "35", "36", "37", "38", "39")
    | _all("51", "56", "58", "59")
    | {"522", "523", "528", "559"}
    | _all("70", "76", "77", "78", "79")
    | _all("81", "82", "83", "84", "85", "86", "87", "88")
    | {"896", "897", "898", "899"}
    | _all("90", "91", "92", "93", "94", "95", "96", "97", "98")
    | {"990", "991", "993", "994", "995", "996", "997", "998", "999"}
)

# Three leading national digits of a 10-digit landline: "2" and the province code, whose own length varies
# (024 Hà Nội and 028 TP.HCM take 8 subscriber digits, 0203-0299 take 7), so the total is always 10 digits.
LANDLINE_PREFIXES: frozenset[str] = frozenset(
    {f"20{d}" for d in "3456789"}
    | {f"21{d}" for d in "012345689"}
    | {f"22{d}" for d in "01256789"}
    | {f"23{d}" for d in "23456789"}
    | {f"24{d}" for d in "2345678"}
    | {f"25{d}" for d in "12456789"}
    | {f"26{d}" for d in "01239"}
    | {f"27{d}" for d in "01234567"}
    | {f"28{d}" for d in "23456789"}
    | {f"29{d}" for d in "01234679"}
)

_SERVICE_1 = frozenset({"120", "121", "122", "140", "160", "180", "190", "199"})
# "Too short" and "invalid" are told apart by the leading digit, exactly as scoring.phones does.
_MOBILE_LEADS = frozenset("35789")


def classify_vn(national: str) -> tuple[str | None, str | None] | None:
    """(kind, None) for a valid number, (None, reason) for an invalid one, None when the table cannot tell."""
    length = len(national)
    if not national.isascii() or length > 11:
        return None
    lead = national[:1]
    if lead == "2":
        if length == 10:
            return ("landline", None) if national[:3] in LANDLINE_PREFIXES else (None, "phone_invalid")
        return None, ("phone_too_short" if length < 10 else "phone_invalid")
    if lead in _MOBILE_LEADS:
        if length == 9:
            return ("mobile", None) if national[:3] in MOBILE_PREFIXES else (None, "phone_invalid")
        if lead == "7" and length == 7:
            return None  # 799xxxx is a short service number (UAN): leave it to phonenumbers.
        return None, ("phone_too_short" if length < 9 else "phone_invalid")
    if lead == "1":
        # Only these open a valid number (mobile 121x/140/160, toll-free 1800/120x/1228, premium 1900, 199x);
        # phonenumbers sorts those out, every other 1-led number is invalid.
        return None if national[:3] in _SERVICE_1 else (None, "phone_invalid")
    if lead == "6":
        return None if national[:2] == "69" or national[:3] == "672" else (None, "phone_invalid")  # UAN, VoIP
    if lead == "4":
        return None, "phone_invalid"  # no Vietnamese number starts with 4
    return None  # a leading 0 left after the trunk zero: phonenumbers' own prefix stripping decides
