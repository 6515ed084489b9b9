"""Sign-in, sign-out and roles for the panel (Flask-Login over our users table)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from callbot import users
from callbot.db import utcnow
from callbot.models import User
from web.db import get_session

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
F = TypeVar("F", bound=Callable[..., Any])


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
def login() -> str | Response:
    """Show the sign-in form; on success start a fresh session."""
    error = None
    if request.method == "POST":
        db = get_session()
        user = users.authenticate(db, request.form.get("email", ""), request.form.get("password", ""))
        users.audit(
            db,
            user.id if user else None,
            "sign_in" if user else "sign_in_failed",
            utcnow(),
            email=request.form.get("email", "")[:254],
        )
        db.commit()
        if user is not None:
            language = session.get("lang")
            session.clear()  # a new session on sign-in; only the chosen language carries over
            if language:
                session["lang"] = language
            login_user(PanelUser.of(user))
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
        user.session_version += 1
        users.audit(db, user.id, "sign_out", utcnow())
        db.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Bind Flask-Login to the app."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
