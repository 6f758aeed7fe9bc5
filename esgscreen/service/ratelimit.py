"""Rate limits per key: an API key, a signed-in user, or a client address.

Limit strings and storage URIs are those of ``limits``, the engine Flask-Limiter runs on
("6000 per minute;200 per second"; "memory://", "redis://host:6379"). Flask-Limiter's own
per-request bookkeeping cost about 150 µs a call, a third of a screening request, so the
service counts directly: with a shared storage through ``limits`` (one fixed window per key
and limit, counted by the storage, so every worker and host sees the same count), and for
``memory://`` (each worker counting alone) with a plain fixed-window counter, as ``limits``
would, minus its expiry thread.

Each hit returns a ``Verdict`` for the limit closest to running out, which the HTTP faces
turn into ``RateLimit-*`` headers (IETF draft "RateLimit header fields for HTTP") and, when
refused, ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string


@dataclass(slots=True)
class Verdict:
    allowed: bool
    limit: int  # requests allowed in the window
    remaining: int  # requests left in it after this one
    reset: int  # seconds until the window ends
    window: int  # the window's length in seconds

    def headers(self) -> list[tuple[str, str]]:
        headers = [
            ("RateLimit-Limit", str(self.limit)),
            ("RateLimit-Remaining", str(self.remaining)),
            ("RateLimit-Reset", str(self.reset)),
            ("RateLimit-Policy", f"{self.limit};w={self.window}"),
        ]
        if not self.allowed:
            headers.append(("Retry-After", str(self.reset)))
        return headers


class RateLimiter:
    def __init__(self, spec: str, storage_uri: str = "memory://") -> None:
        self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        self._storage: Storage | None = (
            None if storage_uri.startswith("memory://") else storage_from_string(storage_uri)
        )
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}  # (key, item, window) -> hits
        self._window_of: dict[int, int] = {}  # item -> the window now counted

    @property
    def shared(self) -> bool:
        return self._storage is not None

    def hit(self, key: str) -> Verdict | None:
        """Count a request for `key` against every limit; None when there are no limits.

        A refused request is not counted against the limits after the one that refused it.
        """
        tightest: Verdict | None = None
        for index, item in enumerate(self.items):
            verdict = (self._hit_shared(item, key) if self._storage is not None
                       else self._hit_locally(index, item, key))
            if not verdict.allowed:
                return verdict
            if tightest is None or verdict.remaining < tightest.remaining:
                tightest = verdict
        return tightest

    def retry_after(self, key: str) -> int | None:
        """Count a request for `key`; None when allowed, else seconds until it would be."""
        verdict = self.hit(key)
        return None if verdict is None or verdict.allowed else verdict.reset

    def _hit_shared(self, item: RateLimitItem, key: str) -> Verdict:
        assert self._storage is not None
        counted = item.key_for(key)
        length = item.get_expiry()
        hits = self._storage.incr(counted, length)
        reset = max(1, math.ceil(self._storage.get_expiry(counted) - time.time()))
        return Verdict(hits <= item.amount, item.amount, max(0, item.amount - hits), reset,
                       length)

    def _hit_locally(self, index: int, item: RateLimitItem, key: str) -> Verdict:
        length = item.get_expiry()
        now = time.time()
        window = int(now // length)
        reset = max(1, math.ceil((window + 1) * length - now))
        with self._lock:
            if self._window_of.get(index) != window:
                self._window_of[index] = window
                self._counts = {k: v for k, v in self._counts.items() if k[1] != index}
            counted = (key, index, window)
            hits = self._counts.get(counted, 0)
            if hits >= item.amount:
                return Verdict(False, item.amount, 0, reset, length)
            self._counts[counted] = hits + 1
        return Verdict(True, item.amount, item.amount - hits - 1, reset, length)
