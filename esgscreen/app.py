"""The application factory."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from esgscreen import __version__, edge, logs, settings
from esgscreen.api import problems
from esgscreen.extensions import LazyCookieSessions, init_limiter, init_services


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(settings.from_env())
    if config:
        app.config.update(config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = settings.default_database_url(app.instance_path)
    if not app.config["SECRET_KEY"]:
        # Sessions then last one process; set ESGSCREEN_SECRET_KEY in production.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    logs.configure(str(app.config["LOG_LEVEL"]).upper())
    app.config.update(
        API_TITLE="esgscreen",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="/docs",
        OPENAPI_REDOC_URL="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js",
        JSON_SORT_KEYS=False,
    )
    provider = DefaultJSONProvider(app)
    provider.sort_keys = False
    app.json = provider

    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    return app


def register_extensions(app: Flask) -> None:
    app.session_interface = LazyCookieSessions()
    init_services(app)
    edge.init_app(app)
    # flask-smorest keeps one OpenAPI document per Api, so each app gets its own.
    app.extensions["esgscreen.api"] = problems.ProblemApi(app)
    init_limiter(app)


def register_blueprints(app: Flask) -> None:
    from esgscreen.api import compliance, curation, entities, health, screen, watches, watchlist

    api = app.extensions["esgscreen.api"]
    app.register_blueprint(health.blp)
    app.register_blueprint(compliance.metrics_blp)
    for module in (screen, entities, watchlist, curation, compliance, watches):
        api.register_blueprint(module.blp)

    from esgscreen import web

    web.init_app(app)  # the pages: lookup, entity, record, portfolio, sign-in


def register_error_handlers(app: Flask) -> None:
    problems.register_error_handlers(app)
