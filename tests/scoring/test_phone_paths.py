"""The quick path and the prefix table against phonenumbers: the same answer for every prefix and every format."""

import dataclasses
import random

import phonenumbers
import pytest

from scoring.numbering import LANDLINE_PREFIXES, MOBILE_PREFIXES, classify_vn
from scoring.phones import PhoneCheck, _usable_check, normalize_phone, normalize_phone_reference

KINDS = {phonenumbers.PhoneNumberType.MOBILE: "mobile", phonenumbers.PhoneNumberType.FIXED_LINE: "landline"}
SUFFIXES = ("0000000000", "9999999999", "1234567890", "5082746193")


def phonenumbers_says(national: str) -> tuple[str | None, str | None]:
    """What the reference path concludes about +84<national>: (kind, None) or (None, reason)."""
    number = phonenumbers.parse("+84" + national)
    if phonenumbers.is_valid_number(number):
        return KINDS.get(phonenumbers.number_type(number), "other"), None
    first = national[:1]
    short = (first in "35789" and len(national) < 9) or (first == "2" and len(national) < 10)
    return None, ("phone_too_short" if short else "phone_invalid")


def test_the_prefix_table_agrees_with_phonenumbers_on_every_prefix():
    decided = 0
    for prefix in (f"{i:03d}" for i in range(1000)):
        for length in range(4, 12):
            for suffix in SUFFIXES:
                national = (prefix + suffix)[:length]
                table = classify_vn(national)
                if table is not None:
                    decided += 1
                    assert table == phonenumbers_says(national), national
    # The table settles almost everything; only 0-led and a few 1/6/7-led service ranges go to phonenumbers.
    assert decided > 0.85 * 1000 * 8 * len(SUFFIXES)


def test_the_prefix_sets_are_what_phonenumbers_calls_mobile_and_landline():
    mobile = {p for p in (f"{i:03d}" for i in range(200, 1000)) if phonenumbers_says(p + "123456")[0] == "mobile"}
    landline = {p for p in (f"{i:03d}" for i in range(1000)) if phonenumbers_says(p + "1234567")[0] == "landline"}
    assert mobile == MOBILE_PREFIXES
    assert landline == LANDLINE_PREFIXES


def _formats(national: str, rng: random.Random) -> list[str]:
    """One national number written the ways lead files write it."""
    zero = "0" + national
    spaced = f"{zero[:4]} {zero[4:7]} {zero[7:]}"
    return [
        zero,
        national,
        "84" + national,
        "+84" + national,
        "0084" + national,
        "+84 0" + national,
        "840" + national,
        spaced,
        spaced.replace(" ", "."),
        spaced.replace(" ", "-"),
        f"({zero[:3]}) {zero[3:6]}-{zero[6:]}",
        f"(+84) {national[:3]} {national[3:]}",
        f"+84 ({national[:2]}) {national[2:]}",
        f"+ 84 {national}",
        f"+(84){national}",
        f"{national}.0",
        f"84{national}.00",
        f"+{zero}",
        f"  {zero}\t",
        f"{zero} - {national[:3]}",
        f"{zero[:4]} - {zero[4:7]} - {zero[7:]}",
        f"SĐT: {spaced}",
        f"ĐT {zero} (Zalo)",
        f"{zero} / 0{rng.choice(sorted(MOBILE_PREFIXES))}1234567",
        f"{zero}, {zero}",
        f"{zero} {zero}",
        f"{zero} hoặc 0912345678",
        f"8.4{national}E+10",
        f"8,4{national}E+10",
        f"{zero[1]}.{national[1:]}E+{len(national) - 1:02d}",
        zero[:-1],
        zero + "1",
        zero[:-2] + "xx",
    ]


def generated_cells() -> list[str]:
    rng = random.Random(84)
    cells = []
    for prefix in (f"{i:03d}" for i in range(1000)):
        length = rng.choice((8, 9, 9, 10, 10, 11))
        national = prefix + "".join(rng.choices("0123456789", k=length - 3))
        cells += rng.sample(_formats(national, rng), 5)
    # Every old 11-digit prefix, landline area code and junk shape.
    cells += [f"0{old}{rng.randrange(10**7):07d}" for old in ("162", "169", "120", "129", "186", "199", "100")]
    cells += [f"0{area}{'1234567890'[: 10 - len(area)]}" for area in sorted(LANDLINE_PREFIXES)]
    cells += [d * n for d in "0123456789" for n in (8, 9, 10, 11)]
    cells += ["0123456789", "0987654321", "84123456789", "840987654321", "+84 0000 000 000", "0", "00", "+", "+84"]
    # Fuzz: characters the quick path reads, in any order.
    cells += ["".join(rng.choices("0123456789     +-.()84", k=rng.randrange(1, 20))) for _ in range(1500)]
    return cells


CELLS = generated_cells()


def test_the_quick_path_gives_exactly_what_phonenumbers_gives():
    different = [
        (cell, fast, slow)
        for cell in CELLS
        if (fast := normalize_phone(cell)) != (slow := normalize_phone_reference(cell))
    ]
    assert different == []
    assert len(CELLS) > 4000


@pytest.mark.parametrize("region", ["US", "GB"])
def test_paths_agree_for_other_default_regions(region):
    for cell in CELLS[::7]:
        assert normalize_phone(cell, region) == normalize_phone_reference(cell, region), cell


def test_phonenumbers_is_left_for_the_odd_cells(monkeypatch):
    calls = []
    parse = phonenumbers.parse
    monkeypatch.setattr(phonenumbers, "parse", lambda *args: calls.append(args) or parse(*args))
    usable = sum(normalize_phone(cell).usable for cell in CELLS)
    # Foreign numbers, 0-led nationals (a tenth of the generated prefixes) and 1/6/7-led service ranges.
    assert len(calls) < 0.2 * len(CELLS)
    assert usable > 900


def test_the_fast_constructor_builds_an_ordinary_phone_check():
    built = _usable_check("+84912345678", "VN", "mobile", ("phone_multiple",))
    plain = PhoneCheck("+84912345678", "VN", "mobile", None, ("phone_multiple",))
    assert built == plain and hash(built) == hash(plain) and repr(built) == repr(plain)
    assert [getattr(built, f.name) for f in dataclasses.fields(PhoneCheck)] == list(dataclasses.astuple(plain))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.e164 = "x"  # type: ignore[misc]
