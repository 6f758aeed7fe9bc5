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

from flask import Blueprint, Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from esgscreen.extensions import in_service, services, url_prefix, within_rate_limit
from esgscreen.version import __version__
from esgscreen.web import present
from esgscreen.web.auth import current_user, may

log = logging.getLogger(__name__)

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
# The JSON APIs under the service's prefix.
TOKEN_API_PATHS = ("/api/", "/yente/")
# Pages that screen or read the watchlist: rate-limited like the API.
SCREENING_PAGES = {"lookup.index", "lookup.suggest", "lookup.entity", "lookup.record",
                   "portfolio.results", "portfolio.download"}
# Form posts that may carry a whole portfolio back (the download form).
LARGE_FORMS = {"portfolio.download"}


def add_nav(app: Flask, endpoint: str, label: str, role: str = "screener") -> None:
    """Add a link to the main navigation, shown to those who may act as ``role``."""
    app.extensions.setdefault("esgscreen.nav", []).append((endpoint, label, role))


def init_app(app: Flask, prefix: str = "") -> None:
    from esgscreen.web import auth, compliance, curation, lookup, portfolio

    app.config.setdefault("WTF_CSRF_ENABLED", True)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)  # a working day
    # CSRF is checked in _protect below, for the service's forms outside its JSON API; a host
    # that checks every form itself keeps doing so.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    app.before_request(_protect)
    app.after_request(_security_headers)

    # Stylesheets, scripts and templates, under the service's prefix.
    app.register_blueprint(Blueprint("esgscreen", __name__, static_folder="../static",
                                     static_url_path="/static",
                                     template_folder="../templates"),
                           url_prefix=prefix)
    for blueprint in (auth.bp, lookup.bp, portfolio.bp, curation.bp, compliance.bp):
        app.register_blueprint(blueprint, url_prefix=prefix + (blueprint.url_prefix or ""))
    add_nav(app, "lookup.index", "Lookup")
    add_nav(app, "portfolio.upload", "Portfolio")
    add_nav(app, "curation.queue", "Curation", role="curator")
    add_nav(app, "records.screenings", "Screenings")


    app.context_processor(_template_context)
    app.jinja_env.globals["words"] = present  # also seen by imported macros
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["number"] = _number
    app.jinja_env.filters["weight"] = present.format_weight


def _limit_screening() -> None:
    """Pages that screen count against the same limit as the API: per signed-in user, else
    per client address (the bucket an anonymous API client of that address uses too)."""
    user = current_user()
    verdict = within_rate_limit(f"user:{user.id}" if user else f"addr:{request.remote_addr}")
    if verdict is not None and not verdict.allowed:
        abort(429)


def _protect() -> None:
    if not in_service():
        return
    endpoint = request.endpoint
    if endpoint in SCREENING_PAGES:
        _limit_screening()
    if endpoint in LARGE_FORMS:
        request.max_form_memory_size = services().settings.max_content_length
    if (request.method in current_app.config["WTF_CSRF_METHODS"]
            and current_app.config["WTF_CSRF_ENABLED"]
            and not _token_api()):
        csrf.protect()


def _token_api() -> bool:
    """The JSON APIs (``/api/``, ``/yente/``) authenticate by key, not by cookie: no CSRF."""
    prefix = url_prefix()
    return request.path.startswith(tuple(prefix + path for path in TOKEN_API_PATHS))


def _security_headers(response: Response) -> Response:
    if not in_service():
        return response  # the host's own pages keep the host's headers
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype != "text/html":
        return response  # JSON, CSV, files: nothing in them runs or frames
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _template_context() -> dict[str, object]:
    if not in_service():
        return {}  # the host's templates keep their own names (current_user …)
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
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"
