"""The web pages: lookup, entity record, screening record, portfolio, sign-in.

``init_app`` wires them into the app: the blueprints, CSRF protection for every form (the
token-authenticated JSON API under ``/api/`` is left out), security headers with a
Content-Security-Policy on every HTML page, HTML error pages, and what every template needs.
Other page blueprints (curation) reuse ``templates/base.html``, ``auth.login_required`` and
``add_nav``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from esgscreen import __version__
from esgscreen.extensions import services, within_rate_limit
from esgscreen.web import present
from esgscreen.web.auth import current_user, may

log = logging.getLogger(__name__)

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
# Pages that screen or read the watchlist: rate-limited like the API.
SCREENING_PAGES = {"lookup.index", "lookup.suggest", "lookup.entity", "lookup.record",
                   "portfolio.results", "portfolio.download"}
# Form posts that may carry a whole portfolio back (the download form).
LARGE_FORMS = {"portfolio.download"}


def add_nav(app: Flask, endpoint: str, label: str, role: str = "screener") -> None:
    """Add a link to the main navigation, shown to those who may act as ``role``."""
    app.extensions.setdefault("esgscreen.nav", []).append((endpoint, label, role))


def init_app(app: Flask) -> None:
    from esgscreen.web import auth, curation, lookup, portfolio

    app.config.setdefault("WTF_CSRF_ENABLED", True)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day
    # CSRF is checked in _protect below, for every form outside the JSON API.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    csrf.init_app(app)
    app.before_request(_protect)
    app.after_request(_security_headers)

    for blueprint in (auth.bp, lookup.bp, portfolio.bp, curation.bp):
        app.register_blueprint(blueprint)
    add_nav(app, "lookup.index", "Lookup")
    add_nav(app, "portfolio.upload", "Portfolio")
    add_nav(app, "curation.queue", "Curation", role="curator")


    app.context_processor(_template_context)
    app.jinja_env.globals["words"] = present  # also seen by imported macros
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["number"] = _number


def _limit_screening() -> None:
    """Pages that screen count against the same limit as the API: per signed-in user, else
    per client address (the bucket an anonymous API client of that address uses too)."""
    user = current_user()
    verdict = within_rate_limit(f"user:{user.id}" if user else f"addr:{request.remote_addr}")
    if verdict is not None and not verdict.allowed:
        abort(429)


def _protect() -> None:
    endpoint = request.endpoint
    if endpoint in SCREENING_PAGES:
        _limit_screening()
    if endpoint in LARGE_FORMS:
        request.max_form_memory_size = services().settings.max_content_length
    if (request.method in current_app.config["WTF_CSRF_METHODS"]
            and current_app.config["WTF_CSRF_ENABLED"]
            and not request.path.startswith("/api/")):
        csrf.protect()


def _csp_exempt_paths() -> set[str]:
    """flask-smorest's documentation pages load their scripts from a CDN: left alone."""
    config = current_app.config
    prefix = (config.get("OPENAPI_URL_PREFIX") or "/").rstrip("/")
    return {
        prefix + "/" + str(config[key]).lstrip("/")
        for key in ("OPENAPI_REDOC_PATH", "OPENAPI_SWAGGER_UI_PATH", "OPENAPI_RAPIDOC_PATH")
        if config.get(key)
    }


def _security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype != "text/html":
        return response  # JSON, CSV, files: nothing in them runs or frames
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path not in _csp_exempt_paths():
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _template_context() -> dict[str, object]:
    nav = current_app.extensions.get("esgscreen.nav", [])
    return {
        "app_version": __version__,
        "current_user": current_user,
        "may": may,
        "nav_items": nav,
    }


def _when(value: datetime | str | None) -> str:
    """A moment as ``2025-05-01 14:03 UTC``."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"
