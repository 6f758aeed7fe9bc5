"""The audit trail: appended inside the same transaction as the write it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from esgscreen.store.models import AuditEvent


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: ``kind`` is key, user or cli."""

    kind: str
    name: str
    id: int | None = None
    remote_addr: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.id} {self.name}" if self.id is not None else (
            f"{self.kind}:{self.name}"
        )


CLI = Actor("cli", "command line")


def record(
    session: Session,
    actor: Actor,
    action: str,
    subject: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=datetime.now(UTC),
            actor=str(actor),
            action=action,
            subject=subject,
            detail=detail or {},
            remote_addr=actor.remote_addr,
        )
    )


def list_events(
    session: Session,
    *,
    action: str | None = None,
    subject: str | None = None,
    actor: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    if actor:
        query = query.where(AuditEvent.actor.contains(actor))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))
