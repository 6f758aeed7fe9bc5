"""Proposal rows: recorded, listed, decided. The rules of deciding live in ``curation``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from esgscreen.store import audit
from esgscreen.store.models import Proposal

STATUSES = ("pending", "approved", "rejected", "withdrawn")


@dataclass(frozen=True, slots=True)
class ProposalInfo:
    id: int
    summary: str
    status: str
    changes: list[dict[str, Any]]
    base_version: int | None
    base_hashes: dict[str, str | None]
    author: str
    author_identity: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None
    result_version: int | None


def info(row: Proposal) -> ProposalInfo:
    return ProposalInfo(
        id=row.id,
        summary=row.summary,
        status=row.status,
        changes=row.changes,
        base_version=row.base_version,
        base_hashes=row.base_hashes,
        author=row.author,
        author_identity=row.author_identity,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        reason=row.reason,
        result_version=row.result_version,
    )


def identity(actor: audit.Actor) -> str:
    """Who a person is, for the four-eyes rule: the key or the user, whatever its name."""
    return f"{actor.kind}:{actor.id if actor.id is not None else actor.name}"


def add(
    session: Session,
    summary: str,
    changes: list[dict[str, Any]],
    base_version: int | None,
    base_hashes: dict[str, str | None],
    actor: audit.Actor,
) -> ProposalInfo:
    row = Proposal(
        summary=summary,
        status="pending",
        changes=changes,
        base_version=base_version,
        base_hashes=base_hashes,
        author=str(actor),
        author_identity=identity(actor),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "proposal.submit", f"proposal:{row.id}",
                 {"summary": summary, "changes": len(changes),
                  "entities": sorted(base_hashes)})
    return info(row)


def get(session: Session, proposal_id: int, *, for_update: bool = False) -> Proposal | None:
    query = select(Proposal).where(Proposal.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def list_proposals(session: Session, status: str | None = None) -> list[ProposalInfo]:
    query = select(Proposal).order_by(Proposal.id.desc())
    if status:
        query = query.where(Proposal.status == status)
    return [info(row) for row in session.scalars(query)]


def decide(
    session: Session,
    row: Proposal,
    status: str,
    actor: audit.Actor,
    *,
    reason: str | None = None,
    result_version: int | None = None,
) -> ProposalInfo:
    row.status = status
    row.decided_at = datetime.now(UTC)
    row.decided_by = str(actor)
    row.reason = reason
    row.result_version = result_version
    action = {"approved": "proposal.approve", "rejected": "proposal.reject",
              "withdrawn": "proposal.withdraw"}[status]
    detail: dict[str, Any] = {"reason": reason} if reason else {}
    if result_version is not None:
        detail["version"] = result_version
    audit.record(session, actor, action, f"proposal:{row.id}", detail)
    session.flush()
    return info(row)
