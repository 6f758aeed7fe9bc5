"""Reading and writing the versioned watchlist. Each public function is one unit of work.

Rows turn into core values here and nowhere else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from esgscreen.core.model import (
    Alias,
    Entity,
    Evidence,
    Flag,
    FlagCode,
    Identifier,
    Relation,
    Revision,
    Watchlist,
)
from esgscreen.store import models as m


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    created_at: datetime
    summary: str
    author: str
    changes: dict


def content_hash(value: Entity | FlagCode) -> str:
    # Frozen dataclasses of str/float/tuple have a stable repr: equal content, equal hash.
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()


# reading -------------------------------------------------------------------


def current_version(session: Session) -> int | None:
    return session.scalar(select(func.max(m.WatchlistVersion.id)))


def get_version(session: Session, version: int) -> VersionInfo | None:
    row = session.get(m.WatchlistVersion, version)
    return _version_info(row) if row else None


def version_at(session: Session, moment: datetime) -> int | None:
    """The version in force at ``moment``: the last one published at or before it."""
    return session.scalar(
        select(func.max(m.WatchlistVersion.id)).where(m.WatchlistVersion.created_at <= moment)
    )


def list_versions(
    session: Session, limit: int = 100, before: int | None = None
) -> list[VersionInfo]:
    query = select(m.WatchlistVersion).order_by(m.WatchlistVersion.id.desc()).limit(limit)
    if before is not None:
        query = query.where(m.WatchlistVersion.id < before)
    return [_version_info(row) for row in session.scalars(query)]


def _version_info(row: m.WatchlistVersion) -> VersionInfo:
    return VersionInfo(row.id, row.created_at, row.summary, row.author, row.changes)


def _valid_at(model: type[m.EntityRevision] | type[m.FlagCodeRevision], version: int):  # noqa: ANN202
    return (model.since_version <= version) & or_(
        model.until_version.is_(None), model.until_version > version
    )


def load_watchlist(session: Session, version: int | None = None) -> Watchlist | None:
    """The watchlist as it was at ``version`` (default: the current one); None if none exists."""
    info = get_version(session, version) if version is not None else None
    if version is None:
        latest = current_version(session)
        info = get_version(session, latest) if latest is not None else None
    if info is None:
        return None
    revisions = session.scalars(
        select(m.EntityRevision)
        .where(_valid_at(m.EntityRevision, info.version))
        .order_by(m.EntityRevision.entity_id)
        .options(
            selectinload(m.EntityRevision.aliases),
            selectinload(m.EntityRevision.identifiers),
            selectinload(m.EntityRevision.products),
            selectinload(m.EntityRevision.relations).selectinload(m.EntityRelation.evidence),
            selectinload(m.EntityRevision.flags).selectinload(m.EntityFlag.evidence),
        )
    )
    codes = session.scalars(
        select(m.FlagCodeRevision)
        .where(_valid_at(m.FlagCodeRevision, info.version))
        .order_by(m.FlagCodeRevision.position)
    )
    rows = list(revisions)
    published: dict[int, datetime] = {
        version: created
        for version, created in session.execute(
            select(m.WatchlistVersion.id, m.WatchlistVersion.created_at).where(
                m.WatchlistVersion.id.in_({r.since_version for r in rows})
            )
        )
    }
    return Watchlist.build(
        info.version,
        [_entity_from_row(r) for r in rows],
        [_flag_code_from_row(c) for c in codes],
        created_at=info.created_at.isoformat(),
        revisions={
            r.entity_id: Revision(r.since_version, published[r.since_version].date().isoformat())
            for r in rows
        },
    )


def entity_versions(session: Session, entity_id: str) -> list[int]:
    """The versions in which the entity was added, changed or retired."""
    rows = session.execute(
        select(m.EntityRevision.since_version, m.EntityRevision.until_version).where(
            m.EntityRevision.entity_id == entity_id
        )
    )
    versions: set[int] = set()
    for since, until in rows:
        versions.add(since)
        if until is not None:
            versions.add(until)
    return sorted(versions)


def retired_entities(session: Session) -> dict[str, int]:
    """Entities no longer on the current watchlist, each with the version that retired it."""
    revision = m.EntityRevision
    rows = session.execute(
        select(revision.entity_id, func.max(revision.until_version))
        .group_by(revision.entity_id)
        .having(func.count(revision.id) == func.count(revision.until_version))
    )
    return {entity_id: version for entity_id, version in rows}


def _evidence(rows: Iterable[m.Evidence]) -> tuple[Evidence, ...]:
    return tuple(Evidence(e.url, e.publisher, e.date, e.title, e.authority) for e in rows)


def _entity_from_row(row: m.EntityRevision) -> Entity:
    return Entity(
        id=row.entity_id,
        name=row.name,
        kind=row.kind,
        country=row.country,
        status=row.status,
        description=row.description,
        aliases=tuple(Alias(a.name, a.kind, a.lang) for a in row.aliases),
        identifiers=tuple(
            Identifier(i.type, i.value, i.exchange, i.confidence, i.source, i.note)
            for i in row.identifiers
        ),
        products=tuple(p.name for p in row.products),
        relations=tuple(
            Relation(
                r.type,
                r.target_entity_id,
                r.share,
                r.share_text,
                r.since,
                r.until,
                r.note,
                _evidence(r.evidence),
            )
            for r in row.relations
        ),
        flags=tuple(
            Flag(f.code, f.severity, f.status, f.since, f.summary, _evidence(f.evidence))
            for f in row.flags
        ),
    )


def _flag_code_from_row(row: m.FlagCodeRevision) -> FlagCode:
    return FlagCode(
        row.code,
        row.title,
        row.definition,
        row.default_severity,
        tuple(row.standards),
        row.derived,
    )


# writing -------------------------------------------------------------------


def _evidence_rows(items: Sequence[Evidence]) -> list[m.Evidence]:
    return [
        m.Evidence(
            position=n,
            url=e.url,
            publisher=e.publisher,
            date=e.date,
            title=e.title,
            authority=e.authority,
        )
        for n, e in enumerate(items)
    ]


def _entity_row(entity: Entity, version: int) -> m.EntityRevision:
    return m.EntityRevision(
        entity_id=entity.id,
        since_version=version,
        content_hash=content_hash(entity),
        name=entity.name,
        kind=entity.kind,
        country=entity.country,
        status=entity.status,
        description=entity.description,
        aliases=[
            m.EntityAlias(position=n, name=a.name, kind=a.kind, lang=a.lang)
            for n, a in enumerate(entity.aliases)
        ],
        identifiers=[
            m.EntityIdentifier(
                position=n,
                type=i.type,
                value=i.value,
                exchange=i.exchange,
                confidence=i.confidence,
                source=i.source,
                note=i.note,
            )
            for n, i in enumerate(entity.identifiers)
        ],
        products=[m.EntityProduct(position=n, name=p) for n, p in enumerate(entity.products)],
        relations=[
            m.EntityRelation(
                position=n,
                type=r.type,
                target_entity_id=r.target,
                share=r.share,
                share_text=r.share_text,
                since=r.since,
                until=r.until,
                note=r.note,
                evidence=_evidence_rows(r.evidence),
            )
            for n, r in enumerate(entity.relations)
        ],
        flags=[
            m.EntityFlag(
                position=n,
                code=f.code,
                severity=f.severity,
                status=f.status,
                since=f.since,
                summary=f.summary,
                evidence=_evidence_rows(f.evidence),
            )
            for n, f in enumerate(entity.flags)
        ],
    )


def _flag_code_row(code: FlagCode, version: int, position: int) -> m.FlagCodeRevision:
    return m.FlagCodeRevision(
        code=code.code,
        since_version=version,
        content_hash=content_hash(code),
        title=code.title,
        definition=code.definition,
        default_severity=code.default_severity,
        standards=list(code.standards),
        derived=code.derived,
        position=position,
    )


def publish(
    session: Session,
    entities: Iterable[Entity],
    taxonomy: Sequence[FlagCode],
    *,
    summary: str,
    author: str,
    now: datetime | None = None,
) -> int | None:
    """Make ``entities`` and ``taxonomy`` the whole current watchlist, as one new version.

    Returns the new version number, or None when nothing differs from the current version.
    Runs inside the caller's write transaction (``Store.write()``): all of it or none of it.
    """
    wanted = {e.id: e for e in entities}
    open_entities = {
        r.entity_id: r
        for r in session.scalars(
            select(m.EntityRevision).where(m.EntityRevision.until_version.is_(None))
        )
    }
    added = sorted(set(wanted) - set(open_entities))
    removed = sorted(set(open_entities) - set(wanted))
    changed = sorted(
        eid
        for eid in set(wanted) & set(open_entities)
        if open_entities[eid].content_hash != content_hash(wanted[eid])
    )
    open_codes = list(
        session.scalars(
            select(m.FlagCodeRevision)
            .where(m.FlagCodeRevision.until_version.is_(None))
            .order_by(m.FlagCodeRevision.position)
        )
    )
    taxonomy_changed = [c.content_hash for c in open_codes] != [
        content_hash(c) for c in taxonomy
    ]
    if not (added or removed or changed or taxonomy_changed):
        return None

    version = (current_version(session) or 0) + 1
    session.add(
        m.WatchlistVersion(
            id=version,
            created_at=now or datetime.now(UTC),
            summary=summary,
            author=author,
            changes={
                "added": added,
                "changed": changed,
                "removed": removed,
                "taxonomy_changed": taxonomy_changed,
            },
        )
    )
    session.flush()
    for eid in removed + changed:
        open_entities[eid].until_version = version
    for eid in added + changed:
        session.add(_entity_row(wanted[eid], version))
    if taxonomy_changed:
        for row in open_codes:
            row.until_version = version
        for position, code in enumerate(taxonomy):
            session.add(_flag_code_row(code, version, position))
    session.flush()
    return version
