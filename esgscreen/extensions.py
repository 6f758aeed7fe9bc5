"""Extension instances and the services a request uses, bound to the app in the factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from esgscreen.core.policy import Policy
from esgscreen.service.policies import DEFAULT_POLICY, UnknownPolicy, load_policies
from esgscreen.service.ratelimit import RateLimiter
from esgscreen.service.screening import AnswerCache
from esgscreen.service.snapshots import SnapshotCache
from esgscreen.store.db import Store


@dataclass
class Services:
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


def init_services(app: Flask, config: Mapping[str, Any]) -> Services:
    store = Store(config["DATABASE_URL"])
    policies_file = config.get("POLICIES_FILE") or Path(config["WATCHLIST_DIR"]) / (
        "policies.yaml"
    )
    services = Services(
        store,
        SnapshotCache(store, config["VERSION_CHECK_INTERVAL"],
                      config.get("SETTLE_SNAPSHOTS", True)),
        load_policies(Path(policies_file)),
        AnswerCache(config["ANSWER_CACHE_SIZE"]),
    )
    app.extensions["esgscreen"] = services
    return services


def init_limiter(app: Flask, config: Mapping[str, Any]) -> RateLimiter:
    limiter = RateLimiter(config["RATE_LIMIT"], config["RATE_LIMIT_STORAGE"])
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


def settings() -> Mapping[str, Any]:
    """The service's settings (unprefixed names): the app's config when it runs on its own,
    the host's ``ESGSCREEN_*`` keys when it is mounted in another app."""
    return current_app.extensions["esgscreen.config"]


def url_prefix() -> str:
    """Where the service is mounted in this app ("" at the root)."""
    return current_app.extensions.get("esgscreen.prefix", "")


def in_service() -> bool:
    """Whether this request is one of the service's (under its prefix)."""
    prefix = url_prefix()
    return not prefix or request.path == prefix or request.path.startswith(prefix + "/")
