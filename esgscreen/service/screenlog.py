"""The screening log: every screen recorded, without slowing the screen.

A request appends one small tuple to its worker's buffer (a deque: thread-safe, no lock). A
background thread wakes every ``flush_seconds`` (sooner when ``flush_size`` records wait),
turns the buffered tuples into rows, writes them in one transaction, and counts them into
the metrics. The buffer is flushed at exit (``atexit`` and gunicorn's ``worker_exit``), so a
worker stopped normally loses nothing; a worker killed outright loses at most what was
buffered since the last write, about ``flush_seconds`` of screens. Curation records and
dispositions are never buffered: they are written in the request's own transaction.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, func, or_, select
from sqlalchemy.orm import selectinload

from esgscreen.service import metrics
from esgscreen.service.dispositions import identity
from esgscreen.service.screening import Summary
from esgscreen.store.audit import Actor
from esgscreen.store.db import Store
from esgscreen.store.models import Screening, ScreeningItem

log = logging.getLogger(__name__)

ANONYMOUS = Actor("anonymous", "public")
STATUS_ORDER = ("error", "no_match", "possible_match", "match")  # a batch's status: its worst
# The endpoints a record may come from.
ENDPOINTS = ("screen", "batch", "lookup", "record", "portfolio", "match")

# (endpoint, unix time, actor, remote address, version, policy id, seconds taken, what) where
# ``what`` is a single answer's Summary or a batch's result.
Entry = tuple[str, float, Actor, "str | None", int, str, float, Any]


# The single screens go in with one executemany of plain tuples: the bulk of the log, kept
# clear of per-row ORM and type processing (the query is already JSON text).
SINGLE_COLUMNS = ("at", "endpoint", "caller", "caller_identity", "remote_addr", "query",
                  "status", "rating", "action", "entity_id", "watchlist_version", "policy")


def _single_tuples(entries: list[Entry], sqlite: bool) -> list[tuple[Any, ...]]:
    """The single screens among ``entries`` as rows of SINGLE_COLUMNS. A flush holds a few
    seconds of screens from a few callers: the time's text and the caller's names are made
    once per second and per caller, not per record (a datetime's strftime per record cost
    two thirds as much as the insert itself)."""
    second = -1
    prefix = ""
    callers: dict[Actor, tuple[str, str]] = {}
    rows = []
    for endpoint, at, actor, addr, version, policy, _, summary in entries:
        if not isinstance(summary, tuple):
            continue
        status, rating, action, entity_id, query = summary
        if sqlite:  # SQLite keeps times as text in SQLAlchemy's format
            whole, micro = divmod(round(at * 1_000_000), 1_000_000)
            if whole != second:
                second = whole
                prefix = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole))
            moment: Any = f"{prefix}.{micro:06d}"
        else:
            moment = datetime.fromtimestamp(at, UTC)
        caller = callers.get(actor)
        if caller is None:
            caller = callers[actor] = (str(actor), identity(actor))
        rows.append((moment, endpoint, caller[0], caller[1], addr, query, status, rating,
                     action, entity_id, version, policy))
    return rows


def _single_row(entry: Entry) -> Screening:
    endpoint, at, actor, addr, version, policy, _, summary = entry
    status, rating, action, entity_id, query = summary
    return Screening(
        at=datetime.fromtimestamp(at, UTC), endpoint=endpoint, caller=str(actor),
        caller_identity=identity(actor), remote_addr=addr, query=json.loads(query),
        status=status, rating=rating, action=action, entity_id=entity_id,
        watchlist_version=version, policy=policy,
    )


def _batch_row(entry: Entry) -> Screening:
    endpoint, at, actor, addr, version, policy, _, result = entry
    summary = result["summary"]
    by_status = summary["by_status"]
    worst = max((s for s, n in by_status.items() if n), key=STATUS_ORDER.index,
                default="no_match")
    return Screening(
        at=datetime.fromtimestamp(at, UTC), endpoint=endpoint, caller=str(actor),
        caller_identity=identity(actor), remote_addr=addr, query=None, status=worst,
        watchlist_version=version, policy=policy, items=summary["items"],
        counts={"by_status": by_status, "by_action": summary["by_action"]},
    )


# A batch's items that matched anything, as plain rows too: a 10,000-holding portfolio may
# hold thousands, which as ORM objects took half a second to write.
ITEM_COLUMNS = ("screening_id", "ref", "status", "rating", "action", "entity_id")


def _item_tuples(screening_id: int, result: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (screening_id, str(item["ref"])[:200], item["status"], item.get("rating"),
         item.get("action"), (item.get("match") or {}).get("entity", {}).get("id"))
        for item in result["results"] if item["status"] != "no_match"
    ]


class ScreeningLog:
    def __init__(self, store: Store, *, enabled: bool = True, flush_seconds: float = 2.0,
                 flush_size: int = 2000, answers: Any = None) -> None:
        self.store = store
        self.enabled = enabled
        self.flush_seconds = flush_seconds
        self.flush_size = flush_size
        self._answers = answers  # the AnswerCache whose hits and misses are counted
        self._counted = (0, 0)
        self._latency: dict[str, Any] = {}  # the histogram's child of each endpoint
        self._buffer: deque[Entry] = deque()
        self._wake = threading.Event()
        self._flushing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        mark = "?" if store.backend == "sqlite" else "%s"
        self._insert_sql = (f"INSERT INTO screenings ({', '.join(SINGLE_COLUMNS)}) VALUES "
                            f"({', '.join([mark] * len(SINGLE_COLUMNS))})")
        self._item_sql = (f"INSERT INTO screening_items ({', '.join(ITEM_COLUMNS)}) VALUES "
                          f"({', '.join([mark] * len(ITEM_COLUMNS))})")
        _LOGS.add(self)

    # the request side ---------------------------------------------------------------------

    def screen(self, endpoint: str, actor: Actor, addr: str | None, version: int,
               policy: str, started: float, summary: Summary) -> None:
        """Buffer one single screen (``started``: its ``time.perf_counter()``)."""
        self._buffer.append((endpoint, time.time(), actor, addr, version, policy,
                             time.perf_counter() - started, summary))
        if self._thread is None or len(self._buffer) >= self.flush_size:
            self._kick()

    def batch(self, endpoint: str, actor: Actor, addr: str | None, version: int,
              policy: str, started: float, result: Mapping[str, Any]) -> None:
        """Buffer one batch screen: its counts, and its items that matched anything."""
        self._buffer.append((endpoint, time.time(), actor, addr, version, policy,
                             time.perf_counter() - started, result))
        if self._thread is None or len(self._buffer) >= self.flush_size:
            self._kick()

    def record_now(self, endpoint: str, actor: Actor, addr: str | None, version: int,
                   policy: str, started: float, summary: Summary) -> int | None:
        """Write one single screen at once and return its id (a printed record cites it);
        None when the log is off."""
        entry: Entry = (endpoint, time.time(), actor, addr, version, policy,
                        time.perf_counter() - started, summary)
        with self._flushing:
            self._count([entry])
        if not self.enabled:
            return None
        with self.store.write(serialise=False) as session:
            row = _single_row(entry)
            session.add(row)
            session.flush()
            metrics.metrics().log_written.inc()
            return row.id

    def _kick(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="screening-log", daemon=True)
            self._thread.start()
        self._wake.set()

    # the background side ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write what is buffered now; returns the records written."""
        with self._flushing:
            entries: list[Entry] = []
            while self._buffer and len(entries) < 10_000:
                entries.append(self._buffer.popleft())
            self._count(entries)
            if not entries or not self.enabled:
                return 0
            sqlite = self.store.backend == "sqlite"
            singles = _single_tuples(entries, sqlite)
            try:
                with self.store.write(serialise=False) as session:
                    if singles:
                        session.connection().exec_driver_sql(self._insert_sql, singles)
                    for entry in entries:
                        if isinstance(entry[7], tuple):
                            continue
                        row = _batch_row(entry)
                        session.add(row)
                        session.flush()  # its id, for its items
                        items = _item_tuples(row.id, entry[7])
                        if items:
                            session.connection().exec_driver_sql(self._item_sql, items)
            except Exception:
                log.exception("screening log write failed",
                              extra={"records_dropped": len(entries)})
                metrics.metrics().log_failures.inc(len(entries))
                return 0
            metrics.metrics().log_written.inc(len(entries))
            if self._buffer:
                self._wake.set()
            return len(entries)

    def _count(self, entries: Iterable[Entry]) -> None:
        m = metrics.metrics()
        screens: dict[tuple[str, str], int] = {}
        latency = self._latency
        for entry in entries:
            endpoint, what = entry[0], entry[7]
            child = latency.get(endpoint)
            if child is None:
                child = latency[endpoint] = m.latency.labels(endpoint)
            child.observe(entry[6])
            if isinstance(what, tuple):
                screens[endpoint, what[0]] = screens.get((endpoint, what[0]), 0) + 1
            else:
                for status, count in what["summary"]["by_status"].items():
                    if count:
                        m.screens.labels(endpoint, status).inc(count)
                m.batch_items.labels(endpoint).observe(what["summary"]["items"])
        for (endpoint, status), count in screens.items():
            m.screens.labels(endpoint, status).inc(count)
        if self._answers is not None:
            hits, misses = self._answers.hits, self._answers.misses
            if hits > self._counted[0]:
                m.cache_hits.inc(hits - self._counted[0])
            if misses > self._counted[1]:
                m.cache_misses.inc(misses - self._counted[1])
            self._counted = (hits, misses)

    def close(self) -> None:
        """Write what is left and stop the thread (at exit)."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        while self._buffer:
            if not self.flush() and self.enabled:
                break  # the write failed (and was logged): give up at exit

    def _forked(self) -> None:
        # The thread does not survive a fork; the child starts its own on its first record.
        self._thread = None
        self._wake = threading.Event()
        self._flushing = threading.Lock()


_LOGS: weakref.WeakSet[ScreeningLog] = weakref.WeakSet()


def _after_fork() -> None:
    for screening_log in list(_LOGS):
        screening_log._forked()


os.register_at_fork(after_in_child=_after_fork)


def flush_all() -> None:
    """Write every screening log's buffer: at exit, and in gunicorn's worker_exit hook."""
    _flush_all()


@atexit.register
def _flush_all() -> None:
    for screening_log in list(_LOGS):
        try:
            screening_log.close()
        except Exception:
            log.exception("screening log not flushed at exit")


# reading and retention ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScreeningFilter:
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None
    entity_id: str | None = None
    caller: str | None = None  # a caller identity (key:3, user:7) or part of a caller's name
    caller_identity: str | None = None  # set to restrict a key to its own records


def _filtered(query: Any, where: ScreeningFilter) -> Any:
    if where.since is not None:
        query = query.where(Screening.at >= where.since)
    if where.until is not None:
        query = query.where(Screening.at < where.until)
    if where.status:
        query = query.where(Screening.status == where.status)
    if where.entity_id:
        in_batch = select(ScreeningItem.screening_id).where(
            ScreeningItem.entity_id == where.entity_id)
        query = query.where(or_(Screening.entity_id == where.entity_id,
                                Screening.id.in_(in_batch)))
    if where.caller:
        query = query.where(or_(Screening.caller_identity == where.caller,
                                Screening.caller.contains(where.caller)))
    if where.caller_identity:
        query = query.where(Screening.caller_identity == where.caller_identity)
    return query


def list_screenings(store: Store, where: ScreeningFilter, limit: int | None = 1000,
                    offset: int = 0) -> list[Screening]:
    """Records newest first, with a batch's item rows."""
    query = _filtered(select(Screening).options(selectinload(Screening.rows)), where)
    query = query.order_by(Screening.at.desc(), Screening.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        return list(session.scalars(query))


def count_screenings(store: Store, where: ScreeningFilter) -> int:
    with store.read() as session:
        return int(session.scalar(_filtered(select(func.count(Screening.id)), where)) or 0)


def get_screening(store: Store, screening_id: int) -> Screening | None:
    with store.read() as session:
        return session.scalars(select(Screening).options(selectinload(Screening.rows))
                               .where(Screening.id == screening_id)).first()


def purge(store: Store, days: int, actor: Actor) -> int:
    """Drop records older than ``days`` days; audited. Returns the records dropped."""
    from esgscreen.store import audit

    cutoff = datetime.now(UTC) - timedelta(days=days)
    with store.write(serialise=False) as session:
        old = select(Screening.id).where(Screening.at < cutoff)
        session.execute(delete(ScreeningItem).where(ScreeningItem.screening_id.in_(old)))
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            delete(Screening).where(Screening.at < cutoff))
        dropped = result.rowcount
        audit.record(session, actor, "screenings.purge", None,
                     {"days": days, "before": cutoff.isoformat(), "dropped": dropped})
    return int(dropped or 0)
