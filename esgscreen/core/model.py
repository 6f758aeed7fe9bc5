"""The watchlist as plain, immutable values: what the core computes on.

Nothing here knows about Flask, SQLAlchemy, marshmallow or YAML. The store and the
YAML loader build these values; matching and risk rules read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ENTITY_KINDS = ("vendor", "subsidiary", "holding", "investor", "spac", "brand")
ENTITY_STATUSES = ("active", "defunct", "merged")
ALIAS_KINDS = ("alias", "former", "trading", "transliteration", "local_script")
IDENTIFIER_TYPES = (
    "isin",
    "lei",
    "cik",
    "cusip",
    "figi",
    "ticker",
    "domain",
    "registry",
)
CONFIDENCES = ("high", "medium", "low")
RELATION_TYPES = ("owned_by", "subsidiary_of", "formerly_known_as", "merged_into", "brand_of")
SEVERITIES = ("critical", "high", "medium", "low")
FLAG_STATUSES = ("ongoing", "concluded")
RATINGS = ("red", "orange", "yellow", "green")
# How much a source can carry: a government, court, regulator, company filing or the
# researchers' own report; an established newsroom or NGO; a blog, repost, summary,
# aggregator or AI-written wiki.
AUTHORITIES = ("primary", "established", "low")


@dataclass(frozen=True, slots=True)
class Evidence:
    url: str
    publisher: str
    date: str | None = None  # ISO 8601, possibly partial: YYYY, YYYY-MM or YYYY-MM-DD
    title: str | None = None
    authority: str | None = None  # one of AUTHORITIES


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    kind: str = "alias"
    lang: str | None = None  # BCP 47 tag of a name in another language or script


@dataclass(frozen=True, slots=True)
class Identifier:
    type: str
    value: str  # canonical form: upper case, no separators; domains lower case
    exchange: str | None = None  # MIC of the listing, tickers only
    confidence: str = "high"
    source: str | None = None  # URL the value was read from
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """`subject` (the entity whose file holds it) stands in `type` to `target`.

    owned_by: target owns subject; subsidiary_of: subject is a subsidiary of target;
    formerly_known_as: target is the subject's former self; merged_into: subject merged
    into target (a SPAC into its vendor); brand_of: subject is a brand of target.
    """

    type: str
    target: str
    share: float | None = None  # percent, 0..100, when a figure was reported
    share_text: str | None = None  # a reported qualitative share: "majority", "control"
    since: str | None = None
    until: str | None = None
    note: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    severity: str
    status: str
    since: str | None
    summary: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    kind: str
    country: str | None = None  # ISO 3166-1 alpha-2
    status: str = "active"
    aliases: tuple[Alias, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    products: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    flags: tuple[Flag, ...] = ()
    description: str | None = None

    @property
    def alias_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.aliases)


@dataclass(frozen=True, slots=True)
class FlagCode:
    code: str
    title: str
    definition: str
    default_severity: str
    standards: tuple[str, ...]
    derived: bool = False


@dataclass(frozen=True, slots=True)
class Revision:
    """The watchlist version in which an entity last changed, and the day it was published."""

    version: int
    date: str  # ISO 8601 date


@dataclass(frozen=True, slots=True)
class Watchlist:
    """One immutable watchlist version."""

    version: int
    entities: Mapping[str, Entity] = field(default_factory=lambda: MappingProxyType({}))
    taxonomy: Mapping[str, FlagCode] = field(default_factory=lambda: MappingProxyType({}))
    created_at: str | None = None  # ISO 8601 timestamp of the version
    # Entity id -> the version that last changed it (known for versions read from the store).
    revisions: Mapping[str, Revision] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(
        cls,
        version: int,
        entities: list[Entity] | tuple[Entity, ...],
        taxonomy: list[FlagCode] | tuple[FlagCode, ...] = (),
        created_at: str | None = None,
        revisions: Mapping[str, Revision] | None = None,
    ) -> Watchlist:
        return cls(
            version=version,
            entities=MappingProxyType({e.id: e for e in entities}),
            taxonomy=MappingProxyType({c.code: c for c in taxonomy}),
            created_at=created_at,
            revisions=MappingProxyType(dict(revisions or {})),
        )

    @property
    def flag_count(self) -> int:
        return sum(len(e.flags) for e in self.entities.values())
