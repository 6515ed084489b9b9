"""Lead names: keep every real Vietnamese name shape, catch placeholders, fakes and keyboard mashes."""

from __future__ import annotations

import functools
import re
import unicodedata

from scoring.cells import EMPTY_CELL

# Left-overs of an empty cell or a failed export: nobody typed a name, so the name is missing.
_MISSING = EMPTY_CELL
# Whole-name matches, compared case-insensitively with diacritics kept ("An Danh" is a possible real name).
# Someone typed these to get past the form, so they make the lead suspect as a fake, not as missing.
# "Na" is a real given name, so only the spelled-out "n/a" is here.
_FAKE_NAMES = frozenset(
    {
        "n/a",
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
        "không rõ",
        "khong ro",
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
# "Nguyễn Văn A", "Trần Thị B": the textbook's placeholder person, a family name, the middle name Văn or Thị,
# and one Latin letter. "Giàng A Pháo" (a Hmong name with the middle name A) does not fit and stays real.
_PLACEHOLDER_MIDDLE = frozenset({"van", "thi"})
_PLACEHOLDER_LETTER = frozenset({"a", "b", "c", "x"})
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_VOWELS = frozenset("aeiouy")
# A Vietnamese syllable carries one tone mark at most; two in one word is a Telex keyboard mash ("ádsád").
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_NOTE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TRIPLE = re.compile(r"(.)\1\1")
_REPEATED_CHUNK = re.compile(r"(.{3,})\1+")
_APOSTROPHE_OR_HYPHEN = re.compile(r"(['\-])")


def fold_name(text: str) -> str:
    """Lower-case ASCII form of a name: diacritics dropped, "đ" read as "d"."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


def _cap(word: str) -> str:
    # Capitalise each piece after an apostrophe or hyphen too: "h'hen" -> "H'Hen" (Ê Đê names).
    return "".join(p[:1].upper() + p[1:].lower() for p in _APOSTROPHE_OR_HYPHEN.split(word))


# The words of names repeat far more than whole names (a few hundred family, middle and given names), so the
# per-word work is cached too.
@functools.lru_cache(maxsize=1 << 14)
def _clean_word(word: str) -> str | None:
    """The word with its case fixed, or None when it is a keyboard mash or a fake word."""
    if _is_mash(word):
        return None
    # Leave deliberate mixed case ("McCain") alone; fix only ALL CAPS and all lower.
    if word.isupper() or word.islower():
        return _cap(word)
    return word[:1].upper() + word[1:]


def _is_mash(word: str) -> bool:
    if sum(c in _TONE_MARKS for c in unicodedata.normalize("NFD", word)) > 1:
        return True
    plain = fold_name(word).replace("'", "").replace("-", "").replace(".", "")
    if not plain:
        return False
    if plain in _FAKE_WORDS or _TRIPLE.search(plain):
        return True
    if len(plain) >= 4 and any(plain in row for row in _KEYBOARD_ROWS):
        return True
    if _REPEATED_CHUNK.fullmatch(plain):  # "asdasd", "abcabc"
        return True
    # No Vietnamese (or minority-language) syllable is four consonants with no vowel.
    return len(plain) >= 4 and plain.isascii() and not (_VOWELS & set(plain))


def _is_textbook_placeholder(words: list[str]) -> bool:
    return len(words) == 3 and words[2].casefold() in _PLACEHOLDER_LETTER and fold_name(words[1]) in _PLACEHOLDER_MIDDLE


# Intake files repeat the same names thousands of times; cleaning is pure, so each distinct cell is done once.
# 32k entries (about 10 MB) hold the distinct names of a 200k-row file.
@functools.lru_cache(maxsize=1 << 15)
def clean_name(raw: str | None) -> tuple[str | None, str | None]:
    """Cleaned display name (NFC) and a reason code ("name_missing" / "name_fake") or None."""
    text = raw or ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "’" in text or "‘" in text or "ʼ" in text or "`" in text:
        text = text.translate(_APOSTROPHES)  # checked first: translate is slow on every short string
    if "(" in text or "[" in text:
        # A note in brackets is not part of the name: "Lan (chị gái)" -> "Lan".
        text = _NOTE.sub(" ", text)
    words = text.split()
    folded = " ".join(words).casefold()
    if folded in _MISSING:
        return None, "name_missing"
    if not "".join(words).isalpha():
        # Digits, an email or a link where the name should be: someone typed anything to pass the form.
        if any(c.isdigit() for c in folded) or "@" in folded or "www." in folded:
            return None, "name_fake"
        if folded in _FAKE_NAMES:
            return None, "name_fake"
        # Drop emoji and decoration; keep letters, combining marks and the punctuation names really use.
        kept = "".join(c if c.isalpha() or unicodedata.category(c)[0] == "M" or c in " '-." else " " for c in text)
        words = [w for w in (w.strip("'-.") for w in kept.split()) if w]
        if not words:
            return None, "name_fake"
        folded = " ".join(words).casefold()
    cleaned = [_clean_word(w) for w in words]
    if None in cleaned or "http" in folded or folded in _FAKE_NAMES or _is_textbook_placeholder(words):
        return None, "name_fake"
    return " ".join(cleaned), None  # type: ignore[arg-type]  # no None left
