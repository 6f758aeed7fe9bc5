"""Answers in the shapes of yente, the OpenSanctions matching API, from this service's own
matching: ``/match`` (query by example), ``/search``, ``/entities/{id}`` and ``/catalog``.

A client of yente points its base URL here and screens against this watchlist unchanged. The
dataset is ``esgscreen`` (``default`` is an alias). Results are FollowTheMoney entities
(``esgscreen.core.ftm``) carrying the rating and flags in ``keywords``, ``notes`` and ``topics``.
``match`` is true when the score reaches ``threshold`` (default 0.90: this service's own line
for a match); results below ``cutoff`` (default 0.70) are not returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.ftm import (
    DATASET,
    entity_id,
    entity_proxy,
    relation_proxy,
    sanction_proxy,
    schema_for,
    watchlist_id,
)
from esgscreen.core.ftm import SANCTION_CODES as SANCTION_FLAG_CODES
from esgscreen.core.model import Entity
from esgscreen.core.policy import Policy, decide
from esgscreen.service.browse import EntityFilter, search
from esgscreen.service.screening import Snapshot, Summary, match_query

DATASETS = {DATASET: DATASET, "default": DATASET}
MATCH_THRESHOLD = 0.90
MATCH_CUTOFF = 0.70
# Schemas a watchlist entity (a Company or Organization) can answer.
COMPATIBLE_SCHEMAS = {"Thing", "LegalEntity", "Organization", "Company"}
# Other FtM schemas a query may name: valid, but nothing on this watchlist is one.
OTHER_SCHEMAS = {"Person", "PublicBody", "Asset", "Security", "Vessel", "Airplane",
                 "Address", "BankAccount", "CryptoWallet", "Passport", "Identification"}
NAME_PROPERTIES = ("name", "alias", "previousName", "weakAlias")
IDENTIFIER_PROPERTIES = {
    "isinCode": "isin",
    "leiCode": "lei",
    "cikCode": "cik",
    "ticker": "ticker",
    "website": "domain",
    "idNumber": "q",
    "swiftBic": None,
}
CONFIDENCE_SCORES = {"high": 1.0, "medium": 0.97, "low": 0.93}


class UnknownDataset(LookupError):
    pass


class BadExample(ValueError):
    """A query that cannot be read: ``status`` is what yente answers (400 or 422)."""

    def __init__(self, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def dataset_named(name: str) -> str:
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDataset(f"No such dataset: {name!r}; this service has "
                             f"{', '.join(sorted(DATASETS))}.") from None


def _values(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list):
        raise BadExample("Property values must be text or lists of text.", 422)
    return [str(v).strip() for v in raw if isinstance(v, str | int | float) and str(v).strip()]


def _compact(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


@dataclass
class _Hit:
    entity_id: str
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    explanations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, feature: str, score: float, explanation: str) -> None:
        if score > self.features.get(feature, -1.0):
            self.features[feature] = round(score, 4)
            self.explanations[feature] = {"score": round(score, 4), "detail": explanation}
        self.score = max(self.score, round(score, 4))


def _entity_response(snapshot: Snapshot, entity: Entity, schema: str | None = None,
                     properties: dict[str, Any] | None = None) -> dict[str, Any]:
    proxy = entity_proxy(entity, snapshot.ratings[entity.id], snapshot.flags[entity.id],
                         schema or _schema(snapshot, entity))
    return {
        "id": proxy["id"],
        "caption": entity.name,
        "schema": proxy["schema"],
        "properties": properties if properties is not None else proxy["properties"],
        "datasets": [DATASET],
        "referents": [],
        "target": snapshot.ratings[entity.id] != "green",
        "first_seen": None,
        "last_seen": snapshot.watchlist.created_at,
        "last_change": None,
    }


def _schema(snapshot: Snapshot, entity: Entity) -> str:
    return schema_for(entity, snapshot.watchlist.entities)


def _registry_hits(snapshot: Snapshot, numbers: Iterable[str]) -> list[tuple[str, float, str]]:
    wanted = {_compact(n) for n in numbers if _compact(n)}
    found = []
    for entity in snapshot.watchlist.entities.values():
        for identifier in entity.identifiers:
            if identifier.type == "registry" and _compact(identifier.value) in wanted:
                found.append((entity.id, CONFIDENCE_SCORES[identifier.confidence],
                              f"registration number {identifier.value} is {entity.name}'s "
                              f"({identifier.confidence} confidence)"))
    return found


def match_example(snapshot: Snapshot, example: Mapping[str, Any], *, limit: int = 5,
                  threshold: float = MATCH_THRESHOLD, cutoff: float = MATCH_CUTOFF
                  ) -> dict[str, Any]:
    """One query of a ``/match`` batch, answered as yente's ``EntityMatches``."""
    if not isinstance(example, Mapping):
        raise BadExample("Each query must be an object with a schema and properties.", 422)
    schema = example.get("schema")
    if not isinstance(schema, str) or not schema:
        raise BadExample("The query has no schema.", 422, "schema")
    if schema not in COMPATIBLE_SCHEMAS | OTHER_SCHEMAS:
        raise BadExample(f"Cannot parse example entity: invalid schema {schema!r}.", 400,
                         "schema")
    raw = example.get("properties", {})
    if not isinstance(raw, Mapping):
        raise BadExample("properties must be an object.", 422, "properties")
    properties = {str(k): _values(v) for k, v in raw.items()}
    used: dict[str, list[str]] = {}
    hits: dict[str, _Hit] = {}

    def record(eid: str, feature: str, score: float, explanation: str) -> None:
        hits.setdefault(eid, _Hit(eid)).add(feature, score, explanation)

    if schema in COMPATIBLE_SCHEMAS:
        searches: list[tuple[str, str, dict[str, str]]] = []
        for prop in NAME_PROPERTIES:
            for name in properties.get(prop, []):
                searches.append((prop, name, {"name": name}))
        for prop, param in IDENTIFIER_PROPERTIES.items():
            for value in properties.get(prop, []):
                if param is not None:
                    searches.append((prop, value, {param: value}))
        for prop, value, params in searches:
            try:
                outcome = match_query(snapshot, params, limit=max(limit, 5))
            except (InvalidIdentifier, InvalidQuery):
                continue  # as FtM cleaning drops a value that is not valid for its type
            used.setdefault(prop, []).append(value)
            for candidate in outcome.candidates:
                feature = f"{prop}_match" if prop not in NAME_PROPERTIES else "name_match"
                record(candidate.entity_id, feature, candidate.score, candidate.explanation)
        numbers = properties.get("registrationNumber", [])
        for eid, score, explanation in _registry_hits(snapshot, numbers):
            record(eid, "registrationNumber_match", score, explanation)
        if numbers:
            used["registrationNumber"] = numbers
    for prop in ("country", "jurisdiction", "mainCountry"):
        if properties.get(prop):
            used[prop] = [v.lower() for v in properties[prop]]

    ranked = sorted((h for h in hits.values() if h.score >= cutoff),
                    key=lambda h: (-h.score, h.entity_id))
    results = []
    for hit in ranked[:limit]:
        entity = snapshot.watchlist.entities[hit.entity_id]
        result = _entity_response(snapshot, entity)
        result.update(score=hit.score, match=hit.score >= threshold,
                      features=hit.features, explanations=hit.explanations)
        results.append(result)
    return {
        "status": 200,
        "results": results,
        "total": {"value": len(ranked), "relation": "eq"},
        "query": {"id": example.get("id"), "schema": schema, "properties": used},
    }


def match_batch(snapshot: Snapshot, queries: Mapping[str, Any], *, limit: int,
                threshold: float, cutoff: float, max_queries: int) -> dict[str, Any]:
    """``POST /match/{dataset}``: every query of the batch, by the client's own keys."""
    if not queries:
        raise BadExample("No queries provided.", 400, "queries")
    if len(queries) > max_queries:
        raise BadExample(f"Too many queries in one batch (limit: {max_queries})", 400,
                         "queries")
    responses = {}
    for name, example in queries.items():
        if example is None:
            continue
        try:
            responses[name] = match_example(snapshot, example, limit=limit,
                                            threshold=threshold, cutoff=min(cutoff, threshold))
        except BadExample as error:
            error.field = f"queries.{name}.{error.field or 'schema'}"
            raise
    return {"responses": responses, "limit": limit}


def match_summary(snapshot: Snapshot, key: str, response: Mapping[str, Any], policy: Policy
                  ) -> Summary:
    """What the screening log keeps of one ``/match`` query, as of a single screen: status
    (``match`` when the best result reached the threshold, ``possible_match`` when any result
    was returned), the best entity's rating and the policy's action, and the query as
    understood (the client's key, the example's id and schema, the properties used)."""
    results = response["results"]
    best = watchlist_id(results[0]["id"]) if results else None
    status = "match" if results and results[0]["match"] else (
        "possible_match" if results else "no_match")
    rating = snapshot.ratings[best] if status == "match" and best else None
    decision = decide(policy, status, rating,
                      snapshot.watchlist.entities[best].flags if best else (),
                      snapshot.exposures.get(best, ()) if best else ())
    query = json.dumps({"key": key, **response["query"]}, ensure_ascii=False,
                       separators=(",", ":"))
    return status, rating, decision.action, best, query


def search_entities(snapshot: Snapshot, q: str | None, *, limit: int = 10, offset: int = 0,
                    schema: str | None = None, countries: Iterable[str] = ()
                    ) -> dict[str, Any]:
    """``GET /search/{dataset}``: entities by text, as yente's ``SearchResponse``."""
    found = search(snapshot, EntityFilter(text=q or None))
    wanted_countries = {c.lower() for c in countries if c}
    if wanted_countries:
        found = [e for e in found if (e.country or "").lower() in wanted_countries]
    if schema and schema not in COMPATIBLE_SCHEMAS:
        found = []
    elif schema in {"Company", "Organization"}:
        found = [e for e in found if schema == "Organization" or _schema(snapshot, e) == schema]
    countries_facet: dict[str, int] = {}
    topics_facet: dict[str, int] = {}
    responses = [_entity_response(snapshot, e) for e in found]
    for response in responses:
        for country in response["properties"].get("country", []):
            countries_facet[country] = countries_facet.get(country, 0) + 1
        for topic in response["properties"].get("topics", []):
            topics_facet[topic] = topics_facet.get(topic, 0) + 1
    return {
        "limit": limit,
        "offset": offset,
        "total": {"value": len(found), "relation": "eq"},
        "results": responses[offset:offset + limit],
        "facets": {
            "countries": _facet("Countries", countries_facet),
            "topics": _facet("Topics", topics_facet),
            "datasets": _facet("Data sources", {DATASET: len(found)} if found else {}),
        },
    }


def _facet(label: str, counts: Mapping[str, int]) -> dict[str, Any]:
    return {"label": label, "values": [
        {"name": name, "label": name, "count": count}
        for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]}


def entity_nested(snapshot: Snapshot, ftm_id: str, nested: bool = True) -> dict[str, Any] | None:
    """``GET /entities/{id}``: one entity in FtM form; with ``nested``, its ownerships, links
    and sanctions inside its properties, as yente nests adjacent entities."""
    entities = snapshot.watchlist.entities
    entity = entities.get(watchlist_id(ftm_id))
    if entity is None:
        return None
    response = _entity_response(snapshot, entity)
    if not nested:
        return response
    properties = {k: list(v) for k, v in response["properties"].items()}
    me = entity_id(entity.id)

    def party(eid: str) -> dict[str, Any]:
        return _entity_response(snapshot, entities[watchlist_id(eid)])

    def adjacent(proxy: dict[str, Any], expand: Iterable[str]) -> dict[str, Any]:
        props = {k: list(v) for k, v in proxy["properties"].items()}
        for prop in expand:
            props[prop] = [party(v) for v in props.get(prop, [])]
        return {"id": proxy["id"], "caption": proxy["schema"], "schema": proxy["schema"],
                "properties": props, "datasets": [DATASET], "referents": [],
                "target": False, "first_seen": None, "last_seen": None, "last_change": None}

    for other in entities.values():
        for relation in other.relations:
            if me not in (entity_id(other.id), entity_id(relation.target)):
                continue
            proxy = relation_proxy(other, relation)
            props = proxy["properties"]
            if proxy["schema"] == "Ownership":
                if props.get("asset") == [me]:
                    properties.setdefault("ownershipAsset", []).append(
                        adjacent(proxy, ["owner"]))
                else:
                    properties.setdefault("ownershipOwner", []).append(
                        adjacent(proxy, ["asset"]))
            elif props.get("subject") == [me]:
                properties.setdefault("unknownLinkFrom", []).append(adjacent(proxy, ["object"]))
            else:
                properties.setdefault("unknownLinkTo", []).append(adjacent(proxy, ["subject"]))
    for flag in entity.flags:
        if flag.code in SANCTION_FLAG_CODES:
            properties.setdefault("sanctions", []).append(
                adjacent(sanction_proxy(entity, flag), []))
    response["properties"] = properties
    return response


def catalog(snapshot: Snapshot | None) -> dict[str, Any]:
    """``GET /catalog``: the one dataset (and its alias), as yente's ``DataCatalogModel``."""
    version = f"v{snapshot.version}" if snapshot else None
    updated = snapshot.watchlist.created_at if snapshot else None
    count = len(snapshot.watchlist.entities) if snapshot else 0
    base: dict[str, Any] = {"updated_at": updated, "version": version, "index_version": version,
            "index_current": snapshot is not None, "load": True, "namespace": False,
            "entity_count": count, "children": [], "publisher": None}
    return {
        "datasets": [
            {**base, "name": DATASET, "title": "esgscreen watchlist",
             "summary": "Commercial surveillance vendors and their owners, rated by "
                        "human-rights risk from dated, cited evidence."},
            {**base, "name": "default", "title": "esgscreen watchlist (default)",
             "summary": "The same data as esgscreen.", "children": [DATASET]},
        ],
        "current": sorted(DATASETS) if snapshot else [],
        "outdated": [],
        "index_stale": False,
    }
