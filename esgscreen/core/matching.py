"""Screening a query against the watchlist: identifiers first, then names.

`parse_query` turns request parameters into a `Query` (raising InvalidIdentifier or InvalidQuery);
a `Matcher`, built once per watchlist version and shared read-only between threads, answers
`match(query)` with a `MatchOutcome`: a status, the best candidates with their score,
the fields that agreed and a one-line explanation, and an echo of the understood query.

Score bands
-----------
Every candidate gets a score between 0 and 1; the best one sets the status.

- ``match`` (score >= MATCH_THRESHOLD, 0.90): the evidence identifies a watchlist entity.
  An equal ISIN, LEI, CUSIP, FIGI, CIK or registry number scores 1.00 at high confidence, 0.97
  at medium and 0.93 at low; an equal domain 0.03 less (a subdomain 0.02 less again); a ticker
  on the exchange named 0.98 (0.97 for a country such as ``US``), less 0.03 or 0.07 at medium or
  low confidence; a ticker given without an exchange 0.05 less, and only when a single
  watchlist entity uses that symbol. A name matches when every distinctive word agrees with one
  of the entity's names or aliases - exactly, split or joined differently (Hik-Vision,
  InTheCyber), or with one typo in a word of nine letters or more (of eight when its first two
  and last letters stay) - and any generic word the query adds is one the entity's names use.
  It scores 1.00, less 0.05 per typo, 0.02 when the query leaves out generic words (NSO
  Technologies for NSO Group Technologies), 0.01 when it takes them from another of the
  entity's names, 0.03 when the legal forms come from different traditions; never below 0.90.
  Legal forms are otherwise ignored.
- ``possible_match`` (POSSIBLE_THRESHOLD <= score < MATCH_THRESHOLD, 0.70 to 0.89): worth a
  reviewer's look, not an identity. Names that share most of their distinctive part score
  0.88 x the Dice similarity of their distinctive words (weighted by length, each pair by its
  Levenshtein similarity), less 0.04 when the query adds generic words the entity never uses and
  0.04 more when each side has generic words the other lacks: Westbridge Capital against
  Westbridge Technologies (0.80), Cognite against Cognyte (0.75). Also capped here: a one-word
  name under another legal form (Matrix Ltd against Matrix LLC), a one-word name of four
  letters or fewer without the legal form the watchlist records (Sun against Sun Corporation),
  a one-word short form the watchlist does not record (Memento for Memento Labs), a name of
  two letters or fewer; a ticker alone that several entities use (0.78); a ticker whose
  listing has no recorded exchange (0.80); a listing or domain recorded as historical (0.85).
- ``no_match`` (below 0.70): nothing worth showing; no candidates are returned.

Generic words (group, technologies, holdings, capital, systems, solutions, partners ...) and
legal forms never make a match alone: a name without a distinctive word matches nothing. When
several fields agree on one entity its score rises by 0.01 for each further field, but only
within the match band.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.identifiers import (
    interpret_free_text,
    normalise_exchange,
    normalise_identifier,
    parse_ticker,
    ticker_key,
    venue_accepts,
)
from esgscreen.core.model import Entity, Identifier
from esgscreen.core.names import (
    NormalisedName,
    compatible_legal_families,
    legal_forms_agree,
    normalise_name,
    unglue,
)

__all__ = [
    "MATCH_THRESHOLD",
    "POSSIBLE_THRESHOLD",
    "Candidate",
    "MatchOutcome",
    "Matcher",
    "Query",
    "parse_query",
]

MATCH_THRESHOLD = 0.90
"""Lowest score of a ``match``: the evidence identifies a watchlist entity."""

POSSIBLE_THRESHOLD = 0.70
"""Lowest score of a ``possible_match``: resemblance worth a reviewer's look, not an identity."""

MAX_TEXT_LENGTH = 400
TYPO_MIN_LENGTH = 9  # shorter words must be spelt exactly to match (8 letters: see _typo)

_IDENTIFIER_PARAMS = ("isin", "lei", "cik", "cusip", "figi", "domain")
_CONFIDENCE_SCORE = {"high": 1.0, "medium": 0.97, "low": 0.93}
_CONFIDENCE_PENALTY = {"high": 0.0, "medium": 0.03, "low": 0.07}
_HISTORICAL_WORDS = ("delisted", "former", "historical", "until ", "redeemed", "pre-")
_HISTORICAL_CAP = 0.85
_LABELS = {"isin": "ISIN", "lei": "LEI", "cik": "CIK", "cusip": "CUSIP", "figi": "FIGI",
           "domain": "domain", "registry": "registry number", "ticker": "ticker"}
_MAX_POSTINGS = 256  # a token shared by more names than this is no use for finding candidates
_FUZZY_MIN_LENGTH = 5  # tokens this long are also found with one letter changed
_SHORT_NAME = 4  # a one-word Latin name this short must come with its legal form, if it has one
_NARROW_ABOVE = 32  # candidates from one required word beyond which a second one narrows them

_PARENS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")

QueryIdentifier = tuple[str, str, "str | None"]  # (type, canonical value, exchange or None)


# --- the query -------------------------------------------------------------------------------


@dataclass(slots=True)
class Query:
    """What was understood from the request. Made once per query and never changed after; not
    frozen because a frozen dataclass costs half a microsecond more to build (identifier queries
    take about three in all)."""

    name: str | None = None  # the name as given (from `name`, or `q` read as a name)
    normalised: NormalisedName | None = None
    identifiers: tuple[QueryIdentifier, ...] = ()
    detected: str | None = None  # for `q`: the identifier type it was read as, or "name"
    q: str | None = None
    fields: tuple[str, ...] = ()  # the parameter each identifier came from

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready echo: normalised identifiers, the type detected in `q`, the name."""
        name = self.normalised
        if name is None and len(self.identifiers) == 1:
            kind, value, exchange = self.identifiers[0]
            return {"q": self.q, "detected": self.detected, "name": None, "identifiers": [
                {"type": kind, "value": value, "exchange": exchange, "field": self.fields[0]}
            ]}
        return {
            "q": self.q,
            "detected": self.detected,
            "name": None if name is None else {
                "raw": name.raw,
                "normalised": name.text,
                "distinctive": list(name.distinctive),
                "generic": list(name.generic),
                "legal_forms": list(name.legal_forms),
                "transliterated": name.transliterated,
            },
            "identifiers": [
                {"type": kind, "value": value, "exchange": exchange, "field": field_}
                for (kind, value, exchange), field_ in zip(self.identifiers, self.fields,
                                                           strict=True)
            ],
        }


def _text(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidQuery(f"{key} is longer than {MAX_TEXT_LENGTH} characters", field=key)
    return value or None


def parse_query(params: Mapping[str, str | None]) -> Query:
    """Read the screening parameters (q, name, isin, lei, cik, cusip, figi, ticker, exchange,
    domain; empty values count as absent; others are ignored) into a Query.

    Raises InvalidIdentifier naming the parameter for a malformed identifier or exchange, and
    InvalidQuery when there is nothing to screen.
    """
    identifiers: list[QueryIdentifier] = []
    fields: list[str] = []
    name = q = ticker = None
    exchange = params.get("exchange")
    if exchange is not None:
        exchange = _text(exchange, "exchange")
    for key, raw in params.items():
        if raw is None:
            continue
        if key in _IDENTIFIER_PARAMS:
            value = _text(raw, key)
            if value is not None:
                identifiers.append((key, normalise_identifier(key, value, field=key), None))
                fields.append(key)
        elif key == "ticker":
            ticker = _text(raw, key)
            if ticker is not None:
                symbol, venue = parse_ticker(ticker, exchange)
                identifiers.append(("ticker", symbol, venue))
                fields.append("ticker")
        elif key == "name":
            name = _text(raw, key)
        elif key == "q":
            q = _text(raw, key)
    if exchange is not None and ticker is None:
        normalise_exchange(exchange)  # reject an unknown exchange even when no ticker uses it

    detected = None
    if q is not None:
        readings = interpret_free_text(q)
        if readings and ticker is None and exchange is not None:
            readings = [_with_exchange(r, exchange) for r in readings]
            if q.isdigit() and len(q) < 4:  # a short Hong Kong code: 20, 700
                readings.insert(0, ("ticker", *parse_ticker(q, exchange, field="q")))
        detected = readings[0][0] if readings else "name"
        identifiers.extend(readings)
        fields.extend("q" for _ in readings)
        if name is None and _also_a_name(q, readings):
            name = q

    if name is None and not identifiers:
        raise InvalidQuery("nothing to screen: give q, name or an identifier", field="q")
    normalised = normalise_name(name) if name is not None else None
    return Query(name, normalised, tuple(identifiers), detected, q, tuple(fields))


def _with_exchange(reading: QueryIdentifier, exchange: str) -> QueryIdentifier:
    """A ticker read from `q` without its own exchange takes the `exchange` parameter."""
    kind, value, embedded = reading
    if kind != "ticker" or embedded is not None:
        return reading
    symbol, venue = parse_ticker(value, exchange, field="q")
    return ("ticker", symbol, venue)


def _also_a_name(q: str, readings: list[QueryIdentifier]) -> bool:
    """Whether free text should also be screened as a name: a bare word may be a ticker or a
    name (NSO, MSAB); a Bloomberg-style pair may be a name with a legal form (MSAB AB)."""
    if not readings:
        return True
    if any(kind != "ticker" for kind, _, _ in readings) or not any(c.isalpha() for c in q):
        return False
    return ":" not in q and not q.upper().endswith("EQUITY") and "." not in q


# --- the answer ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    entity_id: str
    score: float  # 0..1
    matched_on: tuple[str, ...]  # the query fields that agreed: isin, ticker, name, alias ...
    explanation: str  # one line a compliance officer can read


@dataclass(slots=True)
class MatchOutcome:  # one per query, never changed after (not frozen: see Query)
    status: str  # "match" | "possible_match" | "no_match"
    candidates: tuple[Candidate, ...]  # best first, at most `limit`
    understood: Query

    @property
    def query(self) -> dict[str, Any]:
        """JSON-ready echo of the understood query (built when asked: batches never ask)."""
        return self.understood.to_dict()


def status_for(score: float) -> str:
    """The status a best score gives (see the score bands in the module docstring)."""
    if score >= MATCH_THRESHOLD:
        return "match"
    if score >= POSSIBLE_THRESHOLD:
        return "possible_match"
    return "no_match"


# --- index entries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _NameEntry:
    entity_id: str
    label: str  # the name as the watchlist writes it
    field: str  # "name" or "alias"
    kind: str  # "name", or the alias kind (former, trading, local_script ...)
    norm: NormalisedName
    generic: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Listing:
    entity_id: str
    exchange: str | None
    hit: Candidate  # what an exact hit on this listing gives, explanation included
    historical: bool


@dataclass(frozen=True, slots=True)
class _NameScore:
    """How a query name compares with one watchlist name; explained only when shown."""

    score: float
    entry: _NameEntry
    strong: bool
    pairs: tuple[tuple[str, str, float], ...]  # (query token, name token, similarity)
    omitted: frozenset[str]  # generic words of the name the query leaves out
    foreign: frozenset[str]  # generic words of the query this entity never uses
    families_agree: bool
    weak_reason: str | None


def _deletions(token: str) -> list[str]:
    return [token[:i] + token[i + 1:] for i in range(len(token))]


def _historical(identifier: Identifier) -> bool:
    note = (identifier.note or "").lower()
    return any(word in note for word in _HISTORICAL_WORDS)


def is_historical(identifier: Identifier) -> bool:
    """Whether the identifier's note marks it as a former one (a listing that ended)."""
    return _historical(identifier)


def _confidence_text(identifier: Identifier) -> str:
    text = f"{identifier.confidence} confidence"
    if identifier.confidence != "high" and identifier.note:
        text += f": {identifier.note}"
    return text


def _name_variants(text: str) -> list[str]:
    """A watchlist name and the forms a query may use: without a parenthesis, each side of a
    slash, a camel-case word ending in a generic word written as one word (IntelliTech as
    Intellitech: normalisation splits it)."""
    variants = [text]
    if unglue(text) != text:
        variants.append(text.lower())
    if "(" in text or "[" in text:
        bare = text
        previous = None
        while previous != bare:
            previous, bare = bare, _PARENS_RE.sub(" ", bare)
        bare = " ".join(bare.split())
        if bare and bare != text:
            variants.append(bare)
    if " / " in text:
        variants.extend(part.strip() for part in text.split(" / ") if part.strip())
    return variants


# --- the matcher -----------------------------------------------------------------------------


class Matcher:
    """Indexes of one watchlist version; immutable after construction, safe to share."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._entities: dict[str, Entity] = {}
        entries: list[_NameEntry] = []
        generic_union: dict[str, set[str]] = {}
        identifier_index: dict[tuple[str, str], list[Candidate]] = {}
        tickers: dict[str, list[_Listing]] = {}
        for entity in entities:
            self._entities[entity.id] = entity
            union = generic_union.setdefault(entity.id, set())
            names = [(entity.name, "name", "name")]
            names += [(a.name, "alias", a.kind) for a in entity.aliases]
            seen: set[tuple[str, ...]] = set()
            for label, field_, kind in names:
                for variant in _name_variants(label):
                    norm = normalise_name(variant)
                    key = (*norm.distinctive, "|", *norm.generic, "|", *norm.legal_forms)
                    if norm.empty or key in seen:
                        continue
                    seen.add(key)
                    union.update(norm.generic)
                    entries.append(
                        _NameEntry(entity.id, label, field_, kind, norm, frozenset(norm.generic))
                    )
            for identifier in entity.identifiers:
                self._index_identifier(entity, identifier, identifier_index, tickers)
        self._entries = tuple(entries)
        self._generic_union = {k: frozenset(v) for k, v in generic_union.items()}
        self._identifiers = {k: tuple(v) for k, v in identifier_index.items()}
        self._tickers = {k: tuple(v) for k, v in tickers.items()}
        self._postings, self._near = self._build_name_index(self._entries)

    def __len__(self) -> int:
        return len(self._entities)

    # -- building --

    def _index_identifier(
        self,
        entity: Entity,
        identifier: Identifier,
        index: dict[tuple[str, str], list[Candidate]],
        tickers: dict[str, list[_Listing]],
    ) -> None:
        try:
            if identifier.type == "ticker":
                symbol, _ = parse_ticker(identifier.value)
                exchange = normalise_exchange(identifier.exchange) if identifier.exchange else None
            else:
                value = normalise_identifier(identifier.type, identifier.value)
        except InvalidIdentifier:
            return  # the watchlist validator reports it; an invalid value can never be equal
        historical = _historical(identifier)
        if identifier.type == "ticker":
            where = f" on {exchange}" if exchange else ""
            hit = Candidate(
                entity.id,
                round(0.98 - _CONFIDENCE_PENALTY.get(identifier.confidence, 0.07), 2),
                ("ticker",),
                f"ticker {symbol}{where} is {entity.name}'s listing "
                f"({_confidence_text(identifier)})",
            )
            listing = _Listing(entity.id, exchange, hit, historical)
            tickers.setdefault(ticker_key(symbol, exchange), []).append(listing)
            return
        label = _LABELS.get(identifier.type, identifier.type)
        score = _CONFIDENCE_SCORE.get(identifier.confidence, 0.93)
        if identifier.type == "domain":
            score -= 0.03
        explanation = (
            f"{label} {value} equals the watchlist's {label} for {entity.name} "
            f"({_confidence_text(identifier)})"
        )
        if historical and identifier.type == "domain":  # a security identifier is never reused
            score = min(score, _HISTORICAL_CAP)
            explanation += "; recorded as historical, so it may now belong to someone else"
        index.setdefault((identifier.type, value), []).append(
            Candidate(entity.id, round(score, 2), (identifier.type,), explanation)
        )

    @staticmethod
    def _build_name_index(
        entries: tuple[_NameEntry, ...],
    ) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[str, ...]]]:
        """Token -> entries holding it (as a distinctive word or as all of them joined), and
        one-letter-deleted spelling -> tokens, to find spellings one edit apart."""
        postings: dict[str, list[int]] = {}
        for number, entry in enumerate(entries):
            for key in {*entry.norm.distinctive, entry.norm.compact}:
                postings.setdefault(key, []).append(number)
        near: dict[str, set[str]] = {}
        for key in postings:
            if len(key) >= _FUZZY_MIN_LENGTH:
                for variant in _deletions(key):
                    near.setdefault(variant, set()).add(key)
        return (
            {k: tuple(v) for k, v in postings.items()},
            {k: tuple(sorted(v)) for k, v in near.items()},
        )

    # -- matching --

    def match(self, query: Query, limit: int = 5) -> MatchOutcome:
        """Screen one query; candidates scoring below POSSIBLE_THRESHOLD are left out."""
        found: list[Candidate] = []
        for kind, value, exchange in query.identifiers:
            if kind == "ticker":
                found += self._ticker_candidates(value, exchange)
            elif kind == "domain":
                found += self._domain_candidates(value)
            else:
                found += self._identifiers.get((kind, value), ())
        name = query.normalised
        if name is not None and not name.empty:
            found += self._name_candidates(name)
        if not found:
            return MatchOutcome("no_match", (), query)
        if len(found) > 1:
            found = _merge(found)
        best = found[0].score
        status = status_for(best)
        if len(found) == 1:
            kept = (found[0],) if best >= POSSIBLE_THRESHOLD and limit > 0 else ()
        else:
            kept = tuple(c for c in found[: max(limit, 0)] if c.score >= POSSIBLE_THRESHOLD)
        return MatchOutcome(status, kept, query)

    def _ticker_candidates(self, symbol: str, exchange: str | None) -> list[Candidate]:
        listings = self._tickers.get(symbol, ())
        if exchange is None and symbol.isdigit() and symbol.startswith("0"):
            listings += tuple(
                listing for listing in self._tickers.get(symbol.lstrip("0"), ())
                if listing.exchange and venue_accepts("HK", listing.exchange)
            )
        if not listings:
            return []
        found = []
        if exchange is not None:
            for listing in listings:
                if listing.exchange is None:
                    found.append(_candidate(
                        listing.entity_id, 0.80, "ticker",
                        f"ticker {symbol} is {self._name(listing)}'s, whose exchange the "
                        f"watchlist does not record; {exchange} could not be checked"))
                elif venue_accepts(exchange, listing.exchange):
                    if len(exchange) == 4 and not listing.historical:
                        found.append(listing.hit)
                        continue
                    score, text = listing.hit.score, listing.hit.explanation
                    if len(exchange) == 2:
                        score -= 0.01
                        text = f"{text}; {exchange} was given as a country, not a venue"
                    found.append(self._listing_candidate(listing, score, text))
            return found
        owners = {listing.entity_id for listing in listings}
        for listing in listings:
            venue = f" on {listing.exchange}" if listing.exchange else ""
            if len(owners) == 1:
                score = listing.hit.score - 0.05
                text = (f"ticker {symbol} given without an exchange; the only watchlist listing "
                        f"with this symbol is {self._name(listing)}'s{venue}")
            else:
                score = 0.78
                text = (f"ticker {symbol} given without an exchange; {len(owners)} watchlist "
                        f"entities use this symbol, this one{venue}: give the exchange")
            found.append(self._listing_candidate(listing, score, text))
        return found

    @staticmethod
    def _listing_candidate(listing: _Listing, score: float, text: str) -> Candidate:
        if listing.historical:
            score = min(score, _HISTORICAL_CAP)
            text += "; the listing is recorded as historical and the symbol may have moved on"
        return _candidate(listing.entity_id, score, "ticker", text)

    def _name(self, listing: _Listing) -> str:
        return self._entities[listing.entity_id].name

    def _domain_candidates(self, host: str) -> list[Candidate]:
        labels = host.split(".")
        for start in range(len(labels) - 1):
            found = self._identifiers.get(("domain", ".".join(labels[start:])), ())
            if found and start == 0:
                return list(found)
            if found:
                return [
                    _candidate(c.entity_id, c.score - 0.02, "domain",
                               f"{host} is a subdomain: {c.explanation}")
                    for c in found
                ]
        return []

    def _name_candidates(self, query: NormalisedName) -> list[Candidate]:
        best: dict[str, _NameScore] = {}
        query_generic = frozenset(query.generic)
        entries = self._entries
        union = self._generic_union
        weight = query.weight
        for number in self._candidate_entries(query):
            entry = entries[number]
            other = entry.norm.weight
            # The best score two names of these weights can reach (all of the lighter shared).
            if 2 * 0.88 * min(weight, other) < POSSIBLE_THRESHOLD * (weight + other):
                continue
            scored = _score_name(query, query_generic, entry, union[entry.entity_id])
            if scored is not None:
                previous = best.get(entry.entity_id)
                if previous is None or scored.score > previous.score:
                    best[entry.entity_id] = scored
        return [
            _candidate(entity_id, scored.score, scored.entry.field, _explain(query, scored))
            for entity_id, scored in best.items()
        ]

    def _lookup(self, token: str) -> list[tuple[int, ...]]:
        """Posting lists of the token and of the indexed tokens one edit away from it."""
        postings = self._postings
        found = [postings[token]] if token in postings else []
        if len(token) >= _FUZZY_MIN_LENGTH - 1:
            near = self._near
            for other in near.get(token, ()):
                found.append(postings[other])
            if len(token) >= _FUZZY_MIN_LENGTH:
                for variant in _deletions(token):
                    if variant in postings:
                        found.append(postings[variant])
                    for other in near.get(variant, ()):
                        if other != token:
                            found.append(postings[other])
        return found

    def _candidate_entries(self, query: NormalisedName) -> set[int]:
        """Entries that could reach POSSIBLE_THRESHOLD: a few dictionary look-ups and small set
        operations, whatever the size of the watchlist.

        A query word is *required* when a name lacking it could not score enough even if it
        held every other query word: candidates then come from the required word with the
        fewest names (or spellings one edit away), narrowed by a second one when that is large.
        Otherwise from every word. Names written as one word meet through the joined tokens.
        """
        postings = self._postings
        tokens = query.distinctive
        total = query.weight
        found: set[int] = set()
        if len(tokens) > 1 and query.compact in postings:
            found.update(postings[query.compact])
        required = [
            token for token, weight in zip(tokens, query.weights, strict=True)
            if 2 * (total - weight) < _REQUIRED_SHARE * (2 * total - weight)
        ]
        if not required:
            for token in tokens:
                for posting in self._lookup(token):
                    if len(posting) <= _MAX_POSTINGS:
                        found.update(posting)
            return found
        required.sort(key=lambda token: (len(postings.get(token, ())), -len(token)))
        chosen = set().union(*self._lookup(required[0]))
        if len(chosen) > _NARROW_ABOVE and len(required) > 1:
            chosen &= set().union(*self._lookup(required[1]))
        return found | chosen


def _candidate(entity_id: str, score: float, field_: str, text: str) -> Candidate:
    return Candidate(entity_id, round(max(0.0, min(score, 1.0)), 2), (field_,), text)


def _merge(found: list[Candidate]) -> list[Candidate]:
    """One candidate per entity, best first: the best evidence, plus 0.01 for each other field
    that agreed (never enough to turn a possible match into a match)."""
    by_entity: dict[str, list[Candidate]] = {}
    for candidate in found:
        by_entity.setdefault(candidate.entity_id, []).append(candidate)
    merged = []
    for entity_id, group in by_entity.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        group.sort(key=lambda c: -c.score)
        top = group[0]
        fields = list(top.matched_on)
        others = []
        for candidate in group[1:]:
            new_fields = [f for f in candidate.matched_on if f not in fields]
            if new_fields:
                fields += new_fields
                others.append(candidate.explanation)
        score = top.score
        if score >= MATCH_THRESHOLD:
            score = min(1.0, score + 0.01 * (len(fields) - 1))
        explanation = top.explanation
        if others:
            explanation += "; also " + "; ".join(others[:2])
        merged.append(Candidate(entity_id, round(score, 2), tuple(fields), explanation))
    merged.sort(key=lambda c: (-c.score, c.entity_id))
    return merged


# --- name scoring ----------------------------------------------------------------------------

_REQUIRED_SHARE = POSSIBLE_THRESHOLD / 0.88  # the similarity a possible match needs (see below)


def _typo(a: str, b: str) -> bool:
    """One letter added, dropped, changed or swapped in a long word: a typo, not another name.

    Both words have eight letters or more and keep their first two; at eight letters the last
    is kept too (Hikvison, Intelexa are typos; Positivo is another company than Positive).
    """
    shorter = min(len(a), len(b))
    return (
        shorter >= TYPO_MIN_LENGTH - 1
        and a[:2] == b[:2]
        and (shorter >= TYPO_MIN_LENGTH or a[-1] == b[-1])
        and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1
    )


def _align(
    query: NormalisedName, name: NormalisedName
) -> tuple[list[tuple[str, str, float]], float]:
    """Pair query and name tokens, most similar first, each used once: (pairs, shared weight)."""
    options = []
    for i, q in enumerate(query.distinctive):
        for j, n in enumerate(name.distinctive):
            if q == n:
                sim = 1.0
            else:
                lq, ln = len(q), len(n)
                if 2 * lq < ln or 2 * ln < lq:
                    continue
                if _typo(q, n):
                    sim = 0.95
                else:
                    sim = Levenshtein.normalized_similarity(q, n, score_cutoff=0.5)
                    if not sim:
                        continue
            options.append((sim, i, j))
    if len(options) > 1:
        options.sort(key=lambda o: -o[0])
    used_q: set[int] = set()
    used_n: set[int] = set()
    pairs = []
    shared = 0.0
    for sim, i, j in options:
        if i not in used_q and j not in used_n:
            used_q.add(i)
            used_n.add(j)
            pairs.append((query.distinctive[i], name.distinctive[j], sim))
            shared += sim * min(query.weights[i], name.weights[j])
    return pairs, shared


def _score_name(
    query: NormalisedName,
    query_generic: frozenset[str],
    entry: _NameEntry,
    entity_generic: frozenset[str],
) -> _NameScore | None:
    """Score a query name against one watchlist name (see the score bands); None below them."""
    name = entry.norm
    if query.compact == name.compact:
        pairs = [(query.compact, name.compact, 1.0)]
        full, shared = True, float(query.weight)
    elif len(query.distinctive) + len(name.distinctive) > 2 and _typo(query.compact, name.compact):
        pairs = [(query.compact, name.compact, 0.95)]
        full, shared = True, 0.95 * min(query.weight, name.weight)
    else:
        pairs, shared = _align(query, name)
        if not pairs:
            return None
        full = (
            len(pairs) == len(query.distinctive) == len(name.distinctive)
            and all(sim >= 0.95 for _, _, sim in pairs)
        )
    foreign = query_generic - entity_generic
    omitted = entry.generic - query_generic
    families_agree = compatible_legal_families(query.families, name.families)

    weak_reason = None
    if full:
        if query.all_generic != name.all_generic:
            weak_reason = "only generic words agree"
        elif foreign:
            weak_reason = f"the query adds {_words(foreign)}, which this company's names lack"
        elif name.weight <= 2:
            weak_reason = f"'{name.compact}' is too short to identify a company on its own"
        elif len(name.distinctive) == 1 and not legal_forms_agree(
            query.legal_forms, name.legal_forms
        ):
            weak_reason = (
                f"a one-word name under another legal form ({_words(query.legal_forms)} vs "
                f"{_words(name.legal_forms)})"
            )
        elif (
            len(name.distinctive) == 1 and len(name.compact) <= _SHORT_NAME
            and name.compact.isascii() and name.legal_forms and not query.legal_forms
        ):
            weak_reason = (
                f"the watchlist records the short name '{name.compact}' only with its legal "
                f"form ({_words(name.legal_forms)})"
            )
        elif len(name.distinctive) == 1 and omitted and not query_generic:
            weak_reason = (
                f"the watchlist does not record the short form '{query.compact}' for this "
                f"company, only with {_words(omitted)}"
            )
        else:
            typos = sum(1 for _, _, sim in pairs if sim < 1.0)
            score = 1.0 - 0.05 * typos
            if omitted:
                score -= 0.02
            if query_generic - entry.generic:
                score -= 0.01
            if not families_agree:
                score -= 0.03
            return _NameScore(max(score, MATCH_THRESHOLD), entry, True, tuple(pairs),
                              omitted, foreign, families_agree, None)
    if query.all_generic or name.all_generic:
        return None
    score = 0.88 * 2 * shared / (query.weight + name.weight)
    if foreign:
        score -= 0.04
    if omitted and query_generic - entry.generic:
        score -= 0.04
    if score < POSSIBLE_THRESHOLD:
        return None
    return _NameScore(min(score, MATCH_THRESHOLD - 0.01), entry, False, tuple(pairs), omitted,
                      foreign, families_agree, weak_reason)


def _explain(query: NormalisedName, scored: _NameScore) -> str:
    """One line: the two names compared, the score, what was ignored or why it falls short."""
    entry = scored.entry
    if entry.field == "name":
        shown = f"'{entry.label}'"
    else:
        shown = f"the {_KIND_LABELS.get(entry.kind, 'alias')} '{entry.label}'"
    if scored.strong:
        detail = [f"score {scored.score:.2f}"]
        typos = [f"'{q}' for '{n}'" for q, n, sim in scored.pairs if sim < 1.0]
        if typos:
            detail.append("one typo: " + ", ".join(typos))
        if scored.omitted:
            detail.append(f"the query omits {_words(scored.omitted)}")
        ignored = _ignored(query)
        if ignored:
            detail.append("ignored " + ignored)
        if not scored.families_agree:
            detail.append("the legal forms differ")
        return f"name '{query.raw}' matches {shown} ({'; '.join(detail)})"
    reason = scored.weak_reason
    if reason is None:
        paired_q = {q for q, _, _ in scored.pairs}
        paired_n = {n for _, n, _ in scored.pairs}
        differing = [f"'{q}' vs '{n}'" for q, n, sim in scored.pairs if sim < 0.95]
        unpaired = [t for t in query.distinctive if t not in paired_q]
        unpaired += [t for t in entry.norm.distinctive if t not in paired_n]
        if differing:
            reason = "the distinctive words differ: " + ", ".join(differing)
        elif unpaired:
            reason = "only one of them has " + _words(unpaired)
        else:
            reason = "the generic words differ"
    return (f"name '{query.raw}' resembles {shown} (score {scored.score:.2f}); not a match: "
            f"{reason}")


_KIND_LABELS = {"former": "former name", "trading": "trading name",
                "transliteration": "transliteration", "local_script": "local-script name"}


def _words(words: Iterable[str]) -> str:
    return ", ".join(f"'{w}'" for w in sorted(words))


def _ignored(query: NormalisedName) -> str:
    parts = []
    if query.legal_forms:
        parts.append("legal form " + _words(query.legal_forms))
    if query.transliterated:
        parts.append("script (transliterated)")
    return " and ".join(parts)
