"""One database session per request: opened lazily, rolled back on error, closed at teardown."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session


def get_session() -> Session:
    """The request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["callbot.sessions"]()
    return g.db_session


def _close(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    if exc is not None:
        session.rollback()
    session.close()


def init_app(app: Flask) -> None:
    """Register the teardown that ends every request's session."""
    app.teardown_appcontext(_close)
