"""Sign-in, sign-out and roles for the panel (Flask-Login over our users table), sign-in throttling, idle and
absolute session timeouts, and the security headers of every response."""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from callbot import users
from callbot.db import utcnow
from callbot.models import User
from web.db import get_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
F = TypeVar("F", bound=Callable[..., Any])
# No inline script or style anywhere (templates, server-drawn SVG): scripts, styles and requests only from us.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
SEEN_EVERY = 60  # seconds: how stale the session's "last seen" may get before the cookie is rewritten


@dataclass(frozen=True)
class PanelUser:
    """The signed-in user as Flask-Login sees it; the id embeds the session version so sign-out revokes."""

    id: int
    email: str
    name: str
    role: str
    session_version: int
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @classmethod
    def of(cls, user: User) -> PanelUser:
        return cls(user.id, user.email, user.name, user.role, user.session_version)


@login_manager.user_loader
def _load(user_key: str) -> PanelUser | None:
    user_id, _, version = user_key.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_session().get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return PanelUser.of(user)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow a view only to signed-in users with one of `roles` (403 for the others)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Show the sign-in form; on success start a fresh session. Too many failures for the account or from the
    address within 15 minutes: refused (429) without checking the password, until the oldest one is 15 minutes old."""
    error = None
    if request.method == "POST":
        db = get_session()
        email = request.form.get("email", "")[:254]
        address = request.remote_addr or ""
        now = utcnow()
        wait = users.sign_in_wait(db, email, address, now)
        if wait is not None:
            users.audit(db, None, "sign_in_throttled", now, email=email, minutes=math.ceil(wait.total_seconds() / 60))
            db.commit()
            return render_template("login.html", error="sign_in_throttled"), 429
        user = users.authenticate(db, email, request.form.get("password", ""))
        users.audit(db, user.id if user else None, "sign_in" if user else "sign_in_failed", now, email=email)
        if user is None:
            users.record_sign_in_failure(db, email, address, now)
        else:
            users.clear_sign_in_failures(db, email)
        db.commit()
        if user is not None:
            language = session.get("lang")
            session.clear()  # a new session on sign-in; only the chosen language carries over
            if language:
                session["lang"] = language
            login_user(PanelUser.of(user))
            session.permanent = True  # the cookie lasts the absolute timeout, not the browser's life
            session["signed_in_at"] = session["seen_at"] = int(time.time())
            return redirect(url_for("panel.home"))
        error = "bad_login"
    return render_template("login.html", error=error)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out everywhere: bump the session version so every old cookie stops working."""
    db = get_session()
    user = db.get(User, current_user.id)
    if user is not None:
        users.sign_out_everywhere(user)
        users.audit(db, user.id, "sign_out", utcnow())
        db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def _expire_session() -> Response | None:
    """End a signed-in session idle longer than CALLBOT_SESSION_IDLE_MINUTES or older than
    CALLBOT_SESSION_MAX_HOURS (times kept in the signed cookie); otherwise note that it was seen now."""
    if "_user_id" not in session:
        return None
    settings = current_app.extensions["callbot.settings"]
    now = int(time.time())
    signed_in, seen = session.get("signed_in_at", 0), session.get("seen_at", 0)
    idle = now - seen > settings.session_idle_minutes * 60
    too_old = now - signed_in > settings.session_max_hours * 3600
    if idle or too_old:
        language = session.get("lang")
        logout_user()
        session.clear()
        if language:
            session["lang"] = language
        if request.blueprint in ("api", "twilio_hooks", "ops") or request.endpoint in ("static", "auth.login"):
            return None
        flash("session_expired")
        return redirect(url_for("auth.login"))
    if now - seen >= SEEN_EVERY:
        session["seen_at"] = now
    return None


def _security_headers(response: Response) -> Response:
    """OWASP's baseline headers on every response; HSTS only over HTTPS (as the proxy told us, with ProxyFix)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if "_user_id" in session and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"  # pages with personal data stay out of shared and browser caches
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Login; session cookie lifetime and name; timeouts and security headers on every request."""
    settings = app.extensions["callbot.settings"]
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=settings.session_max_hours)
    app.config["REMEMBER_COOKIE_DURATION"] = dt.timedelta(hours=settings.session_max_hours)
    if settings.session_cookie_secure:
        # The __Host- prefix: the browser keeps it only when Secure, for this host, on every path (OWASP ASVS).
        app.config["SESSION_COOKIE_NAME"] = "__Host-session"
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.before_request(_expire_session)
    app.after_request(_security_headers)
