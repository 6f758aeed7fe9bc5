"""The standalone application: a thin host that mounts the extension at the root."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from esgscreen import edge, logs, settings
from esgscreen.api import problems
from esgscreen.extensions import LazyCookieSessions
from esgscreen.plugin import ESGScreen


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The service on its own. ``config`` takes the unprefixed setting names of
    ``settings.from_env`` (over the environment's ``ESGSCREEN_*`` variables)."""
    app = Flask(__name__, instance_relative_config=False, static_folder=None)
    app.config.update(settings.from_env())
    if config:
        app.config.update(config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = settings.default_database_url(app.instance_path)
    if not app.config["SECRET_KEY"]:
        # Sessions then last one process; set ESGSCREEN_SECRET_KEY in production.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    logs.configure(str(app.config["LOG_LEVEL"]).upper())
    app.config["JSON_SORT_KEYS"] = False
    provider = DefaultJSONProvider(app)
    provider.sort_keys = False
    app.json = provider
    app.session_interface = LazyCookieSessions()

    # The app's own config is the service's settings: the whole app is the service.
    ESGScreen(app, url_prefix="", config=app.config)
    edge.trust_proxies(app)
    # As the host, it answers every other error (unknown paths too) as problem+json.
    problems.register_error_handlers(app)
    return app
