"""Masking personal data for people who may see figures but not whom they are about (viewers, other agents).

Pure functions, so the panel's pages and the exports hide the same characters the same way.
"""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """A phone number with its middle hidden: +8490*****67."""
    if not phone:
        return "—"
    if len(phone) < 9:  # too short to keep both ends: keep only the last two characters
        return "*" * max(1, len(phone) - 2) + phone[-2:]
    return phone[:5] + "*" * (len(phone) - 7) + phone[-2:]


def mask_name(name: str | None) -> str:
    """A name with only each word's first letter left: "Nguyễn Văn An" -> "N***** V** A*" (shape kept, person not)."""
    if not name or not name.strip():
        return "—"
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
