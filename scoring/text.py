"""Text folding for matching Vietnamese input typed or spoken with or without diacritics."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9' ]+")


def fold_text(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), turn punctuation into spaces and collapse whitespace."""
    text = text.lower().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(_NON_WORD.sub(" ", text).split())
