"""The Flask extension: esgscreen's API, pages and documentation mounted in a host app.

    from esgscreen import ESGScreen
    ESGScreen(app)                           # or: ext = ESGScreen(); ext.init_app(app)

Everything is served under ``url_prefix`` (default ``/esg``; ``create_app`` uses ``""``). The
settings are the host's ``app.config`` keys ``ESGSCREEN_<NAME>`` (``ESGSCREEN_DATABASE_URL``,
``ESGSCREEN_PUBLIC_READ``, …), falling back to the environment variables of the same name. The
host keeps its own routes, error handlers, session interface and logging: esgscreen's error
pages, CSRF checks, security headers and template context apply only under its prefix, and its
signed-in user lives under its own session key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Flask

from esgscreen import edge, settings
from esgscreen.api import openapi, problems
from esgscreen.extensions import init_limiter, init_services
from esgscreen.version import __version__

SETTING_PREFIX = "ESGSCREEN_"
DEFAULT_URL_PREFIX = "/esg"
# flask-smorest reads its own options under this prefix, so a host's Api keeps its own.
API_CONFIG_PREFIX = "ESGSCREEN_"


def host_settings(app: Flask) -> dict[str, Any]:
    """The service's settings for ``app`` as config keys: its ``ESGSCREEN_*`` keys over the
    environment's ``ESGSCREEN_*`` variables."""
    values = settings.from_env()
    for name in list(values):
        key = SETTING_PREFIX + name
        if key in app.config:
            values[name] = app.config[key]
    return values


def normalise_prefix(prefix: str) -> str:
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    return prefix


class ESGScreen:
    """esgscreen as a Flask extension (see the module's docstring)."""

    def __init__(self, app: Flask | None = None, *, url_prefix: str | None = None,
                 config: Mapping[str, Any] | None = None) -> None:
        self.url_prefix = url_prefix
        self.config = config
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, *, url_prefix: str | None = None,
                 config: Mapping[str, Any] | None = None) -> None:
        """Mount the service in ``app``. ``config`` (unprefixed names) replaces the settings
        read from ``app.config``; ``create_app`` hands in the app's own config."""
        if url_prefix is None:
            url_prefix = self.url_prefix
        if url_prefix is None:
            url_prefix = app.config.get(SETTING_PREFIX + "URL_PREFIX", DEFAULT_URL_PREFIX)
        prefix = normalise_prefix(url_prefix)
        values = config if config is not None else self.config
        if values is None:
            values = host_settings(app)
        chosen = settings.Settings.from_config(values)
        if not chosen.database_url:
            chosen = replace(chosen, database_url=settings.default_database_url(
                app.instance_path))
        app.extensions["esgscreen.prefix"] = prefix
        app.extensions["esgscreen.ext"] = self

        init_services(app, chosen)
        edge.init_app(app)
        init_limiter(app)
        api = _init_api(app, prefix)
        _register_blueprints(app, api, prefix)

        from esgscreen import web
        from esgscreen.web import docs

        web.init_app(app, prefix)
        docs.init_app(app, prefix)



def _init_api(app: Flask, prefix: str) -> problems.ProblemApi:
    for key, value in {
        "API_TITLE": "esgscreen",
        "API_VERSION": __version__,
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": prefix + "/",
        "OPENAPI_JSON_PATH": "openapi.json",
    }.items():
        app.config.setdefault(API_CONFIG_PREFIX + key, value)
    # flask-smorest keeps one OpenAPI document per Api, so each app gets its own.
    api = problems.ProblemApi(app, config_prefix=API_CONFIG_PREFIX,
                              extra_plugins=[openapi.OperationsPlugin(prefix)],
                              completed_by=openapi.complete_components)
    app.extensions["esgscreen.api"] = api
    return api


def _register_blueprints(app: Flask, api: problems.ProblemApi, prefix: str) -> None:
    from esgscreen.api import (
        compliance,
        curation,
        entities,
        exports,
        health,
        screen,
        watches,
        watchlist,
        yente,
    )

    app.register_blueprint(health.blp, url_prefix=prefix)
    app.register_blueprint(compliance.metrics_blp, url_prefix=prefix)
    for module in (screen, entities, watchlist, exports, curation, compliance, watches, yente):
        api.register_blueprint(module.blp, url_prefix=prefix + (module.blp.url_prefix or ""))
