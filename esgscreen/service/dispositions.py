"""Dispositions: an analyst's decision on a candidate, carried by later answers.

A disposition applies to one entity for one query as the matcher understands it (the
normalised name and the canonical identifiers: ``query_key``). ``false_positive`` takes the
candidate out of the answer's status (it is listed under ``suppressed``); ``confirmed`` is
only carried along. Either lapses when the entity gained a name, identifier or flag since the
decision: the candidate then comes back with a note saying why.

Each worker holds the active dispositions in a ``DispositionBook`` and asks the database at
most once per check interval whether they changed (``generation``), like the snapshots; the
answer cache is keyed on that generation, so no worker serves an answer older than that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import func, select

from esgscreen.core.errors import InvalidQuery
from esgscreen.core.matching import (
    Candidate,
    Matcher,
    MatchOutcome,
    Query,
    parse_query,
    status_for,
)
from esgscreen.core.model import Watchlist
from esgscreen.core.query import QUERY_FIELDS
from esgscreen.store import audit
from esgscreen.store.audit import Actor
from esgscreen.store.db import Store
from esgscreen.store.models import Disposition


class Snapshot(Protocol):
    """What dispositions read of a watchlist snapshot (``screening.Snapshot`` has it)."""

    @property
    def watchlist(self) -> Watchlist: ...
    @property
    def version(self) -> int: ...
    @property
    def matcher(self) -> Matcher: ...
    @property
    def flags(self) -> Mapping[str, list[dict[str, Any]]]: ...

DECISIONS = ("false_positive", "confirmed")
# Candidates looked at when checking that a disposition names one of the query's.
CANDIDATES_CHECKED = 10


class DispositionError(Exception):
    """A disposition that cannot be recorded or revoked; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class DispositionInfo:
    id: int
    entity_id: str
    decision: str
    note: str
    query_key: str | None
    query: dict[str, Any] | None
    ref: str | None
    watch_id: int | None
    fingerprint: dict[str, list[str]]
    watchlist_version: int
    by: str
    at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str | None

    @classmethod
    def of(cls, row: Disposition) -> DispositionInfo:
        return cls(row.id, row.entity_id, row.decision, row.note, row.query_key, row.query,
                   row.ref, row.watch_id, row.fingerprint, row.watchlist_version, row.created_by,
                   row.created_at, row.revoked_at, row.revoked_by, row.revoke_reason)

    def view(self) -> dict[str, Any]:
        """As an answer carries it."""
        return {"id": self.id, "decision": self.decision, "by": self.by,
                "at": self.at.isoformat(), "note": self.note}


def query_key(query: Query) -> str:
    """The query as the matcher understands it, as one comparable string."""
    parts = [f"{kind}={value}@{exchange or ''}" for kind, value, exchange in query.identifiers]
    if query.normalised is not None and not query.normalised.empty:
        parts.append(f"name={query.normalised.text}")
    return "|".join(sorted(parts))


def fingerprint(snapshot: Snapshot, entity_id: str) -> dict[str, list[str]]:
    """What a material change is measured against: the entity's names, identifiers, flags."""
    entity = snapshot.watchlist.entities[entity_id]
    return {
        "names": sorted({entity.name, *entity.alias_names}),
        "identifiers": sorted({f"{i.type}:{i.value}" for i in entity.identifiers}),
        # A flag is new when its code or its start is: rewording a summary is not material.
        "flags": sorted({f"{f['code']} since {f['since'] or '?'}"
                         for f in snapshot.flags[entity_id]}),
    }


def lapse_reason(snapshot: Snapshot, found: DispositionInfo) -> str | None:
    """Why the disposition no longer holds (the entity gained a name, identifier or flag), or
    None while it holds."""
    now = fingerprint(snapshot, found.entity_id)
    reasons = []
    for part, word in (("identifiers", "identifier"), ("names", "name"), ("flags", "flag")):
        new = sorted(set(now[part]) - set(found.fingerprint.get(part, [])))
        if new:
            reasons.append(f"new {word}{'s' if len(new) > 1 else ''} {', '.join(new)}")
    if not reasons:
        return None
    return (f"The entity changed since this decision in watchlist version "
            f"{found.watchlist_version}: {'; '.join(reasons)}. Review it again.")


@dataclass(frozen=True, slots=True)
class Review:
    """An outcome with the dispositions applied."""

    outcome: MatchOutcome  # without the suppressed candidates, status recomputed
    marks: Mapping[str, dict[str, Any]]  # entity id -> the disposition an answer shows
    suppressed: tuple[Candidate, ...]


class DispositionBook:
    """The active dispositions, as one worker knows them."""

    def __init__(self, store: Store, check_interval: float = 1.0) -> None:
        self._store = store
        self._interval = check_interval
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._generation = -1
        self._by_key: dict[tuple[str, str], DispositionInfo] = {}
        self._entities: frozenset[str] = frozenset()

    @property
    def generation(self) -> int:
        """A number that grows with every disposition recorded or revoked (-1: none read)."""
        if time.monotonic() - self._checked_at < self._interval:
            return self._generation
        with self._lock:
            if time.monotonic() - self._checked_at >= self._interval:
                self._refresh()
            return self._generation

    def _refresh(self) -> None:
        with self._store.read() as session:
            count, revoked = session.execute(
                select(func.count(Disposition.id), func.count(Disposition.revoked_at))
            ).one()
            generation = count + revoked
            if generation != self._generation:
                rows = session.scalars(
                    select(Disposition).where(Disposition.revoked_at.is_(None),
                                              Disposition.query_key.is_not(None),
                                              Disposition.watch_id.is_(None))
                    .order_by(Disposition.id)
                )
                by_key = {(r.query_key, r.entity_id): DispositionInfo.of(r) for r in rows}
                self._by_key = by_key  # type: ignore[assignment]
                self._entities = frozenset(eid for _, eid in by_key)
                self._generation = generation
        self._checked_at = time.monotonic()

    def invalidate(self) -> None:
        """Read the database again on the next call (after this worker changed one)."""
        self._checked_at = float("-inf")

    def concerns(self, entity_id: str) -> bool:
        """Whether any active disposition names ``entity_id``."""
        self.generation  # noqa: B018 - refreshes the book when due
        return entity_id in self._entities

    def review(self, snapshot: Snapshot, outcome: MatchOutcome) -> Review | None:
        """The outcome with its dispositions applied, or None when none applies."""
        self.generation  # noqa: B018 - refreshes the book when due
        entities = self._entities
        if not entities or not any(c.entity_id in entities for c in outcome.candidates):
            return None
        key = query_key(outcome.understood)
        by_key = self._by_key
        return _applied(snapshot, outcome, {
            c.entity_id: by_key[key, c.entity_id] for c in outcome.candidates
            if (key, c.entity_id) in by_key})


class HoldingBook:
    """The active dispositions on one holding of a watch (by entity id): they apply while the
    holding's query, as understood, is the one decided on. Answers ``screen_batch`` as a
    ``DispositionBook`` does."""

    def __init__(self, found: Mapping[str, DispositionInfo]) -> None:
        self._found = found

    def concerns(self, entity_id: str) -> bool:
        return entity_id in self._found

    def review(self, snapshot: Snapshot, outcome: MatchOutcome) -> Review | None:
        key = query_key(outcome.understood)
        return _applied(snapshot, outcome, {
            c.entity_id: self._found[c.entity_id] for c in outcome.candidates
            if c.entity_id in self._found and self._found[c.entity_id].query_key == key})


def _applied(snapshot: Snapshot, outcome: MatchOutcome,
             found_by_entity: Mapping[str, DispositionInfo]) -> Review | None:
    """The outcome with the dispositions found for its candidates applied."""
    marks: dict[str, dict[str, Any]] = {}
    kept: list[Candidate] = []
    suppressed: list[Candidate] = []
    for candidate in outcome.candidates:
        found = found_by_entity.get(candidate.entity_id)
        if found is None or candidate.entity_id not in snapshot.watchlist.entities:
            kept.append(candidate)
            continue
        mark = found.view()
        reason = lapse_reason(snapshot, found)
        if reason is not None:
            mark.update(lapsed=True, lapsed_because=reason)
        marks[candidate.entity_id] = mark
        if found.decision == "false_positive" and reason is None:
            suppressed.append(candidate)
        else:
            kept.append(candidate)
    if not marks:
        return None
    if suppressed:
        status = (outcome.status if kept and kept[0] is outcome.candidates[0]
                  else status_for(kept[0].score) if kept else "no_match")
        outcome = MatchOutcome(status, tuple(kept), outcome.understood)
    return Review(outcome, marks, tuple(suppressed))


def holding_books(session: Any, watch_id: int) -> dict[str, HoldingBook]:
    """The active dispositions on a watch's holdings, a book for each ref that has any."""
    found: dict[str, dict[str, DispositionInfo]] = {}
    for row in session.scalars(select(Disposition).where(
            Disposition.watch_id == watch_id, Disposition.revoked_at.is_(None))
            .order_by(Disposition.id)):
        found.setdefault(row.ref, {})[row.entity_id] = DispositionInfo.of(row)
    return {ref: HoldingBook(by_entity) for ref, by_entity in found.items()}


# recording and revoking ----------------------------------------------------------------------


def _params(query: Mapping[str, Any]) -> dict[str, str | None]:

    unknown = sorted(set(query) - set(QUERY_FIELDS))
    if unknown:
        raise InvalidQuery(f"Unknown query field {unknown[0]!r}; use "
                           f"{', '.join(QUERY_FIELDS)}.", field=f"query.{unknown[0]}")
    params: dict[str, str | None] = {}
    for name, value in query.items():
        if value is not None and not isinstance(value, str):
            raise InvalidQuery(f"query.{name} must be text.", field=f"query.{name}")
        params[name] = value
    return params


def record(store: Store, snapshot: Snapshot, actor: Actor, *, entity_id: str, decision: str,
           note: str, query: Mapping[str, Any] | None = None,
           holding: tuple[int, str] | None = None, session: Any = None) -> DispositionInfo:
    """Record a decision on ``entity_id`` as a candidate for ``query``; audited.

    ``holding`` (watch id, ref) makes it apply to that holding of a watch only, ``query``
    being the holding's; it is then written in the caller's ``session``."""
    if decision not in DECISIONS:
        raise DispositionError(422, f"decision must be one of {', '.join(DECISIONS)}.",
                               "decision")
    if not query:
        raise DispositionError(422, "Say what the decision applies to: a query (name and/or "
                                    "identifiers).", "query")
    entity = snapshot.watchlist.entities.get(entity_id)
    if entity is None:
        raise DispositionError(422, f"There is no entity {entity_id!r} in watchlist version "
                                    f"{snapshot.version}.", "entity_id")
    understood = parse_query(_params(query))
    outcome = snapshot.matcher.match(understood, limit=CANDIDATES_CHECKED)
    if not any(c.entity_id == entity_id for c in outcome.candidates):
        raise DispositionError(422, f"{entity.name} ({entity_id}) is not a candidate in the "
                                    f"answer to this query, so there is nothing to decide.",
                               "entity_id")
    watch_id, ref = holding if holding is not None else (None, None)
    row = Disposition(
        entity_id=entity_id, decision=decision, note=note, query_key=query_key(understood),
        query=understood.to_dict(), watch_id=watch_id, ref=ref,
        fingerprint=fingerprint(snapshot, entity_id), watchlist_version=snapshot.version,
        created_by=str(actor), created_identity=identity(actor), created_at=datetime.now(UTC),
    )
    details = {"disposition": 0, "decision": decision, "note": note,
               "query_key": row.query_key, "watchlist_version": snapshot.version}
    if holding is not None:
        details.update(watch_id=watch_id, ref=ref)
    if session is not None:
        return _written(session, actor, row, details)
    with store.write() as session:
        return _written(session, actor, row, details)


def _written(session: Any, actor: Actor, row: Disposition, details: dict[str, Any]
             ) -> DispositionInfo:
    session.add(row)
    session.flush()
    audit.record(session, actor, "disposition.create", row.entity_id,
                 {**details, "disposition": row.id})
    return DispositionInfo.of(row)


def revoke(store: Store, disposition_id: int, actor: Actor, reason: str | None = None
           ) -> DispositionInfo:
    with store.write() as session:
        row = session.get(Disposition, disposition_id)
        if row is None:
            raise DispositionError(404, f"There is no disposition {disposition_id}.")
        if row.revoked_at is not None:
            raise DispositionError(409, f"Disposition {disposition_id} was revoked already, "
                                        f"on {row.revoked_at:%Y-%m-%d %H:%M} UTC.")
        row.revoked_at = datetime.now(UTC)
        row.revoked_by = str(actor)
        row.revoke_reason = reason
        audit.record(session, actor, "disposition.revoke", row.entity_id,
                     {"disposition": row.id, "reason": reason})
        return DispositionInfo.of(row)


def get_disposition(store: Store, disposition_id: int) -> DispositionInfo | None:
    with store.read() as session:
        row = session.get(Disposition, disposition_id)
        return DispositionInfo.of(row) if row is not None else None


def list_dispositions(store: Store, *, entity_id: str | None = None,
                      active: bool | None = None) -> list[DispositionInfo]:
    query = select(Disposition).order_by(Disposition.id.desc())
    if entity_id:
        query = query.where(Disposition.entity_id == entity_id)
    if active is True:
        query = query.where(Disposition.revoked_at.is_(None))
    elif active is False:
        query = query.where(Disposition.revoked_at.is_not(None))
    with store.read() as session:
        return [DispositionInfo.of(r) for r in session.scalars(query)]


def identity(actor: Actor) -> str:
    """Who, without the name: ``key:3``, ``user:7``, ``anonymous``, ``cli``."""
    if actor.id is not None:
        return f"{actor.kind}:{actor.id}"
    return actor.kind
