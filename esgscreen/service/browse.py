"""Browsing a snapshot: search with filters (and autocomplete), and one entity's whole record."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from esgscreen.core.model import Entity, Relation
from esgscreen.service.screening import Snapshot, evidence_view, identifier_view
from esgscreen.store import repository
from esgscreen.store.db import Store


def search_key(text: str) -> str:
    """Case- and accent-insensitive form for substring search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True, slots=True)
class EntityFilter:
    text: str | None = None
    kind: str | None = None
    flag: str | None = None
    rating: str | None = None
    country: str | None = None


def _texts(entity: Entity) -> Iterable[str]:
    yield entity.name
    yield from entity.alias_names
    yield from (i.value for i in entity.identifiers)
    yield from entity.products


def search(snapshot: Snapshot, wanted: EntityFilter) -> list[Entity]:
    """Entities passing every filter; for text, names starting with it come first."""
    needle = search_key(wanted.text.strip()) if wanted.text and wanted.text.strip() else None
    ranked: list[tuple[int, str, Entity]] = []
    for entity in snapshot.watchlist.entities.values():
        if wanted.kind and entity.kind != wanted.kind:
            continue
        if wanted.country and entity.country != wanted.country.upper():
            continue
        if wanted.rating and snapshot.ratings[entity.id] != wanted.rating:
            continue
        if wanted.flag and not any(f["code"] == wanted.flag for f in snapshot.flags[entity.id]):
            continue
        rank = 0
        if needle:
            folded = [search_key(t) for t in _texts(entity)]
            if any(t.startswith(needle) for t in folded):
                rank = 0
            elif any(needle in t for t in folded):
                rank = 1
            else:
                continue
        ranked.append((rank, search_key(entity.name), entity))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [entity for _, _, entity in ranked]


def entity_item(snapshot: Snapshot, entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "aliases": list(entity.alias_names),
        "kind": entity.kind,
        "country": entity.country,
        "status": entity.status,
        "rating": snapshot.ratings[entity.id],
        "flag_codes": sorted({f["code"] for f in snapshot.flags[entity.id]}),
        "products": list(entity.products),
    }


def flag_items(
    snapshot: Snapshot, review_due: bool | None = None, code: str | None = None
) -> list[dict[str, Any]]:
    """The curated flags of every entity, by entity name, or only those (not) review due.

    Review-due flags come in the curators' order: undated first, then the oldest newest
    evidence first.
    """
    if review_due:
        return [
            {
                "entity": {"id": due.entity_id, "name": due.entity_name},
                "code": due.code,
                "severity": due.severity,
                "status": "ongoing",
                "since": due.since,
                "latest_evidence": due.latest_evidence,
                "review_due": True,
            }
            for due in snapshot.review_due
            if code is None or due.code == code
        ]
    entities = sorted(snapshot.watchlist.entities.values(), key=lambda e: search_key(e.name))
    return [
        {
            "entity": {"id": entity.id, "name": entity.name},
            "code": view["code"],
            "severity": view["severity"],
            "status": view["status"],
            "since": view["since"],
            "latest_evidence": view["latest_evidence"],
            "review_due": view["review_due"],
        }
        for entity in entities
        for view in snapshot.flags[entity.id][: len(entity.flags)]  # curated ones only
        if (code is None or view["code"] == code)
        and (review_due is None or view["review_due"] == review_due)
    ]


def _party(snapshot: Snapshot, entity_id: str) -> dict[str, Any]:
    entity = snapshot.watchlist.entities.get(entity_id)
    return {
        "id": entity_id,
        "name": entity.name if entity else entity_id,
        "rating": snapshot.ratings.get(entity_id),
    }


def _relation_view(relation: Relation) -> dict[str, Any]:
    return {
        "type": relation.type,
        "share": relation.share,
        "share_text": relation.share_text,
        "since": relation.since,
        "until": relation.until,
        "note": relation.note,
        "evidence": [evidence_view(e) for e in relation.evidence],
    }


def entity_record(snapshot: Snapshot, entity: Entity, versions: list[int]) -> dict[str, Any]:
    """Everything known about one entity, in this snapshot's version."""
    incoming = [
        {"source": _party(snapshot, other.id), **_relation_view(relation)}
        for other in snapshot.watchlist.entities.values()
        for relation in other.relations
        if relation.target == entity.id
    ]
    return {
        "entity": {
            "id": entity.id,
            "name": entity.name,
            "aliases": [{"name": a.name, "kind": a.kind, "lang": a.lang} for a in entity.aliases],
            "kind": entity.kind,
            "country": entity.country,
            "status": entity.status,
            "description": entity.description,
            "products": list(entity.products),
            "identifiers": [identifier_view(i) for i in entity.identifiers],
            "last_reviewed": snapshot.summaries[entity.id]["last_reviewed"],
        },
        "rating": snapshot.ratings[entity.id],
        "flags": snapshot.flags[entity.id],
        "exposure": snapshot.exposure_views.get(entity.id, []),
        "relations": {
            "outgoing": [
                {"target": _party(snapshot, r.target), **_relation_view(r)}
                for r in entity.relations
            ],
            "incoming": incoming,
        },
        "versions": versions,
        "watchlist_version": snapshot.version,
    }


def entity_history(store: Store, entity_id: str, upto: int) -> list[repository.VersionInfo]:
    """Each version up to `upto` that changed the entity, oldest first."""
    with store.read() as session:
        numbers = [v for v in repository.entity_versions(session, entity_id) if v <= upto]
        return [info for info in (repository.get_version(session, v) for v in numbers) if info]
