"""Rows of monitoring: version jobs, outcome changes, watches, events and the webhook outbox.

Functions take the caller's session (one unit of work from ``Store.write()``/``read()``).
Workers claim jobs and deliveries with a lease: on PostgreSQL the candidate row is locked
with ``FOR UPDATE SKIP LOCKED``; on both backends the claim itself is a conditional UPDATE
that succeeds for one worker only, so several workers on several hosts never take the same
row while its lease runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session

from esgscreen.store import models as m


def enqueue_version(session: Session, version: int, now: datetime) -> None:
    """Leave the work of a newly published version to the worker (same transaction)."""
    session.add(m.MonitorJob(version=version, state="pending", outcomes_done=False,
                             attempts=0, created_at=now))


# claiming ----------------------------------------------------------------------


def _free(model: type[m.MonitorJob] | type[m.WebhookDelivery], now: datetime) -> Any:
    return or_(model.claimed_until.is_(None), model.claimed_until < now)


def _claim(session: Session, model: Any, candidate: Any, worker: str, until: datetime,
           now: datetime) -> Any | None:
    if session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True, of=model)
    row_id = session.scalar(candidate)
    if row_id is None:
        return None
    claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(model)
        .where(model.id == row_id, model.state == "pending", _free(model, now))
        .values(claimed_by=worker, claimed_until=until, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    return session.get(model, row_id, populate_existing=True)


def claim_job(session: Session, worker: str, until: datetime, now: datetime
              ) -> m.MonitorJob | None:
    """The oldest pending version job no live worker holds, now leased to ``worker``."""
    candidate = (
        select(m.MonitorJob.id)
        .where(m.MonitorJob.state == "pending", _free(m.MonitorJob, now))
        .order_by(m.MonitorJob.version)
        .limit(1)
    )
    return _claim(session, m.MonitorJob, candidate, worker, until, now)


def extend_job(session: Session, job_id: int, worker: str, until: datetime) -> bool:
    """Renew a job's lease; False if another worker has taken it over."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(m.MonitorJob)
        .where(m.MonitorJob.id == job_id, m.MonitorJob.claimed_by == worker)
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish_job(session: Session, job_id: int, now: datetime) -> None:
    session.execute(
        update(m.MonitorJob).where(m.MonitorJob.id == job_id)
        .values(state="done", done_at=now, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def fail_job(session: Session, job_id: int, error: str, retry_at: datetime) -> None:
    session.execute(
        update(m.MonitorJob).where(m.MonitorJob.id == job_id)
        .values(last_error=error[:2000], claimed_by=None, claimed_until=retry_at)
        .execution_options(synchronize_session=False)
    )


def claim_delivery(session: Session, worker: str, until: datetime, now: datetime
                   ) -> m.WebhookDelivery | None:
    """A due delivery of an active watch no live worker holds, now leased to ``worker``."""
    candidate = (
        select(m.WebhookDelivery.id)
        .join(m.Watch, m.Watch.id == m.WebhookDelivery.watch_id)
        .where(
            m.WebhookDelivery.state == "pending",
            m.WebhookDelivery.next_attempt_at <= now,
            _free(m.WebhookDelivery, now),
            m.Watch.state == "active",
        )
        .order_by(m.WebhookDelivery.next_attempt_at, m.WebhookDelivery.id)
        .limit(1)
    )
    return _claim(session, m.WebhookDelivery, candidate, worker, until, now)


# jobs and outcome changes --------------------------------------------------------


def job_for(session: Session, version: int, *, for_update: bool = False) -> m.MonitorJob | None:
    query = select(m.MonitorJob).where(m.MonitorJob.version == version)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def pending_versions(session: Session) -> list[int]:
    return list(session.scalars(
        select(m.MonitorJob.version).where(m.MonitorJob.state == "pending")
        .order_by(m.MonitorJob.version)
    ))


def versions_with_outcomes(session: Session, versions: Iterable[int]) -> set[int]:
    wanted = list(versions)
    if not wanted:
        return set()
    return set(session.scalars(
        select(m.MonitorJob.version)
        .where(m.MonitorJob.version.in_(wanted), m.MonitorJob.outcomes_done.is_(True))
    ))


def store_outcomes(session: Session, version: int, rows: Sequence[dict[str, Any]],
                   now: datetime) -> bool:
    """Record a version's outcome changes once; False if they were recorded already."""
    job = job_for(session, version, for_update=True)
    if job is None:  # a version published before monitoring existed, or with no watches
        job = m.MonitorJob(version=version, state="done", outcomes_done=False, attempts=0,
                           created_at=now, done_at=now)
        session.add(job)
        session.flush()
    if job.outcomes_done:
        return False
    session.add_all(m.OutcomeChange(version=version, **row) for row in rows)
    job.outcomes_done = True
    session.flush()
    return True


def list_outcomes(session: Session, since: int, after_id: int | None, limit: int
                  ) -> list[m.OutcomeChange]:
    query = (
        select(m.OutcomeChange).where(m.OutcomeChange.version > since)
        .order_by(m.OutcomeChange.id).limit(limit)
    )
    if after_id is not None:
        query = query.where(m.OutcomeChange.id > after_id)
    return list(session.scalars(query))


def outcomes_of(session: Session, version: int) -> list[m.OutcomeChange]:
    return list(session.scalars(
        select(m.OutcomeChange).where(m.OutcomeChange.version == version)
        .order_by(m.OutcomeChange.id)
    ))


# watches ---------------------------------------------------------------------------


def get_watch(session: Session, watch_id: int, *, for_update: bool = False) -> m.Watch | None:
    query = select(m.Watch).where(m.Watch.id == watch_id, m.Watch.state != "deleted")
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def list_watches(session: Session, owner: str | None) -> list[m.Watch]:
    query = select(m.Watch).where(m.Watch.state != "deleted").order_by(m.Watch.id)
    if owner is not None:
        query = query.where(m.Watch.owner == owner)
    return list(session.scalars(query))


def watches_behind(session: Session, version: int) -> list[int]:
    return list(session.scalars(
        select(m.Watch.id)
        .where(m.Watch.state != "deleted", m.Watch.screened_version < version)
        .order_by(m.Watch.id)
    ))


def items(session: Session, watch_id: int) -> list[m.WatchItem]:
    return list(session.scalars(
        select(m.WatchItem).where(m.WatchItem.watch_id == watch_id).order_by(m.WatchItem.id)
    ))


def item_states(session: Session, watch_id: int) -> list[Any]:
    """The holdings as plain rows (id, ref, item, weight and the stored verdict): lighter than
    ORM objects for a watch of 100,000."""
    return list(session.execute(
        select(m.WatchItem.id, m.WatchItem.ref, m.WatchItem.item, m.WatchItem.weight,
               m.WatchItem.status, m.WatchItem.rating, m.WatchItem.action,
               m.WatchItem.entity_id, m.WatchItem.entity_name)
        .where(m.WatchItem.watch_id == watch_id).order_by(m.WatchItem.id)
    ))


def set_item_states(session: Session, states: Sequence[dict[str, Any]]) -> None:
    """New verdicts for holdings, by id, in bulk."""
    if states:
        session.execute(update(m.WatchItem), list(states))


def item_count(session: Session, watch_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(m.WatchItem).where(m.WatchItem.watch_id == watch_id)
    ) or 0


def remove_items(session: Session, watch_id: int, refs: Iterable[str]) -> None:
    wanted = list(refs)
    for start in range(0, len(wanted), 500):
        session.execute(delete(m.WatchItem).where(
            m.WatchItem.watch_id == watch_id, m.WatchItem.ref.in_(wanted[start:start + 500])))


def items_for_entities(session: Session, owner: str, entity_ids: Iterable[str]
                       ) -> list[tuple[m.Watch, m.WatchItem]]:
    """An owner's watched holdings that currently screen as one of these entities."""
    wanted = list(entity_ids)
    if not wanted:
        return []
    rows = session.execute(
        select(m.Watch, m.WatchItem)
        .join(m.WatchItem, m.WatchItem.watch_id == m.Watch.id)
        .where(m.Watch.owner == owner, m.Watch.state != "deleted",
               m.WatchItem.entity_id.in_(wanted))
        .order_by(m.Watch.id, m.WatchItem.id)
    )
    return [(w, i) for w, i in rows]


def list_events(session: Session, watch_id: int, since: int, after_id: int | None,
                limit: int) -> list[m.WatchEvent]:
    query = (
        select(m.WatchEvent)
        .where(m.WatchEvent.watch_id == watch_id, m.WatchEvent.version > since)
        .order_by(m.WatchEvent.id).limit(limit)
    )
    if after_id is not None:
        query = query.where(m.WatchEvent.id > after_id)
    return list(session.scalars(query))


def list_deliveries(session: Session, watch_id: int, after_id: int | None, limit: int
                    ) -> list[tuple[m.WebhookDelivery, list[m.DeliveryAttempt]]]:
    query = (
        select(m.WebhookDelivery).where(m.WebhookDelivery.watch_id == watch_id)
        .order_by(m.WebhookDelivery.id).limit(limit)
    )
    if after_id is not None:
        query = query.where(m.WebhookDelivery.id > after_id)
    deliveries = list(session.scalars(query))
    attempts: dict[int, list[m.DeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(m.DeliveryAttempt)
            .where(m.DeliveryAttempt.delivery_id.in_(list(attempts)))
            .order_by(m.DeliveryAttempt.id)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts[d.id]) for d in deliveries]
