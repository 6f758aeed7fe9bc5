"""Typed results: dataclasses over the server's JSON (each keeps the whole answer in ``raw``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Flag:
    code: str
    severity: str
    status: str
    since: str | None = None
    summary: str | None = None
    evidence: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Flag:
        return cls(code=data["code"], severity=data["severity"], status=data["status"],
                   since=data.get("since"), summary=data.get("summary"),
                   evidence=tuple(data.get("evidence") or ()))


@dataclass(frozen=True)
class EntitySummary:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str | None = None
    country: str | None = None
    identifiers: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntitySummary:
        return cls(id=data["id"], name=data["name"], aliases=tuple(data.get("aliases") or ()),
                   kind=data.get("kind"), country=data.get("country"),
                   identifiers=tuple(data.get("identifiers") or ()))


@dataclass(frozen=True)
class Match:
    entity: EntitySummary
    score: float
    matched_on: tuple[str, ...]
    explanation: str
    rating: str | None
    flags: tuple[Flag, ...] = ()
    exposure: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Match:
        return cls(entity=EntitySummary.from_json(data["entity"]), score=data["score"],
                   matched_on=tuple(data.get("matched_on") or ()),
                   explanation=data.get("explanation", ""), rating=data.get("rating"),
                   flags=tuple(Flag.from_json(f) for f in data.get("flags") or ()),
                   exposure=tuple(data.get("exposure") or ()))


@dataclass(frozen=True)
class ScreenResult:
    """``GET /api/v1/screen``: the verdict on one company."""

    status: str
    action: str
    rating: str | None
    watchlist_version: int
    policy: dict[str, Any]
    matches: tuple[Match, ...]
    query: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScreenResult:
        return cls(status=data["status"], action=data["action"], rating=data.get("rating"),
                   watchlist_version=data["watchlist_version"], policy=data.get("policy") or {},
                   matches=tuple(Match.from_json(m) for m in data.get("matches") or ()),
                   query=data.get("query") or {}, raw=data)


@dataclass(frozen=True)
class BatchRow:
    """One holding of a portfolio: its verdict, or the ``error`` that kept it from one."""

    ref: Any
    status: str
    action: str | None = None
    rating: str | None = None
    weight: float | None = None
    match: dict[str, Any] | None = None
    reasons: tuple[str, ...] = ()
    error: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchRow:
        return cls(ref=data.get("ref"), status=data["status"], action=data.get("action"),
                   rating=data.get("rating"), weight=data.get("weight"),
                   match=data.get("match"), reasons=tuple(data.get("reasons") or ()),
                   error=data.get("error"))


@dataclass(frozen=True)
class PortfolioResult:
    """``POST /api/v1/screen`` over a whole portfolio (joined from as many batches as needed)."""

    watchlist_version: int
    policy: str
    summary: dict[str, Any]
    results: tuple[BatchRow, ...]
    batches: int = 1

    @property
    def excluded(self) -> tuple[BatchRow, ...]:
        return tuple(row for row in self.results if row.action == "exclude")


@dataclass(frozen=True)
class EntityRecord:
    """``GET /api/v1/entities/{id}``: everything known about one entity."""

    id: str
    name: str
    rating: str
    flags: tuple[Flag, ...]
    entity: dict[str, Any]
    exposure: tuple[dict[str, Any], ...]
    relations: dict[str, Any]
    versions: tuple[int, ...]
    watchlist_version: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntityRecord:
        entity = data["entity"]
        return cls(id=entity["id"], name=entity["name"], rating=data["rating"],
                   flags=tuple(Flag.from_json(f) for f in data.get("flags") or ()),
                   entity=entity, exposure=tuple(data.get("exposure") or ()),
                   relations=data.get("relations") or {},
                   versions=tuple(data.get("versions") or ()),
                   watchlist_version=data["watchlist_version"], raw=data)


@dataclass(frozen=True)
class Changes:
    """``GET /api/v1/changes?since=N``: what a client that saw version N has to re-check."""

    since: int
    watchlist_version: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    versions: tuple[dict[str, Any], ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Changes:
        entities = data.get("entities") or {}
        return cls(since=data["since"], watchlist_version=data["watchlist_version"],
                   added=tuple(entities.get("added") or ()),
                   changed=tuple(entities.get("changed") or ()),
                   removed=tuple(entities.get("removed") or ()),
                   versions=tuple(data.get("versions") or ()))
