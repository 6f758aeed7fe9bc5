"""Exports of a published watchlist version: JSON records, CSV rows and FollowTheMoney lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from esgscreen.core.ftm import watchlist_proxies
from esgscreen.service.browse import entity_record
from esgscreen.service.screening import Snapshot
from esgscreen.store import repository
from esgscreen.store.db import Store

FORMATS = ("json", "csv", "ftm")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv",
               "ftm": "application/x-ndjson"}
CSV_COLUMNS = ("entity_id", "name", "kind", "country", "status", "rating", "flag_codes",
               "identifier_type", "identifier_value", "exchange", "confidence", "source")


def export_json(snapshot: Snapshot, store: Store) -> str:
    """The version's entity records, as ``GET /api/v1/entities/{id}`` gives them."""
    with store.read() as session:
        changed: dict[str, list[int]] = {
            eid: [v for v in repository.entity_versions(session, eid) if v <= snapshot.version]
            for eid in snapshot.watchlist.entities
        }
    records = [entity_record(snapshot, entity, changed[entity.id])
               for entity in snapshot.watchlist.entities.values()]
    document: dict[str, Any] = {
        "watchlist_version": snapshot.version,
        "created_at": snapshot.watchlist.created_at,
        "entities": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def csv_rows(snapshot: Snapshot) -> Iterator[dict[str, Any]]:
    """One row per entity and identifier (an entity without identifiers gets one row)."""
    for entity in snapshot.watchlist.entities.values():
        base = {
            "entity_id": entity.id,
            "name": entity.name,
            "kind": entity.kind,
            "country": entity.country or "",
            "status": entity.status,
            "rating": snapshot.ratings[entity.id],
            "flag_codes": ";".join(sorted({f["code"] for f in snapshot.flags[entity.id]})),
        }
        if not entity.identifiers:
            yield base
        for identifier in entity.identifiers:
            yield {**base, "identifier_type": identifier.type,
                   "identifier_value": identifier.value, "exchange": identifier.exchange or "",
                   "confidence": identifier.confidence, "source": identifier.source or ""}


def export_csv(snapshot: Snapshot) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="")
    writer.writeheader()
    writer.writerows(csv_rows(snapshot))
    return out.getvalue()


def export_ftm(snapshot: Snapshot) -> str:
    """FollowTheMoney entities, one JSON object a line (what yente and Aleph load)."""
    return "".join(
        json.dumps(proxy, ensure_ascii=False, separators=(",", ":")) + "\n"
        for proxy in watchlist_proxies(snapshot.watchlist.entities, snapshot.ratings,
                                       snapshot.flags)
    )


def export(snapshot: Snapshot, store: Store, format_: str) -> str:
    if format_ == "json":
        return export_json(snapshot, store)
    if format_ == "csv":
        return export_csv(snapshot)
    if format_ == "ftm":
        return export_ftm(snapshot)
    raise ValueError(f"Unknown export format {format_!r}; formats are: {', '.join(FORMATS)}.")
