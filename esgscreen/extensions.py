"""Extension instances and the services a request uses, bound to the app in the factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, Response, current_app, g
from flask import request as flask_request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from esgscreen.core.policy import Policy
from esgscreen.service.dispositions import DispositionBook
from esgscreen.service.metrics import rate_limited
from esgscreen.service.monitoring import Monitor
from esgscreen.service.policies import DEFAULT_POLICY, UnknownPolicy, load_policies
from esgscreen.service.ratelimit import RateLimiter, Verdict
from esgscreen.service.screening import AnswerCache
from esgscreen.service.screenlog import ScreeningLog
from esgscreen.service.snapshots import SnapshotCache
from esgscreen.settings import Settings
from esgscreen.store.db import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    snapshots: SnapshotCache
    policies: dict[str, Policy]
    answers: AnswerCache
    dispositions: DispositionBook
    screenlog: ScreeningLog
    monitor: Monitor

    def policy(self, policy_id: str | None) -> Policy:
        if not policy_id:
            return self.policies[DEFAULT_POLICY]
        try:
            return self.policies[policy_id]
        except KeyError:
            known = ", ".join(sorted(self.policies))
            raise UnknownPolicy(f"Unknown policy {policy_id!r}; known policies: {known}.") from None


def init_services(app: Flask, settings: Settings) -> Services:
    store = Store(settings.database_url)
    policies_file = settings.policies_file or Path(settings.watchlist_dir) / "policies.yaml"
    answers = AnswerCache(settings.answer_cache_size)
    snapshots = SnapshotCache(store, settings.version_check_interval, settings.settle_snapshots,
                              settings.review_due_years)
    policies = load_policies(Path(policies_file))
    services = Services(
        settings,
        store,
        snapshots,
        policies,
        answers,
        DispositionBook(store, settings.version_check_interval),
        ScreeningLog(store, enabled=settings.screening_log,
                     flush_seconds=settings.screening_log_flush_seconds,
                     flush_size=settings.screening_log_flush_size, answers=answers),
        Monitor(store, snapshots, policies, DEFAULT_POLICY, settings),
    )
    app.extensions["esgscreen"] = services
    return services


def init_limiter(app: Flask) -> RateLimiter:
    """The limiters: screening (API and pages) and sign-in attempts, both counted in
    rate_limit_storage; rate_limit "" turns both off."""
    settings = services_of(app).settings
    storage = settings.rate_limit_storage or "memory://"
    limiter = RateLimiter(settings.rate_limit, storage)
    app.extensions["esgscreen.limiter"] = limiter
    app.extensions["esgscreen.login_limiter"] = RateLimiter(
        settings.login_rate_limit if settings.rate_limit else "", storage)
    app.after_request(_rate_limit_headers)
    return limiter


def within_rate_limit(key: str, limiter: str = "esgscreen.limiter") -> Verdict | None:
    """Count this request for `key`; the verdict also goes into the answer's headers."""
    verdict = current_app.extensions[limiter].hit(key)
    g.rate_limit = verdict
    if verdict is not None and not verdict.allowed:
        rate_limited()
    return verdict


def _rate_limit_headers(response: Response) -> Response:
    verdict = g.get("rate_limit")
    if verdict is not None:
        headers = response.headers
        for name, value in verdict.headers():
            headers.add(name, value)
    return response


class LazyCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests with no cookie
    (every API call). The cookie is ``Secure`` whenever the request came over HTTPS (behind
    a proxy: see TRUSTED_PROXIES), or always with SESSION_COOKIE_SECURE."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or flask_request.is_secure


def services_of(app: Flask) -> Services:
    found: Services = app.extensions["esgscreen"]
    return found


def services() -> Services:
    """The services of the app handling the current request or command."""
    found: Services = current_app.extensions["esgscreen"]
    return found


def url_prefix() -> str:
    """Where the service is mounted in this app ("" at the root)."""
    return current_app.extensions.get("esgscreen.prefix", "")


def in_service() -> bool:
    """Whether this request is one of the service's (under its prefix)."""
    prefix = url_prefix()
    path = flask_request.path
    return not prefix or path == prefix or path.startswith(prefix + "/")
