"""Extension instances and the services a request uses, bound to the app in the factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Request, Response, current_app, g
from flask import request as flask_request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from esgscreen.core.policy import Policy
from esgscreen.service.policies import DEFAULT_POLICY, load_policies
from esgscreen.service.ratelimit import RateLimiter, Verdict
from esgscreen.service.snapshots import SnapshotCache
from esgscreen.store.db import Store


class UnknownPolicy(LookupError):
    pass


@dataclass
class Services:
    store: Store
    snapshots: SnapshotCache
    policies: dict[str, Policy]

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
    services = Services(
        store,
        SnapshotCache(store, app.config["VERSION_CHECK_INTERVAL"],
                      app.config.get("SETTLE_SNAPSHOTS", True)),
        load_policies(Path(policies_file)),
    )
    app.extensions["esgscreen"] = services
    return services


def init_limiter(app: Flask) -> RateLimiter:
    """The limiters: screening (API and pages) and sign-in attempts, both counted in
    RATE_LIMIT_STORAGE; RATE_LIMIT "" turns both off."""
    storage = app.config["RATE_LIMIT_STORAGE"] or "memory://"
    limiter = RateLimiter(app.config["RATE_LIMIT"], storage)
    app.extensions["esgscreen.limiter"] = limiter
    login_limit = app.config.get("LOGIN_RATE_LIMIT") or ""
    app.extensions["esgscreen.login_limiter"] = RateLimiter(
        login_limit if app.config["RATE_LIMIT"] else "", storage)
    app.after_request(_rate_limit_headers)
    return limiter


def within_rate_limit(key: str, limiter: str = "esgscreen.limiter") -> Verdict | None:
    """Count this request for `key`; the verdict also goes into the answer's headers."""
    verdict = current_app.extensions[limiter].hit(key)
    g.rate_limit = verdict
    return verdict


def _rate_limit_headers(response: Response) -> Response:
    verdict = g.get("rate_limit")
    if verdict is not None:
        response.headers.update(verdict.headers())
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


def services() -> Services:
    return current_app.extensions["esgscreen"]
