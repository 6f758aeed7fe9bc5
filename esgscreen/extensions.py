"""Extension instances and the services a request uses, bound to the app in the factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from esgscreen.core.policy import Policy
from esgscreen.service.monitoring import Monitor, Settings
from esgscreen.service.policies import DEFAULT_POLICY, load_policies
from esgscreen.service.ratelimit import RateLimiter
from esgscreen.service.snapshots import SnapshotCache
from esgscreen.store.db import Store


class UnknownPolicy(LookupError):
    pass


@dataclass
class Services:
    store: Store
    snapshots: SnapshotCache
    policies: dict[str, Policy]
    monitor: Monitor

    def policy(self, policy_id: str | None) -> Policy:
        if not policy_id:
            return self.policies[DEFAULT_POLICY]
        try:
            return self.policies[policy_id]
        except KeyError:
            known = ", ".join(sorted(self.policies))
            raise UnknownPolicy(f"Unknown policy {policy_id!r}; known policies: {known}.") from None


def init_services(app: Flask) -> Services:
    store = Store(app.config["DATABASE_URL"])
    policies_file = app.config.get("POLICIES_FILE") or Path(app.config["WATCHLIST_DIR"]) / (
        "policies.yaml"
    )
    snapshots = SnapshotCache(store, app.config["VERSION_CHECK_INTERVAL"],
                              app.config.get("SETTLE_SNAPSHOTS", True))
    policies = load_policies(Path(policies_file))
    monitor = Monitor(store, snapshots, policies, DEFAULT_POLICY,
                      Settings.from_config(app.config))
    services = Services(store, snapshots, policies, monitor)
    app.extensions["esgscreen"] = services
    return services


def init_limiter(app: Flask) -> RateLimiter:
    limiter = RateLimiter(app.config["RATE_LIMIT"], app.config["RATE_LIMIT_STORAGE"])
    app.extensions["esgscreen.limiter"] = limiter
    return limiter


class LazyCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests with no cookie
    (every API call)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)


def services() -> Services:
    return current_app.extensions["esgscreen"]
