"""Panel users: creation, password hashing (argon2id) and sign-in checks."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from callbot.errors import CallbotError
from callbot.models import AuditLog, User

ROLES = ("admin", "telesales", "viewer")
# OWASP ASVS level 2: argon2id with at least 19 MiB and t=2.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A hash to verify against when the e-mail is unknown, so that sign-in takes as long either way.
_DUMMY_HASH = _HASHER.hash("not a password")


def create_user(session: Session, email: str, name: str, password: str, role: str, now: dt.datetime) -> User:
    """Create a user; e-mail is unique (case-insensitive), role one of ROLES, password at least 8 characters."""
    email = email.strip().lower()
    if role not in ROLES:
        raise CallbotError(f"role must be one of {', '.join(ROLES)}")
    check_password(password)
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise CallbotError(f"a user with e-mail {email} exists already")
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=_HASHER.hash(password),
        role=role,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost whether or not the user exists)."""
    user = session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def audit(session: Session, user_id: int | None, action: str, now: dt.datetime, **detail: object) -> None:
    """Append one line to the audit log."""
    session.add(AuditLog(user_id=user_id, action=action, detail=dict(detail), created_at=now))


def check_password(password: str) -> None:
    """The password policy, in one place for creation and resets: at least 8 characters."""
    if len(password) < 8:
        raise CallbotError("password must be at least 8 characters")


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse a change that would leave the panel without an active admin (nobody could manage users then)."""
    others = session.scalar(
        sa.select(sa.func.count()).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise CallbotError("the last active admin cannot lose the admin role or be deactivated")


def change_role(session: Session, user: User, role: str) -> None:
    """Give a user another role (takes effect on their next request: roles are read from the database)."""
    if role not in ROLES:
        raise CallbotError(f"role must be one of {', '.join(ROLES)}")
    if user.role == "admin" and role != "admin":
        _keep_an_admin(session, user)
    user.role = role


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate (signed out on their next request, cannot sign in) or reactivate a user."""
    if not active and user.role == "admin" and user.active:
        _keep_an_admin(session, user)
    if not active:
        user.available = False  # a deactivated agent takes no transferred calls
    user.active = active


def reset_password(user: User, password: str) -> None:
    """Set a new password and end every session the user has (the cookie's session version no longer matches)."""
    check_password(password)
    user.password_hash = _HASHER.hash(password)
    user.session_version += 1
