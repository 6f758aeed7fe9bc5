"""Extension instances and the services a request uses, bound to the app in the factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from esgscreen.core.policy import Policy
from esgscreen.service.policies import DEFAULT_POLICY, UnknownPolicy, load_policies
from esgscreen.service.ratelimit import RateLimiter
from esgscreen.service.screening import AnswerCache
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
    services = Services(
        settings,
        store,
        SnapshotCache(store, settings.version_check_interval, settings.settle_snapshots,
                      settings.review_due_years),
        load_policies(Path(policies_file)),
        AnswerCache(settings.answer_cache_size),
    )
    app.extensions["esgscreen"] = services
    return services


def init_limiter(app: Flask) -> RateLimiter:
    settings = services_of(app).settings
    limiter = RateLimiter(settings.rate_limit, settings.rate_limit_storage)
    app.extensions["esgscreen.limiter"] = limiter
    return limiter


class LazyCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests with no cookie
    (every API call)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


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
    return not prefix or request.path == prefix or request.path.startswith(prefix + "/")
