"""Extension instances and the services a request uses, bound to the app in the factory."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, request
from flask_limiter import Limiter

from esgscreen.api.problems import ProblemApi
from esgscreen.core.policy import Policy
from esgscreen.policies import DEFAULT_POLICY, load_policies
from esgscreen.snapshots import SnapshotCache
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
        SnapshotCache(store, app.config["VERSION_CHECK_INTERVAL"]),
        load_policies(Path(policies_file)),
    )
    app.extensions["esgscreen"] = services
    return services


def init_api(app: Flask) -> ProblemApi:
    """flask-smorest keeps one OpenAPI document per Api, so each app gets its own."""
    api = ProblemApi(app)
    app.extensions["esgscreen.api"] = api
    return api


def _rate_key() -> str:
    """Limits count per API key when one is sent, else per client address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "key:" + hashlib.blake2b(header.encode(), digest_size=12).hexdigest()
    return "addr:" + (request.remote_addr or "unknown")


def init_limiter(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["RATE_LIMIT_STORAGE"])
    limits = [app.config["RATE_LIMIT"]] if app.config["RATE_LIMIT"] else []
    limiter = Limiter(
        _rate_key,
        app=app,
        default_limits=limits,
        enabled=bool(limits),
        default_limits_exempt_when=lambda: not request.path.startswith("/api/"),
    )
    app.extensions["esgscreen.limiter"] = limiter
    return limiter


def services() -> Services:
    return current_app.extensions["esgscreen"]
