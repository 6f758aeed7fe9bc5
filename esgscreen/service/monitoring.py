"""Monitoring: outcome changes per version, watched portfolios, their events and webhooks.

Publishing a version (approval, load, revert) only leaves a job row; the worker
(``esgscreen worker``, see ``service.worker``) then records the version's outcome changes,
re-screens every watch against it, records an event per holding whose verdict moved and puts
one signed delivery per watch in the outbox.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from esgscreen.core.errors import InvalidIdentifier
from esgscreen.core.identifiers import normalise_identifier
from esgscreen.core.model import Entity, Watchlist
from esgscreen.core.outcomes import (
    Assessed,
    OutcomeChange,
    Verdict,
    outcome_changes,
    rating_moved,
    verdict_reason,
)
from esgscreen.core.policy import Policy
from esgscreen.core.query import QUERY_FIELDS
from esgscreen.service import dispositions, webhooks
from esgscreen.service.dispositions import DispositionInfo, HoldingBook, holding_books
from esgscreen.service.screening import Snapshot, screen_batch
from esgscreen.service.snapshots import SnapshotCache
from esgscreen.settings import Settings
from esgscreen.store import audit, repository
from esgscreen.store import models as m
from esgscreen.store import monitoring as rows
from esgscreen.store.db import Store

MAX_REF = 200
MAX_NAME = 200


class WatchError(Exception):
    """A request the monitoring rules refuse; ``status`` is the HTTP status it maps to."""

    status = 422

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(WatchError):
    status = 404


class NoVersion(WatchError):
    status = 503


class TooMany(WatchError):
    status = 413


@dataclass(frozen=True)
class Owner:
    """Who asks: an API key or a signed-in user; admins see every watch."""

    identity: str  # "key:3", "user:alice"
    actor: audit.Actor
    admin: bool = False


@dataclass
class Monitor:
    store: Store
    snapshots: SnapshotCache
    policies: Mapping[str, Policy]
    default_policy: str
    settings: Settings

    def policy(self, policy_id: str | None) -> Policy:
        return self.policies[policy_id or self.default_policy]


def _now() -> datetime:
    return datetime.now(UTC)


# outcome changes per version ---------------------------------------------------------


def assessed(snapshot: Snapshot | None) -> Assessed:
    if snapshot is None:
        return Assessed({}, {}, {})
    return Assessed(snapshot.watchlist.entities, snapshot.ratings, snapshot.exposures)


def _step_view(step: Any) -> dict[str, Any]:
    return {"holder": step.holder, "held": step.held, "relation": step.relation,
            "share": step.share, "share_text": step.share_text, "until": step.until}


def _outcome_view(outcome: Any) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "rating": outcome.rating,
        "flags": [{"code": c, "severity": s, "status": st} for c, s, st in outcome.flags],
        "exposure": [{"target": t, "severity": s, "status": st}
                     for t, s, st in outcome.exposures],
    }


def change_row(change: OutcomeChange) -> dict[str, Any]:
    return {
        "entity_id": change.entity_id,
        "name": change.name,
        "change": change.change,
        "direct": change.direct,
        "before": _outcome_view(change.before),
        "after": _outcome_view(change.after),
        "via": change.via,
        "path": [_step_view(s) for s in change.path],
        "reason": change.reason,
    }


def outcome_view(row: m.OutcomeChange) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "entity_id": row.entity_id,
        "name": row.name,
        "change": row.change,
        "kind": "direct" if row.direct else "derived",
        "before": row.before,
        "after": row.after,
        "rating_before": row.before["rating"] if row.before else None,
        "rating_after": row.after["rating"] if row.after else None,
        "via": row.via,
        "path": row.path,
        "reason": row.reason,
    }


def _version_changes(snapshots: SnapshotCache, store: Store, version: int
                     ) -> list[OutcomeChange]:
    after = snapshots.at(version)
    if after is None:
        raise NoVersion(f"There is no watchlist version {version}.")
    before = snapshots.at(version - 1) if version > 1 else None
    with store.read() as session:
        info = repository.get_version(session, version)
    touched = None
    if info is not None and before is not None:
        touched = [*info.changes.get("added", []), *info.changes.get("changed", []),
                   *info.changes.get("removed", [])]
    return outcome_changes(assessed(before), assessed(after), touched)


def ensure_outcomes(store: Store, snapshots: SnapshotCache, versions: Sequence[int]) -> None:
    """Record the outcome changes of each version that lacks them (idempotent)."""
    with store.read() as session:
        done = rows.versions_with_outcomes(session, versions)
    for version in versions:
        if version in done:
            continue
        changes = _version_changes(snapshots, store, version)
        try:
            with store.write(serialise=False) as session:
                rows.store_outcomes(session, version, [change_row(c) for c in changes], _now())
        except IntegrityError:
            pass  # another worker or request recorded them at the same moment


def outcome_page(monitor: Monitor, since: int, after_id: int | None, limit: int
                 ) -> tuple[list[dict[str, Any]], int | None]:
    """Outcome changes after version ``since``, oldest first, from id ``after_id``; with the
    id to continue from when there are more."""
    store = monitor.store
    with store.read() as session:
        latest = repository.current_version(session) or 0
    ensure_outcomes(store, monitor.snapshots, list(range(max(since, 0) + 1, latest + 1)))
    with store.read() as session:
        found = rows.list_outcomes(session, since, after_id, limit + 1)
    page = [outcome_view(r) for r in found[:limit]]
    return page, (page[-1]["id"] if len(found) > limit else None)


# items -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screened:
    ref: str
    item: dict[str, Any]
    weight: float | None
    status: str
    rating: str | None
    action: str
    entity_id: str | None
    entity_name: str | None
    matched_on: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.status, self.rating, self.action, self.entity_id, self.entity_name)


def _ref_key(item: Any) -> tuple[str | None, str | None]:
    """The item's ref as text, or why it cannot be one."""
    if not isinstance(item, Mapping):
        return None, "Each item must be a JSON object."
    ref = item.get("ref")
    if ref is None:
        return None, "ref is required: a watch names each holding."
    if isinstance(ref, bool) or not isinstance(ref, str | int):
        return None, "ref must be text or a number."
    text = str(ref).strip()
    if not text or len(text) > MAX_REF:
        return None, f"ref must be 1 to {MAX_REF} characters."
    return text, None


def screen_items(snapshot: Snapshot, policy: Policy, items: Sequence[Any],
                 books: Mapping[str, HoldingBook] | None = None
                 ) -> tuple[list[Screened], list[dict[str, Any]]]:
    """Items screened as a batch would; the bad ones come back as errors by ref. ``books``:
    the dispositions on the watch's holdings, by ref."""
    errors: list[dict[str, Any]] = []
    kept: list[tuple[int, str, dict[str, Any]]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        ref, problem = _ref_key(item)
        if problem is None and ref in seen:
            problem = f"ref {ref!r} appears more than once."
        if problem is not None or ref is None:
            errors.append({"ref": item.get("ref", index) if isinstance(item, Mapping) else index,
                           "index": index, "error": {"field": "ref", "message": problem}})
            continue
        seen.add(ref)
        kept.append((index, ref, dict(item)))
    result = screen_batch(snapshot, [item for _, _, item in kept], policy)
    screened: list[Screened] = []
    for (index, ref, item), row in zip(kept, result["results"], strict=True):
        if books and ref in books:
            row = screen_batch(snapshot, [item], policy, books[ref])["results"][0]
        if row["status"] == "error":
            errors.append({"ref": item.get("ref"), "index": index, "error": row["error"]})
            continue
        match = row.get("match")
        screened.append(Screened(
            ref=ref, item=item, weight=row["weight"], status=row["status"],
            rating=row["rating"], action=row["action"],
            entity_id=match["entity"]["id"] if match else None,
            entity_name=match["entity"]["name"] if match else None,
            matched_on=tuple(match["matched_on"]) if match else (),
        ))
    errors.sort(key=lambda e: e["index"])
    return screened, errors


def _item_values(watch_id: int, screened: Screened) -> dict[str, Any]:
    return {
        "watch_id": watch_id, "ref": screened.ref, "item": screened.item,
        "weight": screened.weight, "status": screened.status, "rating": screened.rating,
        "action": screened.action, "entity_id": screened.entity_id,
        "entity_name": screened.entity_name,
    }


def _insert_items(session: Any, watch_id: int, screened: Sequence[Screened]) -> None:
    """New holdings in bulk (a watch may hold 100,000: no ORM object per row)."""
    if screened:
        session.execute(insert(m.WatchItem), [_item_values(watch_id, s) for s in screened])


def _set_outcome(row: m.WatchItem, screened: Screened) -> None:
    row.status, row.rating, row.action = screened.status, screened.rating, screened.action
    row.entity_id, row.entity_name = screened.entity_id, screened.entity_name


def stored_verdict(row: Any) -> Verdict:
    return Verdict(row.status, row.rating, row.action, row.entity_id, row.entity_name)


# watches -------------------------------------------------------------------------------


def _webhook(monitor: Monitor, raw: Any) -> tuple[str | None, str | None, str | None]:
    """(url, secret, the secret to show once when the service made it)."""
    if raw is None:
        return None, None, None
    if not isinstance(raw, Mapping):
        raise WatchError("webhook must be an object with a url.", {"webhook": ["not an object"]})
    url, secret = raw.get("url"), raw.get("secret")
    if not isinstance(url, str) or not url.strip():
        raise WatchError("webhook.url is required.", {"webhook.url": ["is required"]})
    if len(url) > 2000:
        raise WatchError("webhook.url is too long.", {"webhook.url": ["at most 2000 chars"]})
    made = None
    try:
        webhooks.check_url(url.strip(), monitor.settings.webhook_allow_private)
        if secret is None:
            secret = made = webhooks.new_secret()
        elif not isinstance(secret, str):
            raise webhooks.WebhookRefused("webhook.secret", "secret must be text.")
        else:
            webhooks.check_secret(secret)
    except webhooks.WebhookRefused as refused:
        raise WatchError(f"{refused.field}: {refused.message}",
                         {refused.field: [refused.message]}) from None
    return url.strip(), secret, made


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > MAX_NAME:
        raise WatchError(f"name must be 1 to {MAX_NAME} characters.",
                         {"name": ["1 to 200 characters"]})
    return raw.strip()


def _policy_id(monitor: Monitor, raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in monitor.policies:
        known = ", ".join(sorted(monitor.policies))
        raise WatchError(f"Unknown policy {raw!r}; known policies: {known}.",
                         {"policy": [f"one of {known}"]})
    return raw


def _items(monitor: Monitor, raw: Any, field: str = "items") -> list[Any]:
    if not isinstance(raw, list):
        raise WatchError(f"{field} must be a list of holdings.", {field: ["must be a list"]})
    if len(raw) > monitor.settings.max_watch_items:
        raise TooMany(f"A watch holds at most {monitor.settings.max_watch_items} items; "
                      f"{field} has {len(raw)}.", {field: ["too many items"]})
    return raw


def _owned(session: Any, watch_id: int, owner: Owner, *, for_update: bool = False) -> m.Watch:
    watch = rows.get_watch(session, watch_id, for_update=for_update)
    if watch is None or (not owner.admin and watch.owner != owner.identity):
        raise NotFound(f"There is no watch {watch_id}.")
    return watch


def watch_view(watch: m.Watch, items: int, *, secret: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": watch.id,
        "name": watch.name,
        "owner": watch.owner_name,
        "policy": watch.policy,
        "state": watch.state,
        "paused_reason": watch.paused_reason,
        "webhook": {"url": watch.webhook_url} if watch.webhook_url else None,
        "items": items,
        "screened_version": watch.screened_version,
        "created_at": watch.created_at.isoformat(),
        "updated_at": watch.updated_at.isoformat(),
    }
    if secret and view["webhook"] is not None:
        view["webhook"]["secret"] = secret  # shown once, when the service made it
    return view


def create_watch(monitor: Monitor, body: Mapping[str, Any], owner: Owner) -> dict[str, Any]:
    """Register a portfolio; its items are screened now, bad ones reported by ref."""
    name = _name(body.get("name"))
    policy_id = _policy_id(monitor, body.get("policy"))
    items = _items(monitor, body.get("items"))
    url, secret, made = _webhook(monitor, body.get("webhook"))
    policy = monitor.policy(policy_id)
    while True:
        snapshot = monitor.snapshots.current()
        if snapshot is None:
            raise NoVersion("No watchlist version has been loaded yet.")
        screened, errors = screen_items(snapshot, policy, items)
        with monitor.store.write() as session:
            # Publishing takes the same lock: a version after this one leaves a job that
            # will see this watch.
            if repository.current_version(session) != snapshot.version:
                monitor.snapshots.invalidate()
                continue
            now = _now()
            watch = m.Watch(name=name, owner=owner.identity, owner_name=owner.actor.name,
                            policy=policy_id, webhook_url=url, webhook_secret=secret,
                            state="active", screened_version=snapshot.version,
                            created_at=now, updated_at=now)
            session.add(watch)
            session.flush()
            _insert_items(session, watch.id, screened)
            audit.record(session, owner.actor, "watch.create", f"watch:{watch.id}",
                         {"name": name, "items": len(screened), "errors": len(errors),
                          "webhook": url})
            view = watch_view(watch, len(screened), secret=made)
        view["errors"] = errors
        return view


def get_watch(monitor: Monitor, watch_id: int, owner: Owner) -> dict[str, Any]:
    with monitor.store.read() as session:
        watch = _owned(session, watch_id, owner)
        return watch_view(watch, rows.item_count(session, watch.id))


def list_watches(monitor: Monitor, owner: Owner) -> list[dict[str, Any]]:
    with monitor.store.read() as session:
        return [watch_view(w, rows.item_count(session, w.id))
                for w in rows.list_watches(session, None if owner.admin else owner.identity)]


def watch_items(monitor: Monitor, watch_id: int, owner: Owner) -> list[dict[str, Any]]:
    with monitor.store.read() as session:
        _owned(session, watch_id, owner)
        return [
            {"ref": r.ref, "item": r.item, "weight": r.weight, "status": r.status,
             "rating": r.rating, "action": r.action, "entity_id": r.entity_id,
             "entity_name": r.entity_name}
            for r in rows.items(session, watch_id)
        ]


def update_watch(monitor: Monitor, watch_id: int, body: Mapping[str, Any], owner: Owner,
                 *, replace: bool) -> dict[str, Any]:
    """Change a watch. ``replace`` (PUT): the body is the whole watch; otherwise (PATCH) it
    may ``add`` items (a ref already held is replaced), ``remove`` refs, and set ``name``,
    ``policy``, ``webhook`` (null removes it) or ``paused``. Refs kept keep their history."""
    if replace:
        for field in ("name", "items"):
            if field not in body:
                raise WatchError(f"{field} is required.", {field: ["is required"]})
    name = _name(body["name"]) if "name" in body else None
    policy_given = "policy" in body
    policy_id = _policy_id(monitor, body.get("policy")) if policy_given else None
    webhook_given = "webhook" in body or replace
    url, secret, made = _webhook(monitor, body.get("webhook")) if webhook_given else (
        None, None, None)
    if replace:
        adding = _items(monitor, body["items"])
        removing: list[str] = []
    else:
        adding = _items(monitor, body.get("add", []), "add")
        raw_remove = body.get("remove", [])
        if not isinstance(raw_remove, list) or any(
                isinstance(r, bool) or not isinstance(r, str | int) for r in raw_remove):
            raise WatchError("remove must be a list of refs.", {"remove": ["a list of refs"]})
        removing = [str(r).strip() for r in raw_remove]
    paused = body.get("paused")
    if paused is not None and not isinstance(paused, bool):
        raise WatchError("paused must be true or false.", {"paused": ["true or false"]})

    with monitor.store.write(serialise=False) as session:
        watch = _owned(session, watch_id, owner, for_update=True)
        if name is not None:
            watch.name = name
        if policy_given:
            watch.policy = policy_id
        if webhook_given:
            watch.webhook_url, watch.webhook_secret = url, secret
        snapshot = monitor.snapshots.at(watch.screened_version)
        if snapshot is None:
            raise NoVersion(f"Watchlist version {watch.screened_version} is gone.")
        policy = monitor.policy(watch.policy)
        existing = {r.ref: r for r in rows.items(session, watch.id)}
        books = holding_books(session, watch.id)
        screened, errors = screen_items(snapshot, policy, adding, books)
        new_refs = {s.ref for s in screened}
        if replace:
            removing = [ref for ref in existing if ref not in new_refs]
        unknown = [ref for ref in removing if ref not in existing]
        errors += [{"ref": ref, "error": {"field": "remove", "message": "no such ref"}}
                   for ref in unknown]
        gone = [r for r in removing if r in existing]
        added = [s for s in screened if s.ref not in existing]
        limit = monitor.settings.max_watch_items
        if len(existing) - len(gone) + len(added) > limit:
            raise TooMany(f"A watch holds at most {limit} items; this change would leave "
                          f"{len(existing) - len(gone) + len(added)}.",
                          {"items": ["too many items"]})
        rows.remove_items(session, watch.id, gone)
        for s in screened:
            row = existing.get(s.ref)
            if row is not None:
                row.item, row.weight = s.item, s.weight
                _set_outcome(row, s)
        _insert_items(session, watch.id, added)
        if policy_given:  # every action may differ under another policy
            kept = [r for ref, r in existing.items() if ref not in new_refs
                    and ref not in removing]
            again, _ = screen_items(snapshot, policy, [r.item for r in kept], books)
            by_ref = {s.ref: s for s in again}
            for row in kept:
                if row.ref in by_ref:
                    _set_outcome(row, by_ref[row.ref])
        if paused is True and watch.state == "active":
            watch.state, watch.paused_reason = "paused", "Paused by its owner."
        elif paused is False and watch.state == "paused":
            watch.state, watch.paused_reason, watch.failing_since = "active", None, None
            now = _now()
            session.query(m.WebhookDelivery).filter(
                m.WebhookDelivery.watch_id == watch.id, m.WebhookDelivery.state == "pending"
            ).update({"next_attempt_at": now}, synchronize_session=False)
        watch.updated_at = _now()
        session.flush()
        audit.record(session, owner.actor, "watch.replace" if replace else "watch.update",
                     f"watch:{watch.id}",
                     {"added": len(screened), "removed": len(removing) - len(unknown),
                      "errors": len(errors), "paused": paused})
        view = watch_view(watch, rows.item_count(session, watch.id), secret=made)
    view["errors"] = errors
    return view


def delete_watch(monitor: Monitor, watch_id: int, owner: Owner) -> None:
    """Stop watching: no more events or deliveries; the rows stay for the audit trail."""
    with monitor.store.write(serialise=False) as session:
        watch = _owned(session, watch_id, owner, for_update=True)
        watch.state, watch.updated_at = "deleted", _now()
        audit.record(session, owner.actor, "watch.delete", f"watch:{watch.id}",
                     {"name": watch.name})


def event_view(row: m.WatchEvent) -> dict[str, Any]:
    return {"id": row.id, "watch_id": row.watch_id, "ref": row.ref, "version": row.version,
            "before": row.before, "after": row.after, "reason": row.reason,
            "created_at": row.created_at.isoformat()}


def events_page(monitor: Monitor, watch_id: int, owner: Owner, since: int,
                after_id: int | None, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    with monitor.store.read() as session:
        _owned(session, watch_id, owner)
        found = rows.list_events(session, watch_id, since, after_id, limit + 1)
    page = [event_view(r) for r in found[:limit]]
    return page, (page[-1]["id"] if len(found) > limit else None)


def deliveries_page(monitor: Monitor, watch_id: int, owner: Owner, after_id: int | None,
                    limit: int) -> tuple[list[dict[str, Any]], int | None]:
    with monitor.store.read() as session:
        _owned(session, watch_id, owner)
        found = rows.list_deliveries(session, watch_id, after_id, limit + 1)
    page: list[dict[str, Any]] = [
        {
            "id": d.id, "webhook_id": d.message_id, "version": d.version, "state": d.state,
            "attempts": d.attempts, "last_status": d.last_status, "last_error": d.last_error,
            "next_attempt_at": d.next_attempt_at.isoformat() if d.state == "pending" else None,
            "created_at": d.created_at.isoformat(),
            "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
            "log": [
                {"at": a.at.isoformat(), "status_code": a.status_code, "error": a.error,
                 "duration_ms": round(a.duration_ms, 1),
                 "next_attempt_at": a.next_attempt_at.isoformat() if a.next_attempt_at
                 else None}
                for a in attempts
            ],
        }
        for d, attempts in found[:limit]
    ]
    return page, (page[-1]["id"] if len(found) > limit else None)


# re-screening watches for a version --------------------------------------------------


def _verdict_view(verdict: Verdict) -> dict[str, Any]:
    return {"status": verdict.status, "rating": verdict.rating, "action": verdict.action,
            "entity_id": verdict.entity_id, "entity_name": verdict.entity_name}


def _label(item: Mapping[str, Any], ref: str) -> str:
    for key in ("name", "q"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ref


def rescreen_watch(monitor: Monitor, watch_id: int, version: int,
                   reasons: Mapping[str, str]) -> int:
    """Screen one watch against ``version``: events for moved verdicts, one delivery.

    Returns the number of events (0 when another worker had done it already).
    """
    snapshot = monitor.snapshots.at(version)
    if snapshot is None:
        raise NoVersion(f"There is no watchlist version {version}.")
    store = monitor.store
    while True:
        with store.read() as session:
            watch = rows.get_watch(session, watch_id)
            if watch is None or watch.screened_version >= version:
                return 0
            stamp = watch.updated_at
            held = rows.item_states(session, watch_id)
            policy = monitor.policy(watch.policy)
            books = holding_books(session, watch_id)
        screened, _ = screen_items(snapshot, policy, [r.item for r in held], books)
        by_ref = {s.ref: s for s in screened}
        moved = [(r, by_ref[r.ref]) for r in held
                 if r.ref in by_ref and stored_verdict(r) != by_ref[r.ref].verdict]
        with store.write(serialise=False) as session:
            watch = rows.get_watch(session, watch_id, for_update=True)
            if watch is None or watch.screened_version >= version:
                return 0
            if watch.updated_at != stamp:
                continue  # its holdings changed meanwhile: screen them again
            now = _now()
            events = [
                m.WatchEvent(
                    watch_id=watch_id, version=version, ref=row.ref,
                    before=_verdict_view(stored_verdict(row)), after=_verdict_view(new.verdict),
                    reason=verdict_reason(_label(row.item, row.ref), stored_verdict(row),
                                          new.verdict, reasons),
                    created_at=now,
                )
                for row, new in moved
            ]
            session.add_all(events)
            rows.set_item_states(session, [
                {"id": row.id, "status": new.status, "rating": new.rating,
                 "action": new.action, "entity_id": new.entity_id,
                 "entity_name": new.entity_name}
                for row, new in moved
            ])
            watch.screened_version = version
            session.flush()
            if events and watch.webhook_url:
                session.add(_delivery(watch, version, events, now))
            return len(events)


# dispositions on a holding -----------------------------------------------------------------


def record_disposition(monitor: Monitor, watch_id: int, ref: str, owner: Owner, *,
                       entity_id: str, decision: str, note: str) -> DispositionInfo:
    """A decision on a candidate of one holding of a watch: it applies to that holding (while
    its query stays the same) at once, in later re-screens and in the consequences shown
    before approval. A verdict it changes is an event at the watch's version."""
    with monitor.store.write(serialise=False) as session:
        watch = _owned(session, watch_id, owner, for_update=True)
        row = _holding(session, watch, ref)
        snapshot = monitor.snapshots.at(watch.screened_version)
        if snapshot is None:
            raise NoVersion(f"Watchlist version {watch.screened_version} is gone.")
        query = {k: str(v) for k, v in row.item.items() if k in QUERY_FIELDS and v is not None}
        found = dispositions.record(monitor.store, snapshot, owner.actor, entity_id=entity_id,
                                    decision=decision, note=note, query=query,
                                    holding=(watch.id, row.ref), session=session)
        _rescreen_holding(monitor, session, watch, row, snapshot,
                          f"disposition {found.id} ({decision.replace('_', ' ')}) by "
                          f"{found.by}: {note}")
        return found


def disposition_revoked(monitor: Monitor, found: DispositionInfo) -> None:
    """After a holding's disposition is revoked: its verdict as without it, as an event."""
    if found.watch_id is None or found.ref is None:
        return
    with monitor.store.write(serialise=False) as session:
        watch = rows.get_watch(session, found.watch_id, for_update=True)
        if watch is None:
            return
        row = session.scalars(select(m.WatchItem).where(
            m.WatchItem.watch_id == watch.id, m.WatchItem.ref == found.ref)).first()
        snapshot = monitor.snapshots.at(watch.screened_version)
        if row is None or snapshot is None:
            return
        _rescreen_holding(monitor, session, watch, row, snapshot,
                          f"disposition {found.id} revoked by {found.revoked_by}")


def _holding(session: Any, watch: m.Watch, ref: str) -> m.WatchItem:
    row = session.scalars(select(m.WatchItem).where(
        m.WatchItem.watch_id == watch.id, m.WatchItem.ref == ref)).first()
    if row is None:
        raise WatchError(f"Watch {watch.id} holds no ref {ref!r}.",
                         {"ref": [f"not held in watch {watch.id}"]})
    return row


def _rescreen_holding(monitor: Monitor, session: Any, watch: m.Watch, row: m.WatchItem,
                      snapshot: Snapshot, why: str) -> None:
    session.flush()
    screened, _ = screen_items(snapshot, monitor.policy(watch.policy), [row.item],
                               holding_books(session, watch.id))
    if not screened:
        return
    (new,) = screened
    before = stored_verdict(row)
    if new.verdict == before:
        return
    now = _now()
    session.add(m.WatchEvent(
        watch_id=watch.id, version=watch.screened_version, ref=row.ref,
        before=_verdict_view(before), after=_verdict_view(new.verdict),
        reason=f"{_label(row.item, row.ref)}: {new.status}, was {before.status}: {why}",
        created_at=now))
    _set_outcome(row, new)
    watch.updated_at = now  # a re-screen under way reads the holdings again


def _delivery(watch: m.Watch, version: int, events: Sequence[m.WatchEvent],
              now: datetime) -> m.WebhookDelivery:
    payload = {
        "type": "watch.verdicts_changed",
        "timestamp": now.isoformat(),
        "data": {
            "watch_id": watch.id,
            "watch_name": watch.name,
            "version": version,
            "events": [event_view(e) for e in events],
        },
    }
    return m.WebhookDelivery(
        watch_id=watch.id, version=version, message_id=f"msg_{uuid.uuid4().hex}",
        payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        state="pending", attempts=0, next_attempt_at=now, created_at=now,
    )


def process_version(monitor: Monitor, version: int, keep_alive: Callable[[], bool]) -> int:
    """All the work one published version leaves: outcome changes, then every watch.

    ``keep_alive`` renews the caller's lease and says whether it still holds the job.
    Returns the number of events recorded.
    """
    ensure_outcomes(monitor.store, monitor.snapshots, [version])
    with monitor.store.read() as session:
        reasons = {r.entity_id: r.reason for r in rows.outcomes_of(session, version)}
        watch_ids = rows.watches_behind(session, version)
    total = 0
    for watch_id in watch_ids:
        if not keep_alive():
            break
        total += rescreen_watch(monitor, watch_id, version, reasons)
    return total


# deliveries ---------------------------------------------------------------------------


def deliver(monitor: Monitor, delivery_id: int, worker: str) -> webhooks.Attempt | None:
    """Send one claimed delivery and record how it went."""
    settings = monitor.settings
    with monitor.store.read() as session:
        delivery = session.get(m.WebhookDelivery, delivery_id)
        watch = session.get(m.Watch, delivery.watch_id) if delivery else None
        if delivery is None or watch is None or watch.webhook_url is None:
            return None
        url, secret = watch.webhook_url, watch.webhook_secret or ""
        message_id, payload = delivery.message_id, delivery.payload
    attempt = webhooks.send(url, secret, message_id, payload, timeout=settings.webhook_timeout,
                            allow_private=settings.webhook_allow_private, now=_now())
    now = _now()
    with monitor.store.write(serialise=False) as session:
        delivery = session.get_one(m.WebhookDelivery, delivery_id, with_for_update=True)
        watch = session.get_one(m.Watch, delivery.watch_id, with_for_update=True)
        retry_at = None
        if attempt.delivered:
            delivery.state, delivery.delivered_at = "delivered", now
            watch.failing_since = None
        else:
            watch.failing_since = watch.failing_since or now
            if attempt.retry:
                retry_at = webhooks.next_attempt(
                    now, delivery.attempts, attempt.retry_after, settings.webhook_retry_base,
                    settings.webhook_retry_cap)
                delivery.next_attempt_at = retry_at
            else:
                delivery.state = "failed"
            failing_for = now - watch.failing_since
            if (watch.state == "active"
                    and failing_for >= timedelta(seconds=settings.webhook_pause_after)):
                watch.state = "paused"
                watch.paused_reason = (
                    f"Paused at {now:%Y-%m-%d %H:%M} UTC: the webhook endpoint has failed "
                    f"since {watch.failing_since:%Y-%m-%d %H:%M} UTC ({attempt.error}). "
                    "Fix it, then resume with PATCH {\"paused\": false}."
                )
                audit.record(session, audit.Actor("worker", worker), "watch.pause",
                             f"watch:{watch.id}", {"reason": watch.paused_reason})
        delivery.last_status, delivery.last_error = attempt.status_code, attempt.error
        delivery.claimed_by = delivery.claimed_until = None
        session.add(m.DeliveryAttempt(
            delivery_id=delivery.id, at=now, worker=worker, status_code=attempt.status_code,
            error=attempt.error, duration_ms=attempt.duration_ms, next_attempt_at=retry_at,
        ))
    return attempt


def now_plus(seconds: float) -> datetime:
    return _now() + timedelta(seconds=seconds)


# consequences of a proposal, before approval -------------------------------------------

IDENTIFIER_LABELS = {"isin": "ISIN", "lei": "LEI", "cik": "CIK", "cusip": "CUSIP",
                     "figi": "FIGI", "ticker": "ticker", "domain": "domain",
                     "registry": "registry number"}
TOP_HOLDINGS = 5


def _held_value(item: Mapping[str, Any], kind: str) -> str | None:
    value = item.get(kind)
    if value is None:
        return None
    text = str(value)
    try:
        return normalise_identifier(kind, text) if kind != "ticker" else text.strip().upper()
    except InvalidIdentifier:
        return None


def consequences(monitor: Monitor, after_entities: Mapping[str, Entity],
                 touched: Sequence[str]) -> dict[str, Any]:
    """What publishing ``after_entities`` in place of the current version would change: the
    entities whose rating moves (direct and derived), the watched holdings whose verdict
    moves (count and the largest by weight), and new identifiers already held by watched
    holdings that screen ``no_match`` today."""
    current = monitor.snapshots.current()
    if current is None:
        raise NoVersion("No watchlist version has been loaded yet.")
    proposed = Snapshot.build(
        Watchlist.build(current.version + 1, list(after_entities.values()),
                        list(current.watchlist.taxonomy.values())),
        review_years=monitor.settings.review_due_years)
    changes = outcome_changes(assessed(current), assessed(proposed), touched)
    reasons = {c.entity_id: c.reason for c in changes}
    moved: list[dict[str, Any]] = []
    watched = 0
    with monitor.store.read() as session:
        watches = rows.list_watches(session, None)
        held = {w.id: rows.item_states(session, w.id) for w in watches}
        books = {w.id: holding_books(session, w.id) for w in watches}
    for watch in watches:
        items = held[watch.id]
        if not items:
            continue
        watched += 1
        policy = monitor.policy(watch.policy)
        before_by_ref = {r.ref: stored_verdict(r) for r in items}
        if watch.screened_version != current.version:
            screened, _ = screen_items(current, policy, [r.item for r in items],
                                       books[watch.id])
            before_by_ref.update({s.ref: s.verdict for s in screened})
        after, _ = screen_items(proposed, policy, [r.item for r in items], books[watch.id])
        for new in after:
            before = before_by_ref.get(new.ref)
            if before is None or before == new.verdict:
                continue
            moved.append({
                "watch_id": watch.id, "watch": watch.name, "ref": new.ref,
                "label": _label(new.item, new.ref), "weight": new.weight,
                "item": new.item, "matched_on": list(new.matched_on),
                "before": _verdict_view(before), "after": _verdict_view(new.verdict),
                "reason": verdict_reason(_label(new.item, new.ref), before, new.verdict, reasons),
            })
    largest = sorted(moved, key=lambda h: -(h["weight"] or 0.0))[:TOP_HOLDINGS]
    return {
        "watchlist_version": current.version,
        "entities": [
            {**change_row(c), "kind": "direct" if c.direct else "derived",
             "rating_before": c.before.rating if c.before else None,
             "rating_after": c.after.rating if c.after else None}
            for c in changes if rating_moved(c)
        ],
        "holdings": {
            "watches": watched,
            "changed": len(moved),
            "watches_affected": len({h["watch_id"] for h in moved}),
            "largest": [{k: v for k, v in h.items() if k != "item"} for h in largest],
        },
        "held_identifiers": _held_identifiers(current, after_entities, touched, moved),
    }


def _held_identifiers(current: Snapshot, after_entities: Mapping[str, Entity],
                      touched: Sequence[str], moved: Sequence[Mapping[str, Any]]
                      ) -> list[dict[str, Any]]:
    """New identifiers of the proposal that watched holdings hold while screening no_match."""
    found: list[dict[str, Any]] = []
    for eid in touched:
        entity = after_entities.get(eid)
        if entity is None:
            continue
        old = current.watchlist.entities.get(eid)
        known = {(i.type, i.value) for i in old.identifiers} if old else set()
        for identifier in entity.identifiers:
            if (identifier.type, identifier.value) in known:
                continue
            holders = [
                h for h in moved
                if h["before"]["status"] == "no_match" and h["after"]["entity_id"] == eid
                and _held_value(h["item"], identifier.type) == identifier.value
            ]
            if not holders:
                continue
            labels = [h["label"] for h in holders]
            label = max(set(labels), key=labels.count)
            portfolios = len({h["watch_id"] for h in holders})
            kind = IDENTIFIER_LABELS.get(identifier.type, identifier.type)
            found.append({
                "entity_id": eid, "type": identifier.type, "value": identifier.value,
                "held_as": label, "watches": portfolios, "holdings": len(holders),
                "message": (f"This {kind} ({identifier.value}) is held as '{label}' in "
                            f"{portfolios} watched portfolio{'s' if portfolios != 1 else ''}, "
                            f"where it screens no_match today; {entity.name} would match it."),
            })
    return found


# the watched holdings an entity affects, for the pages -----------------------------------


def affected_entities(snapshot: Snapshot, entity_id: str) -> dict[str, str]:
    """The entity and every entity exposed to it through a chain (id -> how it is affected)."""
    names = {eid: e.name for eid, e in snapshot.watchlist.entities.items()}
    found = {entity_id: "listed"}
    for holder, exposures in snapshot.exposures.items():
        for exposure in exposures:
            if exposure.target == entity_id or any(s.held == entity_id for s in exposure.path):
                found.setdefault(holder, f"through {names.get(entity_id, entity_id)}")
    return found


def affected_holdings(monitor: Monitor, snapshot: Snapshot, owner_identity: str,
                      entity_id: str) -> list[dict[str, Any]]:
    """An owner's watched holdings that this entity affects: those that screen as it, and
    those that screen as an entity exposed to it."""
    how = affected_entities(snapshot, entity_id)
    with monitor.store.read() as session:
        found = rows.items_for_entities(session, owner_identity, how)
    return [
        {"watch_id": w.id, "watch": w.name, "ref": i.ref, "label": _label(i.item, i.ref),
         "weight": i.weight, "status": i.status, "rating": i.rating, "action": i.action,
         "entity_id": i.entity_id, "entity_name": i.entity_name, "how": how[i.entity_id or ""]}
        for w, i in found
    ]
