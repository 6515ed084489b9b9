"""The HTTP delivery layer: `create_app()` builds the Flask app (webhooks, panel, telesales workspace)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from callbot.db import make_engine, make_sessionmaker
from callbot.settings import Settings

csrf = CSRFProtect()


def create_app(settings: Settings | None = None, *, engine: Engine | None = None, **overrides: Any) -> Flask:
    """Build the app from settings (read from the environment when not given), with optional overrides;
    `engine` lets a caller that owns the database engine (demo, tests) share it."""
    if settings is None:
        settings = Settings.from_env()
    if overrides:
        settings = settings.with_overrides(**overrides)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.extensions["callbot.settings"] = settings
    engine = engine or make_engine(settings.database_url)
    app.extensions["callbot.engine"] = engine
    app.extensions["callbot.sessions"] = make_sessionmaker(engine)
    if settings.trusted_proxies:
        # Twilio signs the public URL; behind a proxy we must rebuild it from X-Forwarded-* to check signatures.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)  # type: ignore[method-assign]

    from web import admin, api, auth, db, exports, i18n, panel, review, telesales, twilio_hooks

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    app.register_blueprint(twilio_hooks.bp)
    csrf.exempt(twilio_hooks.bp)  # Twilio cannot send a CSRF token; its requests are signed instead
    app.register_blueprint(auth.bp)
    app.register_blueprint(panel.bp)
    app.register_blueprint(telesales.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # token-authenticated JSON without cookies: nothing for CSRF to protect
    from web import models_panel  # issue 7: ranking models, admin only

    app.register_blueprint(models_panel.bp)
    from web import ops

    ops.init_app(app)  # /healthz (checks the database), /metrics, logs, webhook timing
    return app
