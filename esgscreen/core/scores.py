"""The one table of matching scores: every score, step and cap the matcher gives, by name.

`SCORES` is read by the index (identifiers, tickers, domains) and by name scoring; the module
docstring of `esgscreen.core.matching` describes the rules in words and refers to these names.
A test holds the table's invariants (what must stay a match, what must stay below one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["MATCH_THRESHOLD", "POSSIBLE_THRESHOLD", "SCORES", "ScoreTable", "status_for"]

MATCH_THRESHOLD = 0.90
"""Lowest score of a ``match``: the evidence identifies a watchlist entity."""

POSSIBLE_THRESHOLD = 0.70
"""Lowest score of a ``possible_match``: resemblance worth a reviewer's look, not an identity."""


@dataclass(frozen=True, slots=True)
class ScoreTable:
    # -- identifiers --
    identifier_high: float = 1.00  # an equal ISIN, LEI, CUSIP, FIGI, CIK or registry number
    identifier_medium: float = 0.97  # ... recorded at medium confidence
    identifier_low: float = 0.93  # ... recorded at low confidence
    domain_less: float = 0.03  # an equal domain scores this much less than the identifiers
    subdomain_less: float = 0.02  # a subdomain of a recorded domain, again less
    historical_cap: float = 0.85  # a listing or domain recorded as historical
    # -- tickers --
    ticker_on_exchange: float = 0.98  # a ticker on the exchange named (at high confidence)
    ticker_medium_less: float = 0.03  # ... recorded at medium confidence
    ticker_low_less: float = 0.07  # ... recorded at low confidence
    exchange_as_country_less: float = 0.01  # the exchange was a country code (US), not a venue
    ticker_alone_less: float = 0.05  # no exchange given, one watchlist entity uses the symbol
    ticker_shared: float = 0.78  # no exchange given, several watchlist entities use the symbol
    ticker_unknown_venue: float = 0.80  # the watchlist does not record the listing's exchange
    # -- names: a full match --
    name_equal: float = 1.00  # every distinctive word agrees
    name_typo_less: float = 0.05  # for each word with one typo
    omitted_generic_less: float = 0.02  # the query leaves out generic words the name has
    borrowed_generic_less: float = 0.01  # its generic words come from another of the names
    legal_family_less: float = 0.03  # the legal forms come from different traditions
    # -- names: resemblance --
    typo_similarity: float = 0.95  # the similarity of two words one typo apart
    word_similarity_floor: float = 0.50  # words less similar than this do not pair at all
    resemblance: float = 0.88  # x the Dice similarity of the distinctive words
    foreign_generic_less: float = 0.04  # the query adds generic words the entity never uses
    crossed_generic_less: float = 0.04  # each side has generic words the other lacks
    # -- identifiers that disagree with a name --
    identifier_disagrees_less: float = 0.05  # the entity records another value of that type
    identifier_country_less: float = 0.03  # an ISIN of another country than the entity's
    # -- several fields --
    further_field_more: float = 0.01  # for each further field agreeing on one entity (match only)

    @property
    def identifier(self) -> dict[str, float]:
        """The score of an equal identifier by the confidence the watchlist records."""
        return {"high": self.identifier_high, "medium": self.identifier_medium,
                "low": self.identifier_low}

    @property
    def ticker_less(self) -> dict[str, float]:
        """What a ticker loses by the confidence the watchlist records."""
        return {"high": 0.0, "medium": self.ticker_medium_less, "low": self.ticker_low_less}

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SCORES = ScoreTable()
"""The scores in force."""

POSSIBLE_CAP = round(MATCH_THRESHOLD - 0.01, 2)
"""The highest score below a match: where a name that only resembles, or a weak one, stops."""


def status_for(score: float) -> str:
    """The status a best score gives (see the score bands in `esgscreen.core.matching`)."""
    if score >= MATCH_THRESHOLD:
        return "match"
    if score >= POSSIBLE_THRESHOLD:
        return "possible_match"
    return "no_match"
