"""Who may do what: API keys, roles and public reading, checked in one place.

Clients send ``Authorization: Bearer <key>``. A worker remembers a verified key for
``KEY_CACHE_SECONDS``, so a revoked key stops working within that time.
"""

from __future__ import annotations

import threading
import time

from flask import current_app, g, request
from flask_smorest import abort

from esgscreen.core.roles import role_allows
from esgscreen.extensions import services, within_rate_limit
from esgscreen.store import keys
from esgscreen.store.audit import Actor

KEY_CACHE_SECONDS = 5.0
ANONYMOUS = Actor("anonymous", "public")


class KeyCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, keys.KeyInfo | None]] = {}

    def lookup(self, secret: str) -> keys.KeyInfo | None:
        now = time.monotonic()
        hit = self._entries.get(secret)
        if hit is not None and hit[0] > now:
            return hit[1]
        with services().store.read() as session:
            info = keys.find_key(session, secret)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[secret] = (now + KEY_CACHE_SECONDS, info)
        return info


def _key_cache() -> KeyCache:
    return current_app.extensions.setdefault("esgscreen.keys", KeyCache())


def _presented_key() -> str | None:
    header = request.environ.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        abort(401, message="Send the API key as 'Authorization: Bearer <key>'.")
    return secret.strip()


def _within_rate_limit(key: str) -> None:
    verdict = within_rate_limit(key)
    if verdict is not None and not verdict.allowed:
        # Retry-After and the RateLimit-* headers are added to every answer that counted.
        abort(429, message=f"Too many requests; retry in {verdict.reset} s.")


def require(role: str) -> Actor:
    """The caller, if it may act as ``role`` and is within its rate limit; else 401/403/429."""
    secret = _presented_key()
    if secret is None:
        if role == "screener" and services().settings.public_read:
            _within_rate_limit(f"addr:{request.remote_addr}")
            g.actor = ANONYMOUS
            return ANONYMOUS
        abort(401, message="This needs an API key: send 'Authorization: Bearer <key>'.",
              headers={"WWW-Authenticate": 'Bearer realm="esgscreen"'})
    info = _key_cache().lookup(secret)
    if info is None:
        abort(401, message="The API key is not valid (unknown or revoked).",
              headers={"WWW-Authenticate": 'Bearer realm="esgscreen", error="invalid_token"'})
    if not role_allows(info.role, role):
        abort(403, message=f"This needs a {role} key (or a more trusted role); "
                           f"this key's role is {info.role}.")
    _within_rate_limit(f"key:{info.id}")
    actor = Actor("key", info.name, info.id, request.remote_addr)
    g.actor = actor
    return actor


def require_read() -> Actor:
    return require("screener")
