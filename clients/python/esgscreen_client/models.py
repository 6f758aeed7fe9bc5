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


@dataclass(frozen=True)
class ItemError:
    """A holding a watch did not keep, and why."""

    ref: Any
    index: int | None
    error: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemError:
        return cls(ref=data.get("ref"), index=data.get("index"), error=data.get("error") or {})


@dataclass(frozen=True)
class Watch:
    """``/api/v1/watches/{id}``: a watched portfolio (``errors`` only in answers to writes;
    ``webhook["secret"]`` only when the service made it, on creation)."""

    id: int
    name: str
    owner: str
    policy: str | None
    state: str
    paused_reason: str | None
    webhook: dict[str, Any] | None
    items: int
    screened_version: int
    created_at: str
    updated_at: str
    errors: tuple[ItemError, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Watch:
        return cls(id=data["id"], name=data["name"], owner=data.get("owner", ""),
                   policy=data.get("policy"), state=data["state"],
                   paused_reason=data.get("paused_reason"), webhook=data.get("webhook"),
                   items=data["items"], screened_version=data["screened_version"],
                   created_at=data.get("created_at", ""), updated_at=data.get("updated_at", ""),
                   errors=tuple(ItemError.from_json(e) for e in data.get("errors") or ()),
                   raw=data)


@dataclass(frozen=True)
class Verdict:
    status: str
    action: str
    rating: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        return cls(status=data["status"], action=data["action"], rating=data.get("rating"),
                   entity_id=data.get("entity_id"), entity_name=data.get("entity_name"))


@dataclass(frozen=True)
class WatchEvent:
    """A holding whose verdict a watchlist version changed."""

    id: int
    watch_id: int
    ref: str
    version: int
    before: Verdict
    after: Verdict
    reason: str
    created_at: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WatchEvent:
        return cls(id=data["id"], watch_id=data["watch_id"], ref=data["ref"],
                   version=data["version"], before=Verdict.from_json(data["before"]),
                   after=Verdict.from_json(data["after"]), reason=data.get("reason", ""),
                   created_at=data.get("created_at", ""))


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery of a watch and every attempt at it (``log``)."""

    id: int
    webhook_id: str
    version: int
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str
    delivered_at: str | None
    log: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Delivery:
        return cls(id=data["id"], webhook_id=data["webhook_id"], version=data["version"],
                   state=data["state"], attempts=data.get("attempts", 0),
                   last_status=data.get("last_status"), last_error=data.get("last_error"),
                   next_attempt_at=data.get("next_attempt_at"),
                   created_at=data.get("created_at", ""), delivered_at=data.get("delivered_at"),
                   log=tuple(data.get("log") or ()))
