"""The score table's invariants: what must stay a match, what must stay below one."""

from __future__ import annotations

from esgscreen.core.scores import (
    MATCH_THRESHOLD,
    POSSIBLE_CAP,
    POSSIBLE_THRESHOLD,
    SCORES,
    status_for,
)


def test_identifiers_at_every_confidence_are_matches() -> None:
    assert SCORES.identifier_high > SCORES.identifier_medium > SCORES.identifier_low
    for score in SCORES.identifier.values():
        assert status_for(score) == "match"
    subdomain = SCORES.identifier_high - SCORES.domain_less - SCORES.subdomain_less
    assert status_for(subdomain) == "match"
    lowest_ticker = (SCORES.ticker_on_exchange - SCORES.ticker_low_less
                     - SCORES.exchange_as_country_less - SCORES.ticker_alone_less)
    assert status_for(lowest_ticker) == "possible_match"  # a low-confidence bare ticker is not


def test_weak_evidence_stays_below_a_match() -> None:
    for score in (SCORES.historical_cap, SCORES.ticker_shared, SCORES.ticker_unknown_venue,
                  POSSIBLE_CAP, SCORES.resemblance):
        assert POSSIBLE_THRESHOLD <= score < MATCH_THRESHOLD
    assert SCORES.typo_similarity < SCORES.name_equal
    assert SCORES.word_similarity_floor < POSSIBLE_THRESHOLD


def test_table_is_plain_numbers_between_zero_and_one() -> None:
    table = SCORES.as_dict()
    assert len(table) >= 20
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in table.values())
