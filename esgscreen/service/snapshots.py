"""The snapshots a worker answers from, kept in step with the database.

A worker asks the database for the current version number at most once per
``check_interval`` seconds and rebuilds its snapshot only when that number moved, so every
worker on one database serves a newly published version within about a second. A snapshot
built on an earlier day is rebuilt too: which flags are review due depends on the date.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from datetime import UTC, date, datetime

from esgscreen.core import bounds
from esgscreen.core.freshness import DEFAULT_REVIEW_YEARS
from esgscreen.service.screening import Snapshot
from esgscreen.store import repository
from esgscreen.store.db import Store

PAST_VERSIONS_KEPT = 4


def _settle() -> None:
    """Take the long-lived objects just built out of the garbage collector's regular scans.

    A snapshot is tens of thousands of objects that live for a whole version; scanning them
    on every full collection costs each request about 10 µs. Frozen objects are still freed
    by reference counting when the next version replaces them (they hold no cycles), but
    whatever else was alive then is frozen too: fine for a worker, whose app lives as long as
    it does; a process that makes many apps (the tests) turns it off (SETTLE_SNAPSHOTS).
    """
    gc.collect()
    gc.freeze()


class AsOfError(ValueError):
    """An ``as_of`` that names no version."""


class NoWatchlistYet(LookupError):
    """Nothing can be screened: no watchlist version has been published."""


def parse_as_of(text: str) -> int | datetime:
    """A version number, or the moment an ISO 8601 date (its end) or time names."""
    text = text.strip()
    if bounds.is_number(text):
        version = bounds.parse_id(text)
        if version is None:
            raise AsOfError(f"as_of names a watchlist version from 1 to {bounds.MAX_ID}, "
                            f"not {text[:20]!r}.")
        return version
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise AsOfError(
            f"as_of must be a version number or an ISO 8601 date or time, not {text!r}."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SnapshotCache:
    def __init__(
        self,
        store: Store,
        check_interval: float = 1.0,
        settle: bool = True,
        review_years: int = DEFAULT_REVIEW_YEARS,
    ) -> None:
        self._store = store
        self._settle = settle
        self._interval = check_interval
        self.review_years = review_years
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._checked_at = float("-inf")
        self._past: OrderedDict[int, Snapshot] = OrderedDict()

    def current(self) -> Snapshot | None:
        """The snapshot of the current version, or None while no version was published."""
        if time.monotonic() - self._checked_at < self._interval:
            return self._current
        with self._lock:
            if time.monotonic() - self._checked_at < self._interval:
                return self._current
            with self._store.read() as session:
                latest = repository.current_version(session)
                today = date.today()
                if latest is not None and (
                    self._current is None
                    or self._current.version != latest
                    or self._current.today != today
                ):
                    watchlist = repository.load_watchlist(session, latest)
                    if watchlist is not None:
                        self._current = Snapshot.build(watchlist, today, self.review_years)
                        if self._settle:
                            _settle()
            self._checked_at = time.monotonic()
            return self._current

    def at(self, version: int) -> Snapshot | None:
        """The snapshot of a past version (None if there is no such version)."""
        current = self.current()
        if current is not None and current.version == version:
            return current
        with self._lock:
            today = date.today()
            if version in self._past and self._past[version].today == today:
                self._past.move_to_end(version)
                return self._past[version]
            with self._store.read() as session:
                watchlist = repository.load_watchlist(session, version)
            if watchlist is None:
                return None
            snapshot = Snapshot.build(watchlist, today, self.review_years)
            self._past[version] = snapshot
            while len(self._past) > PAST_VERSIONS_KEPT:
                self._past.popitem(last=False)
            return snapshot

    def resolve(self, as_of: str | None) -> Snapshot | None:
        """The snapshot ``as_of`` names (a version or a moment), or the current one."""
        if not as_of:
            return self.current()
        wanted = parse_as_of(as_of)
        if isinstance(wanted, datetime):
            with self._store.read() as session:
                version = repository.version_at(session, wanted)
            if version is None:
                raise AsOfError(f"No watchlist version existed at {as_of}.")
        else:
            version = wanted
        snapshot = self.at(version)
        if snapshot is None:
            raise AsOfError(f"There is no watchlist version {version}.")
        return snapshot

    def require(self, as_of: str | None) -> Snapshot:
        """``resolve``, refusing with NoWatchlistYet while no version was published."""
        snapshot = self.resolve(as_of)
        if snapshot is None:
            raise NoWatchlistYet("No watchlist version has been loaded yet.")
        return snapshot

    def invalidate(self) -> None:
        """Check the database on the next call (after this worker published a version)."""
        self._checked_at = float("-inf")
