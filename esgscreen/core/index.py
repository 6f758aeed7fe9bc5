"""The index of one watchlist version: identifiers, tickers and names, and how a query meets it.

A `Matcher` is built once per watchlist version and shared read-only between threads; `match`
looks the query's identifiers up in dictionaries, finds name candidates through a word index
(a few look-ups whatever the size of the watchlist), scores them (`esgscreen.core.scoring`) and
merges the evidence per entity into a `MatchOutcome`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from esgscreen.core.errors import InvalidIdentifier
from esgscreen.core.identifiers import (
    normalise_exchange,
    normalise_identifier,
    parse_ticker,
    ticker_key,
    venue_accepts,
)
from esgscreen.core.model import Entity, Identifier
from esgscreen.core.names import (
    NormalisedName,
    common_word,
    normalise_name,
    place_countries,
    unglue,
)
from esgscreen.core.query import Query
from esgscreen.core.scores import (
    MATCH_THRESHOLD,
    POSSIBLE_CAP,
    POSSIBLE_THRESHOLD,
    SCORES,
    status_for,
)
from esgscreen.core.scoring import (
    PARENT_WORDS,
    REQUIRED_SHARE,
    SHORT_NAME,
    Candidate,
    NameEntry,
    NameScore,
    explain,
    make_candidate,
    score_name,
    weak_name,
)

__all__ = ["MatchOutcome", "Matcher"]

_HISTORICAL_WORDS = ("delisted", "former", "historical", "until ", "redeemed", "pre-")
_LABELS = {"isin": "ISIN", "lei": "LEI", "cik": "CIK", "cusip": "CUSIP", "figi": "FIGI",
           "domain": "domain", "registry": "registry number", "ticker": "ticker"}
_MAX_POSTINGS = 256  # a token shared by more names than this is no use for finding candidates
_FUZZY_MIN_LENGTH = 5  # tokens this long are also found with one letter changed
_NARROW_ABOVE = 32  # candidates from one required word beyond which a second one narrows them

_REACH = 2 * SCORES.resemblance  # x the lighter name's weight: the most two names can share
_CHECKED_TYPES = frozenset({"isin", "lei", "cik", "cusip", "figi"})
_INTERNATIONAL_ISIN = frozenset({"XS", "EU", "XA", "XB", "XC", "XD", "QS", "QT"})

_PARENS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


@dataclass(slots=True)
class MatchOutcome:  # one per query, never changed after (not frozen: see Query)
    status: str  # "match" | "possible_match" | "no_match"
    candidates: tuple[Candidate, ...]  # best first, at most `limit`
    understood: Query

    @property
    def query(self) -> dict[str, Any]:
        """JSON-ready echo of the understood query (built when asked: batches never ask)."""
        return self.understood.to_dict()


# --- index entries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Listing:
    entity_id: str
    exchange: str | None
    hit: Candidate  # what an exact hit on this listing gives, explanation included
    historical: bool


def _deletions(token: str) -> list[str]:
    return [token[:i] + token[i + 1:] for i in range(len(token))]


def is_historical(identifier: Identifier) -> bool:
    """Whether the identifier's note marks it as a former one (a listing that ended)."""
    note = (identifier.note or "").lower()
    return any(word in note for word in _HISTORICAL_WORDS)


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


class Matcher:
    """Indexes of one watchlist version; immutable after construction, safe to share."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._entities: dict[str, Entity] = {}
        entries: list[NameEntry] = []
        generic_union: dict[str, set[str]] = {}
        identifier_index: dict[tuple[str, str], list[Candidate]] = {}
        tickers: dict[str, list[_Listing]] = {}
        for entity in entities:
            self._entities[entity.id] = entity
            union = generic_union.setdefault(entity.id, set())
            names = [(entity.name, "name", "name")]
            names += [(a.name, "alias", a.kind) for a in entity.aliases]
            seen: set[tuple[str, ...]] = set()
            legal = normalise_name(entity.name)
            parent = (PARENT_WORDS.intersection(legal.generic) if legal.legal_forms
                      else frozenset())
            for label, field_, kind in names:
                for variant in _name_variants(label):
                    norm = normalise_name(variant)
                    key = (*norm.distinctive, "|", *norm.generic, "|", *norm.legal_forms)
                    if norm.empty or key in seen:
                        continue
                    seen.add(key)
                    union.update(norm.generic)
                    common = frozenset(t for t in norm.distinctive if common_word(t))
                    places = frozenset(t for t in norm.distinctive if place_countries(t))
                    entries.append(NameEntry(entity.id, label, field_, kind, norm,
                                             frozenset(norm.generic), entity.country,
                                             weak_name(norm), common, places,
                                             parent))
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
        historical = is_historical(identifier)
        if identifier.type == "ticker":
            where = f" on {exchange}" if exchange else ""
            hit = Candidate(
                entity.id,
                round(SCORES.ticker_on_exchange
                      - SCORES.ticker_less.get(identifier.confidence, SCORES.ticker_low_less), 2),
                ("ticker",),
                f"ticker {symbol}{where} is {entity.name}'s listing "
                f"({_confidence_text(identifier)})",
            )
            listing = _Listing(entity.id, exchange, hit, historical)
            tickers.setdefault(ticker_key(symbol, exchange), []).append(listing)
            return
        label = _LABELS.get(identifier.type, identifier.type)
        score = SCORES.identifier.get(identifier.confidence, SCORES.identifier_low)
        if identifier.type == "domain":
            score -= SCORES.domain_less
        explanation = (
            f"{label} {value} equals the watchlist's {label} for {entity.name} "
            f"({_confidence_text(identifier)})"
        )
        if historical and identifier.type == "domain":  # a security identifier is never reused
            score = min(score, SCORES.historical_cap)
            explanation += "; recorded as historical, so it may now belong to someone else"
        index.setdefault((identifier.type, value), []).append(
            Candidate(entity.id, round(score, 2), (identifier.type,), explanation)
        )

    @staticmethod
    def _build_name_index(
        entries: tuple[NameEntry, ...],
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
            scores = self._name_scores(name)
            hits = self._hits(query) if query.identifiers else None
            if hits:
                found += [self._weighed(entity_id, name, scored, hits)
                          for entity_id, (scored, used) in scores.items()]
            else:
                found += [make_candidate(entity_id, scored.score, scored.entry.field,
                                         explain(used, scored))
                          for entity_id, (scored, used) in scores.items()]
        if not found:
            return MatchOutcome("no_match", (), query)
        if len(found) > 1:
            found = _merge(found)
        best = found[0].score
        status = status_for(best)
        kept: tuple[Candidate, ...]
        if len(found) == 1:
            kept = (found[0],) if best >= POSSIBLE_THRESHOLD and limit > 0 else ()
        else:
            kept = tuple(c for c in found[: max(limit, 0)] if c.score >= POSSIBLE_THRESHOLD)
        return MatchOutcome(status, kept, query)

    def _hits(self, query: Query) -> list[tuple[str, str, frozenset[str]]]:
        """The identifiers the client sent as such (security and company numbers, a ticker on
        an exchange) with the entities each one found. Free text also screened as a name ("Atos
        SE") was read as an identifier only speculatively, so that reading never disagrees."""
        hits = []
        found: Iterable[Candidate]
        for (kind, value, exchange), field_ in zip(query.identifiers, query.fields, strict=True):
            if query.guessed and field_ == "q":
                continue
            if kind in _CHECKED_TYPES:
                found = self._identifiers.get((kind, value), ())
            elif kind == "ticker" and exchange is not None:
                found = self._ticker_candidates(value, exchange)
            else:
                continue
            hits.append((kind, value, frozenset(c.entity_id for c in found)))
        return hits

    def _weighed(
        self,
        entity_id: str,
        name: NormalisedName,
        scored: NameScore,
        hits: list[tuple[str, str, frozenset[str]]],
    ) -> Candidate:
        """A name candidate weighed against the query's identifiers that did not find this
        entity: one the entity records otherwise, or whose country is not the entity's, lowers
        the score; with a short or common name any of them keeps it from being a match."""
        entity = self._entities[entity_id]
        text = explain(name if not scored.places else name.placeless or name, scored)
        score = scored.score
        recorded = {(i.type, i.value) for i in entity.identifiers}
        recorded_types = {kind for kind, _ in recorded}
        entry = scored.entry
        slight = entry.weak is not None or (len(entry.norm.compact) <= SHORT_NAME
                                             and not entry.generic)
        notes = []
        for kind, value, entities in hits:
            if entity_id in entities:
                continue
            label = _LABELS.get(kind, kind)
            if kind in recorded_types and kind != "ticker":
                score -= SCORES.identifier_disagrees_less
                notes.append(f"the query's {label} {value} is not the one the watchlist records "
                             f"for this company")
            elif not entities:
                notes.append(f"the query's {label} {value} belongs to no watchlist entity")
            else:
                notes.append(f"the query's {label} {value} is another watchlist entity's")
            country = value[:2] if kind == "isin" else None
            if (country and entity.country and country != entity.country
                    and country not in _INTERNATIONAL_ISIN):
                score -= SCORES.identifier_country_less
                notes.append(f"its country {country} is not this company's ({entity.country})")
        if not notes:
            return make_candidate(entity_id, score, entry.field, text)
        if slight and score >= MATCH_THRESHOLD:
            score = POSSIBLE_CAP
            notes.append("the name alone is too short or common to outweigh that")
        return make_candidate(entity_id, score, entry.field, f"{text}; " + "; ".join(notes))

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
                    found.append(make_candidate(
                        listing.entity_id, SCORES.ticker_unknown_venue, "ticker",
                        f"ticker {symbol} is {self._name(listing)}'s, whose exchange the "
                        f"watchlist does not record; {exchange} could not be checked"))
                elif venue_accepts(exchange, listing.exchange):
                    if len(exchange) == 4 and not listing.historical:
                        found.append(listing.hit)
                        continue
                    score, text = listing.hit.score, listing.hit.explanation
                    if len(exchange) == 2:
                        score -= SCORES.exchange_as_country_less
                        text = f"{text}; {exchange} was given as a country, not a venue"
                    found.append(self._listingcandidate(listing, score, text))
            return found
        owners = {listing.entity_id for listing in listings}
        for listing in listings:
            venue = f" on {listing.exchange}" if listing.exchange else ""
            if len(owners) == 1:
                score = listing.hit.score - SCORES.ticker_alone_less
                text = (f"ticker {symbol} given without an exchange; the only watchlist listing "
                        f"with this symbol is {self._name(listing)}'s{venue}")
            else:
                score = SCORES.ticker_shared
                text = (f"ticker {symbol} given without an exchange; {len(owners)} watchlist "
                        f"entities use this symbol, this one{venue}: give the exchange")
            found.append(self._listingcandidate(listing, score, text))
        return found

    @staticmethod
    def _listingcandidate(listing: _Listing, score: float, text: str) -> Candidate:
        if listing.historical:
            score = min(score, SCORES.historical_cap)
            text += "; the listing is recorded as historical and the symbol may have moved on"
        return make_candidate(listing.entity_id, score, "ticker", text)

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
                    make_candidate(c.entity_id, c.score - SCORES.subdomain_less, "domain",
                               f"{host} is a subdomain: {c.explanation}")
                    for c in found
                ]
        return []

    def _name_scores(
        self, query: NormalisedName
    ) -> dict[str, tuple[NameScore, NormalisedName]]:
        """The best name score per entity, with the query form it was reached with (the name as
        given, or without the places written before or after it)."""
        best: dict[str, tuple[NameScore, NormalisedName]] = {}
        query_generic = frozenset(query.generic)
        entries = self._entries
        union = self._generic_union
        weight = query.weight
        for number in self._candidate_entries(query):
            entry = entries[number]
            other = entry.norm.weight
            # The best score two names of these weights can reach (all of the lighter shared).
            if _REACH * min(weight, other) < POSSIBLE_THRESHOLD * (weight + other):
                continue
            scored = score_name(query, query_generic, entry, union[entry.entity_id])
            if scored is not None:
                previous = best.get(entry.entity_id)
                if previous is None or scored.score > previous[0].score:
                    best[entry.entity_id] = (scored, query)
        placeless = query.placeless
        if placeless is not None:
            self._score_placeless(query, placeless, best)
        return best

    def _score_placeless(
        self,
        query: NormalisedName,
        placeless: NormalisedName,
        best: dict[str, tuple[NameScore, NormalisedName]],
    ) -> None:
        """Score the name without the places written around it. A place neither makes nor
        breaks a match: it is set aside only for an entity whose country the watchlist records
        and whose name does not hold it; one written before the name only when it is in that
        country (it may be part of the name); one in another country keeps the name from being
        a match. A country's name that agrees is the co-signal a common-word name needs."""
        query_generic = frozenset(placeless.generic)
        entries = self._entries
        union = self._generic_union
        place_words = {word for place in query.places for word in place.text.split()}
        for number in self._candidate_entries(placeless):
            entry = entries[number]
            if place_words & set(entry.norm.distinctive):
                continue
            country = entry.country
            if country is None:
                continue
            agrees = any(country in p.countries for p in query.places)
            if any(p.before for p in query.places) and not agrees:
                continue
            named = any(p.is_country and country in p.countries for p in query.places)
            scored = score_name(placeless, query_generic, entry, union[entry.entity_id],
                                country_agrees=named)
            if scored is None:
                continue
            contradicting = [p for p in query.places if country not in p.countries]
            if contradicting and scored.score >= MATCH_THRESHOLD:
                where = ", ".join(f"'{p.text}' ({'/'.join(p.countries)})" for p in contradicting)
                scored = replace(scored, score=POSSIBLE_CAP, strong=False, weak_reason=(
                    f"the query places it in {where}, the watchlist in {country}"))
            scored = replace(scored, places=query.places)
            previous = best.get(entry.entity_id)
            if previous is None or scored.score > previous[0].score:
                best[entry.entity_id] = (scored, placeless)

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
            if 2 * (total - weight) < REQUIRED_SHARE * (2 * total - weight)
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


def _merge(found: list[Candidate]) -> list[Candidate]:
    """One candidate per entity, best first: the best evidence, raised for each other field that
    agreed (``further_field_more``; never enough to turn a possible match into a match)."""
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
            score = min(1.0, score + SCORES.further_field_more * (len(fields) - 1))
        explanation = top.explanation
        if others:
            explanation += "; also " + "; ".join(others[:2])
        merged.append(Candidate(entity_id, round(score, 2), tuple(fields), explanation))
    merged.sort(key=lambda c: (-c.score, c.entity_id))
    return merged

