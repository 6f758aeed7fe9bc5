"""The watchlist in FollowTheMoney form (the data model of OpenSanctions, yente and Aleph).

Plain dicts in FtM's JSON shape (``{"id", "schema", "properties": {name: [values]}}``), built
without the ``followthemoney`` package (the tests check them with it):

- each entity is a ``Company`` (an ``Organization`` for an investor that nobody owns and that
  has no listing), with its
  names, identifiers, country and description, its rating and flags in ``keywords`` and
  ``notes``, and FtM ``topics`` for sanctions, export controls, crime and regulatory action;
- ``owned_by`` and ``subsidiary_of`` become ``Ownership``; ``merged_into``, ``brand_of`` and
  ``formerly_known_as`` become ``UnknownLink`` with the relation as its role;
- each ``sanctions`` or ``export_control_listing`` flag becomes a ``Sanction``.

Ids are stable: ``esgscreen-<entity id>`` for entities, and for the rest a hash of what they
link, so the same fact keeps its id from version to version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from esgscreen.core.model import Entity, Flag, Relation

ID_PREFIX = "esgscreen-"
DATASET = "esgscreen"

IDENTIFIER_PROPERTIES = {
    "isin": "isinCode",
    "lei": "leiCode",
    "cik": "cikCode",
    "ticker": "ticker",
    "domain": "website",
    "registry": "registrationNumber",
    "cusip": "idNumber",
    "figi": "idNumber",
}
# FtM topics (a fixed vocabulary) for the flag codes that have one.
FLAG_TOPICS = {
    "sanctions": "sanction",
    "export_control_listing": "export.control",
    "criminal_proceedings": "crime",
    "data_protection_enforcement": "reg.action",
}
SANCTION_CODES = {"sanctions", "export_control_listing"}
OWNERSHIP_RELATIONS = {"owned_by", "subsidiary_of"}
RATING_WORDS = {"red": "exclusion grade", "orange": "high risk", "yellow": "elevated risk",
                "green": "on the watchlist with no open concern"}


def entity_id(watchlist_id: str) -> str:
    """The FtM id of a watchlist entity."""
    return ID_PREFIX + watchlist_id


def watchlist_id(ftm_id: str) -> str:
    """The watchlist id behind an FtM entity id (either form is accepted)."""
    return ftm_id[len(ID_PREFIX):] if ftm_id.startswith(ID_PREFIX) else ftm_id


def _hash_id(kind: str, *parts: str | None) -> str:
    digest = hashlib.sha1("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return f"{ID_PREFIX}{kind}-{digest[:16]}"


def _put(properties: dict[str, list[str]], name: str, *values: str | None) -> None:
    for value in values:
        if value is None or value == "":
            continue
        bucket = properties.setdefault(name, [])
        if value not in bucket:
            bucket.append(value)


# Identifiers only a Company (not an Organization) may carry in FtM.
COMPANY_IDENTIFIERS = {"isin", "cik", "ticker"}


def _schema_of(entity: Entity, owned: set[str]) -> str:
    if (entity.kind == "investor" and entity.id not in owned
            and not any(i.type in COMPANY_IDENTIFIERS for i in entity.identifiers)):
        return "Organization"
    return "Company"


def owned_ids(entities: Mapping[str, Entity]) -> set[str]:
    """Entities some other entity owns: FtM needs them to be Companies (an Asset)."""
    return {e.id for e in entities.values() for r in e.relations
            if r.type in OWNERSHIP_RELATIONS}


def flag_note(flag: Mapping[str, Any] | Flag) -> str:
    view = flag if isinstance(flag, Mapping) else {
        "code": flag.code, "severity": flag.severity, "status": flag.status,
        "summary": flag.summary}
    return f"{view['code']} ({view['severity']}, {view['status']}): {view['summary']}"


def entity_proxy(entity: Entity, rating: str, flags: Sequence[Mapping[str, Any]],
                 schema: str = "Company") -> dict[str, Any]:
    """One watchlist entity as an FtM entity; ``flags`` are its flag views, derived ones too."""
    props: dict[str, list[str]] = {}
    _put(props, "name", entity.name)
    for alias in entity.aliases:
        _put(props, "previousName" if alias.kind == "former" else "alias", alias.name)
    _put(props, "country", (entity.country or "").lower() or None)
    _put(props, "description", entity.description)
    _put(props, "status", entity.status)
    for identifier in entity.identifiers:
        value = identifier.value
        if identifier.type == "domain":
            value = f"https://{value}"
        _put(props, IDENTIFIER_PROPERTIES[identifier.type], value)
    codes = sorted({f["code"] for f in flags})
    _put(props, "topics", *sorted({FLAG_TOPICS[c] for c in codes if c in FLAG_TOPICS}))
    _put(props, "keywords", f"esgscreen:rating:{rating}", *(f"esgscreen:flag:{c}" for c in codes))
    _put(props, "notes", f"esgscreen rating: {rating} ({RATING_WORDS.get(rating, rating)})",
         *(flag_note(f) for f in flags))
    _put(props, "sourceUrl", *(e["url"] for f in flags for e in f.get("evidence", [])))
    return {"id": entity_id(entity.id), "schema": schema, "properties": props,
            "datasets": [DATASET]}


def relation_proxy(subject: Entity, relation: Relation) -> dict[str, Any]:
    props: dict[str, list[str]] = {}
    if relation.type in OWNERSHIP_RELATIONS:
        schema = "Ownership"
        _put(props, "owner", entity_id(relation.target))
        _put(props, "asset", entity_id(subject.id))
        if relation.share is not None:
            _put(props, "percentage", f"{relation.share:g}")
        _put(props, "role", "subsidiary" if relation.type == "subsidiary_of" else "owner")
        _put(props, "summary", relation.share_text)
    else:
        schema = "UnknownLink"
        _put(props, "subject", entity_id(subject.id))
        _put(props, "object", entity_id(relation.target))
        _put(props, "role", relation.type.replace("_", " "))
    _put(props, "startDate", relation.since)
    _put(props, "endDate", relation.until)
    _put(props, "description", relation.note)
    _put(props, "sourceUrl", *(e.url for e in relation.evidence))
    _put(props, "publisher", *(e.publisher for e in relation.evidence))
    return {"id": _hash_id(schema.lower(), subject.id, relation.type, relation.target,
                           relation.since),
            "schema": schema, "properties": props, "datasets": [DATASET]}


def sanction_proxy(entity: Entity, flag: Flag) -> dict[str, Any]:
    props: dict[str, list[str]] = {}
    _put(props, "entity", entity_id(entity.id))
    _put(props, "program", flag.code.replace("_", " "))
    _put(props, "reason", flag.summary)
    _put(props, "startDate", flag.since)
    _put(props, "status", flag.status)
    _put(props, "sourceUrl", *(e.url for e in flag.evidence))
    _put(props, "publisher", *(e.publisher for e in flag.evidence))
    return {"id": _hash_id("sanction", entity.id, flag.code, flag.since),
            "schema": "Sanction", "properties": props, "datasets": [DATASET]}


def watchlist_proxies(entities: Mapping[str, Entity], ratings: Mapping[str, str],
                      flags: Mapping[str, Sequence[Mapping[str, Any]]]
                      ) -> Iterator[dict[str, Any]]:
    """Every FtM entity of one watchlist version: parties first, then links and sanctions."""
    owned = owned_ids(entities)
    for entity in entities.values():
        yield entity_proxy(entity, ratings[entity.id], flags[entity.id],
                           _schema_of(entity, owned))
    for entity in entities.values():
        for relation in entity.relations:
            yield relation_proxy(entity, relation)
        for flag in entity.flags:
            if flag.code in SANCTION_CODES:
                yield sanction_proxy(entity, flag)


def schema_for(entity: Entity, entities: Mapping[str, Entity]) -> str:
    return _schema_of(entity, owned_ids(entities))
