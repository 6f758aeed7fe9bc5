"""Screening a query against the watchlist: identifiers first, then names.

`parse_query` (`esgscreen.core.query`) turns request parameters into a `Query` (raising
InvalidIdentifier or InvalidQuery); a `Matcher` (`esgscreen.core.index`), built once per
watchlist version and shared read-only between threads, answers `match(query)` with a
`MatchOutcome`: a status, the best candidates with their score, the fields that agreed and a
one-line explanation, and an echo of the understood query. Names are compared by
`esgscreen.core.scoring`. Every score below is a named entry of the one table,
`esgscreen.core.scores.SCORES`; this text names the entries and never restates their values.

Score bands
-----------
Every candidate gets a score between 0 and 1; the best one sets the status.

- ``match`` (score >= MATCH_THRESHOLD): the evidence identifies a watchlist entity.
  An equal ISIN, LEI, CUSIP, FIGI, CIK or registry number scores ``identifier_high``,
  ``identifier_medium`` or ``identifier_low`` by the confidence recorded; an equal domain
  ``domain_less`` less (a subdomain ``subdomain_less`` less again); a ticker on the exchange
  named ``ticker_on_exchange`` (``exchange_as_country_less`` less for a country such as ``US``),
  less ``ticker_medium_less`` or ``ticker_low_less`` at medium or low confidence; a ticker given
  without an exchange ``ticker_alone_less`` less, and only when a single watchlist entity uses
  that symbol. A name matches when every distinctive word agrees with one of the entity's names
  or aliases - exactly, split or joined differently (Hik-Vision, InTheCyber), or with one typo in
  a word of nine letters or more (of eight when its first two and last letters stay) - and any
  generic word the query adds is one the entity's names use. It scores ``name_equal``, less
  ``name_typo_less`` per typo, ``omitted_generic_less`` when the query leaves out generic words
  (NSO Technologies for NSO Group Technologies), ``borrowed_generic_less`` when it takes them from
  another of the entity's names, ``legal_family_less`` when the legal forms come from different
  traditions; never below MATCH_THRESHOLD. Legal forms are otherwise ignored.
- ``possible_match`` (POSSIBLE_THRESHOLD <= score < MATCH_THRESHOLD, at most POSSIBLE_CAP):
  worth a reviewer's look, not an identity. Names that share most of their distinctive part
  score ``resemblance`` x the Dice similarity of their distinctive words (weighted by length,
  each pair by its Levenshtein similarity; one typo counts ``typo_similarity``), less
  ``foreign_generic_less`` when the query adds generic words the entity never uses and
  ``crossed_generic_less`` more when each side has generic words the other lacks: Westbridge
  Capital against Westbridge Technologies, Cognite against Cognyte. Also capped here: a one-word
  name under another legal form (Matrix Ltd against Matrix LLC), a one-word name of four letters
  or fewer without the legal form the watchlist records (Sun against Sun Corporation), a
  one-word short form the watchlist does not record (Memento for Memento Labs), a name of two
  letters or fewer (with its generic words it matches: Digital 14; alone it is nothing); a name
  whose distinctive words are only places or common words, with generic words left out, unless
  only group or holding is left out or, for common words, the name is cut short (China
  Electronics Corporation is not China Electronics Technology Group Corporation); the bare name
  under a legal form when the entity's legal name has group or holding and a legal form
  (SoftBank Corp. is not SoftBank Group Corp.); a ticker alone that several entities use
  (``ticker_shared``); a ticker whose listing has no recorded exchange
  (``ticker_unknown_venue``); a listing or domain recorded as historical (``historical_cap``).
- ``no_match`` (below POSSIBLE_THRESHOLD): nothing worth showing; no candidates are returned.

Generic words (group, technologies, holdings, capital, systems, solutions, partners ...) and
legal forms never make a match alone: a name without a distinctive word matches nothing. When
several fields agree on one entity its score rises by ``further_field_more`` for each further
field, but only within the match band.
"""

from __future__ import annotations

from esgscreen.core.index import Matcher, MatchOutcome
from esgscreen.core.query import MAX_TEXT_LENGTH, Query, parse_query
from esgscreen.core.scores import (
    MATCH_THRESHOLD,
    POSSIBLE_CAP,
    POSSIBLE_THRESHOLD,
    SCORES,
    status_for,
)
from esgscreen.core.scoring import TYPO_MIN_LENGTH, Candidate

__all__ = [
    "MATCH_THRESHOLD",
    "MAX_TEXT_LENGTH",
    "POSSIBLE_CAP",
    "POSSIBLE_THRESHOLD",
    "SCORES",
    "TYPO_MIN_LENGTH",
    "Candidate",
    "MatchOutcome",
    "Matcher",
    "Query",
    "parse_query",
    "status_for",
]
