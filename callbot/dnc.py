"""The do-not-call list: opt-outs, the national list and manual entries; checked at intake and at dial time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from callbot.models import DoNotCall


def add(session: Session, phone_e164: str, reason: str, now: dt.datetime) -> None:
    """Put a number on the list (idempotent)."""
    if not is_listed(session, phone_e164):
        session.add(DoNotCall(phone_e164=phone_e164, reason=reason, created_at=now))
        session.flush()


def add_many(session: Session, numbers: Iterable[str], reason: str, now: dt.datetime) -> int:
    """Put numbers on the list (those already there are left alone); returns how many were added."""
    numbers = list(dict.fromkeys(numbers))
    listed = listed_among(session, numbers)
    fresh = [n for n in numbers if n not in listed]
    if fresh:
        session.execute(sa.insert(DoNotCall), [{"phone_e164": n, "reason": reason, "created_at": now} for n in fresh])
    return len(fresh)


def remove(session: Session, phone_e164: str) -> bool:
    """Take a number off the list; False when it was not on it."""
    return bool(session.execute(sa.delete(DoNotCall).where(DoNotCall.phone_e164 == phone_e164)).rowcount)


def is_listed(session: Session, phone_e164: str) -> bool:
    """Whether a number is on the list."""
    return session.scalar(sa.select(DoNotCall.id).where(DoNotCall.phone_e164 == phone_e164)) is not None


def listed_among(session: Session, numbers: Iterable[str]) -> set[str]:
    """The subset of `numbers` that is on the list (one query per 500 numbers)."""
    numbers = list(dict.fromkeys(numbers))
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        found.update(session.scalars(sa.select(DoNotCall.phone_e164).where(DoNotCall.phone_e164.in_(chunk))))
    return found


def entries(
    session: Session,
    phone_e164: str | None = None,
    *,
    digits: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[DoNotCall]:
    """A page of the list, newest first: only `phone_e164` when given (indexed), or numbers containing `digits`
    (a part of a number someone remembers)."""
    query = sa.select(DoNotCall).order_by(DoNotCall.created_at.desc(), DoNotCall.id.desc())
    if phone_e164 is not None:
        query = query.where(DoNotCall.phone_e164 == phone_e164)
    elif digits:
        query = query.where(DoNotCall.phone_e164.contains(digits, autoescape=True))
    return list(session.scalars(query.offset(offset).limit(limit)))


def count(session: Session) -> int:
    """How many numbers are on the list."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(DoNotCall)) or 0)
