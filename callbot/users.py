"""Panel users: creation, password hashing (argon2id), the password policy, sign-in checks and their throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from callbot.errors import CallbotError
from callbot.models import AuditLog, SignInFailure, User

ROLES = ("admin", "telesales", "viewer")
# OWASP ASVS level 2: argon2id with at least 19 MiB and t=2.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A hash to verify against when the e-mail is unknown, so that sign-in takes as long either way.
_DUMMY_HASH = _HASHER.hash("not a password")
# The password policy (OWASP ASVS 5.0 / NIST SP 800-63B): a minimum length, a maximum generous enough for
# passphrases, no composition rules, and none of the passwords every guessing list starts with.
MIN_PASSWORD = 8
MAX_PASSWORD = 128
COMMON_PASSWORDS = frozenset(
    """password password1 password123 passw0rd 12345678 123456789 1234567890 12345678910 87654321 11111111 00000000
    88888888 66666666 qwertyuiop qwerty123 qwerty12 1q2w3e4r 1qaz2wsx zaq12wsx abc12345 abcd1234 a1234567 admin123
    admin1234 administrator iloveyou welcome1 letmein1 sunshine football baseball superman princess trustno1
    matkhau matkhau1 matkhau123 matkhau@123 123456aa 123456abc anhyeuem anhyeuem1 emyeuanh vietnam1 vietnam123
    hanoi123 saigon123 callbot callbot1 callbot123 changeme""".split()
)
# Sign-in throttling: this many failures within the window stop further tries for the account, or the address
# (an IPv6 address counts by its /64, which one machine usually holds whole), until the oldest one leaves it.
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def create_user(session: Session, email: str, name: str, password: str, role: str, now: dt.datetime) -> User:
    """Create a user; e-mail is unique (case-insensitive), role one of ROLES, password at least 8 characters."""
    email = email.strip().lower()
    if role not in ROLES:
        raise CallbotError(f"role must be one of {', '.join(ROLES)}")
    check_password(password, email)
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


def check_password(password: str, email: str = "") -> None:
    """The password policy, in one place for creation and resets: 8 to 128 characters, not a common password, not
    one character repeated, not the e-mail address or its name part."""
    if len(password) < MIN_PASSWORD:
        raise CallbotError(f"password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise CallbotError(f"password must be at most {MAX_PASSWORD} characters")
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or len(set(folded)) == 1 or _is_run(folded):
        raise CallbotError("password is too common (one of the first tried by attackers): choose another")
    name = email.strip().casefold().partition("@")[0]
    if email and (folded == email.strip().casefold() or (len(name) >= 4 and name in folded)):
        raise CallbotError("password must not contain the e-mail address")


def _is_run(text: str) -> bool:
    """Consecutive characters up or down ("12345678", "abcdefgh", "98765432")."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


# ---- sign-in throttling --------------------------------------------------------------------------------------


def _key(scope: str, value: str) -> str:
    if scope == "address":
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            pass
        else:
            if address.version == 6:
                value = str(ipaddress.ip_network(f"{address}/64", strict=False))
    else:
        value = value.strip().lower()
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def sign_in_wait(session: Session, email: str, address: str, now: dt.datetime) -> dt.timedelta | None:
    """How long this account or address must wait before trying again (None: it may try now)."""
    since = now - THROTTLE_WINDOW
    waits = []
    for scope, value, limit in (
        ("account", email, MAX_FAILURES_PER_ACCOUNT),
        ("address", address, MAX_FAILURES_PER_ADDRESS),
    ):
        times = session.scalars(
            sa.select(SignInFailure.failed_at)
            .where(
                SignInFailure.scope == scope, SignInFailure.key == _key(scope, value), SignInFailure.failed_at > since
            )
            .order_by(SignInFailure.failed_at.desc())
            .limit(limit)
        ).all()
        if len(times) >= limit:
            waits.append(times[-1] + THROTTLE_WINDOW - now)  # when the oldest counted failure leaves the window
    return max(waits) if waits else None


def record_sign_in_failure(session: Session, email: str, address: str, now: dt.datetime) -> None:
    """Count a failed sign-in against the account and the address; forget failures older than the window."""
    session.execute(sa.delete(SignInFailure).where(SignInFailure.failed_at <= now - THROTTLE_WINDOW))
    for scope, value in (("account", email), ("address", address)):
        session.add(SignInFailure(scope=scope, key=_key(scope, value), failed_at=now))


def clear_sign_in_failures(session: Session, email: str) -> None:
    """A successful sign-in forgives the account's failures (not the address's: it may be guessing others)."""
    session.execute(
        sa.delete(SignInFailure).where(SignInFailure.scope == "account", SignInFailure.key == _key("account", email))
    )


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
    check_password(password, user.email)
    user.password_hash = _HASHER.hash(password)
    user.session_version += 1


def sign_out_everywhere(user: User) -> None:
    """End every session the user has, on every device (the cookie's session version no longer matches)."""
    user.session_version += 1
