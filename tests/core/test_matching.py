"""Query parsing, identifier and ticker matching, name scoring and hard negatives."""

from __future__ import annotations

import pytest

from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.matching import (
    MATCH_THRESHOLD,
    POSSIBLE_THRESHOLD,
    Candidate,
    Matcher,
    parse_query,
)
from esgscreen.core.model import Alias, Entity, Identifier

ENTITIES = (
    Entity(
        id="cellebrite",
        name="Cellebrite DI Ltd.",
        kind="vendor",
        aliases=(Alias("Cellebrite", "trading"),),
        identifiers=(
            Identifier("ticker", "CLBT", exchange="XNAS"),
            Identifier("ticker", "CLBTW", exchange="XNAS", note="Former listing: warrants."),
            Identifier("isin", "IL0011794802", confidence="low", note="single source"),
            Identifier("cik", "1854587"),
            Identifier("domain", "cellebrite.com", confidence="medium"),
        ),
    ),
    Entity(
        id="sun-corporation",
        name="Sun Corporation",
        kind="holding",
        aliases=(Alias("サン電子株式会社", "local_script", "ja"),),
        identifiers=(
            Identifier("ticker", "6736", exchange="XTKS"),
            Identifier("isin", "JP3336450006"),
        ),
    ),
    Entity(
        id="hikvision",
        name="Hangzhou Hikvision Digital Technology Co., Ltd.",
        kind="vendor",
        aliases=(Alias("Hikvision", "trading"),),
        identifiers=(Identifier("ticker", "002415", exchange="XSHE"),),
    ),
    Entity(
        id="positive-technologies",
        name="JSC Positive Technologies",
        kind="vendor",
        aliases=(Alias("AO Pozitiv Teknolodzhiz", "transliteration"),),
    ),
    Entity(id="westbridge", name="Westbridge Technologies", kind="subsidiary"),
    Entity(id="paragon", name="Paragon Solutions Ltd.", kind="vendor"),
    Entity(id="cognyte", name="Cognyte Software Ltd.", kind="vendor",
           aliases=(Alias("Cognyte", "trading"),)),
    Entity(id="sandvine", name="Sandvine Incorporated", kind="vendor",
           aliases=(Alias("Sandvine", "trading"),)),
    Entity(id="matrix", name="Matrix LLC", kind="vendor"),
    Entity(id="memento", name="Memento Labs", kind="vendor"),
    Entity(id="sensetime", name="SenseTime Group Inc.", kind="vendor",
           identifiers=(Identifier("ticker", "20", exchange="XHKG"),)),
    # Two entities quoting the same symbol on different exchanges.
    Entity(id="alpha", name="Alphaxx Systems", kind="vendor",
           identifiers=(Identifier("ticker", "ABC", exchange="XNAS"),)),
    Entity(id="beta", name="Betayy Networks", kind="vendor",
           identifiers=(Identifier("ticker", "ABC", exchange="XTKS"),)),
)
MATCHER = Matcher(ENTITIES)


def screen(**params: str) -> tuple[str, tuple[Candidate, ...]]:
    outcome = MATCHER.match(parse_query(params))
    return outcome.status, outcome.candidates


def top(**params: str) -> Candidate:
    status, candidates = screen(**params)
    assert candidates, f"no candidate for {params}"
    return candidates[0]


# --- parse_query ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"isin": "IL0011794801"}, "isin"),
        ({"lei": "5493001KJTIIGC8Y1R13"}, "lei"),
        ({"cik": "12345678901"}, "cik"),
        ({"cusip": "M2197Q116"}, "cusip"),
        ({"figi": "BBG000B9XRY5"}, "figi"),
        ({"domain": "not a domain"}, "domain"),
        ({"ticker": "Cellebrite DI Ltd"}, "ticker"),
        ({"ticker": "CLBT", "exchange": "NOWHERE"}, "exchange"),
        ({"name": "Cellebrite", "exchange": "NOWHERE"}, "exchange"),
        ({"q": "IL0011794801"}, "q"),
        ({"name": "Cellebrite", "isin": "IL0011794801"}, "isin"),
    ],
)
def test_invalid_identifiers_name_their_parameter(params: dict, field: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_query(params)
    assert caught.value.field == field


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"name": "  ", "isin": None}, {"policy": "x"}])
def test_nothing_to_screen(params: dict) -> None:
    with pytest.raises(InvalidQuery):
        parse_query(params)


def test_overlong_text_is_refused() -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_query({"name": "x" * 1000})
    assert caught.value.field == "name"


@pytest.mark.parametrize(
    ("q", "detected", "identifiers", "also_name"),
    [
        ("IL0011794802", "isin", [("isin", "IL0011794802", None)], False),
        ("0001854587", "cik", [("cik", "1854587", None)], False),
        ("https://www.cellebrite.com/x", "domain", [("domain", "cellebrite.com", None)], False),
        ("NASDAQ:CLBT", "ticker", [("ticker", "CLBT", "XNAS")], False),
        ("CLBT", "ticker", [("ticker", "CLBT", None)], True),
        ("Cellebrite DI Ltd", "name", [], True),
    ],
)
def test_free_text_is_classified_and_echoed(
    q: str, detected: str, identifiers: list, also_name: bool
) -> None:
    query = parse_query({"q": q})
    assert query.detected == detected
    assert list(query.identifiers) == identifiers
    assert (query.name is not None) is also_name
    echo = query.to_dict()
    assert echo["q"] == q and echo["detected"] == detected
    assert [(i["type"], i["value"], i["exchange"]) for i in echo["identifiers"]] == identifiers
    assert all(i["field"] == "q" for i in echo["identifiers"])


def test_the_echo_shows_the_normalised_name() -> None:
    echo = MATCHER.match(parse_query({"name": "NSO Group Technologies Ltd."})).query
    assert echo["name"]["normalised"] == "nso group technology"
    assert echo["name"]["legal_forms"] == ["ltd"]
    assert echo["detected"] is None


def test_exchange_applies_to_a_ticker_in_q() -> None:
    assert parse_query({"q": "6736", "exchange": "XTKS"}).identifiers[0] == (
        "ticker", "6736", "XTKS"
    )


def test_a_short_number_in_q_is_a_ticker_only_with_an_exchange() -> None:
    read = parse_query({"q": "700", "exchange": "XHKG"}).identifiers
    assert read[0] == ("ticker", "700", "XHKG")
    assert parse_query({"q": "20", "exchange": "HKEX"}).identifiers[0] == ("ticker", "20", "XHKG")
    assert [kind for kind, _, _ in parse_query({"q": "20"}).identifiers] == ["cik"]


# --- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "entity", "field"),
    [
        ({"isin": "il 0011 7948 02"}, "cellebrite", "isin"),
        ({"cik": "0001854587"}, "cellebrite", "cik"),
        ({"domain": "https://www.cellebrite.com/en"}, "cellebrite", "domain"),
        ({"domain": "investors.cellebrite.com"}, "cellebrite", "domain"),
        ({"isin": "JP3336450006"}, "sun-corporation", "isin"),
        ({"q": "JP3336450006"}, "sun-corporation", "isin"),
    ],
)
def test_identifiers_match(params: dict, entity: str, field: str) -> None:
    status, candidates = screen(**params)
    assert status == "match"
    assert candidates[0].entity_id == entity
    assert candidates[0].matched_on == (field,)


def test_identifier_confidence_shows_in_score_and_explanation() -> None:
    low = top(isin="IL0011794802")
    high = top(cik="1854587")
    assert MATCH_THRESHOLD <= low.score < high.score == 1.0
    assert "low confidence: single source" in low.explanation


def test_an_unknown_identifier_is_no_match_without_candidates() -> None:
    assert screen(isin="US0378331005") == ("no_match", ())


def test_agreeing_fields_are_all_named() -> None:
    candidate = top(isin="IL0011794802", cik="1854587", name="Cellebrite")
    assert candidate.entity_id == "cellebrite"
    assert set(candidate.matched_on) == {"isin", "cik", "alias"}
    assert candidate.matched_on[0] == "cik"
    assert candidate.score == 1.0


# --- tickers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"ticker": "CLBT", "exchange": "XNAS"},
        {"ticker": "CLBT", "exchange": "NASDAQ"},
        {"ticker": "CLBT", "exchange": "US"},
        {"ticker": "NASDAQ:CLBT"},
        {"ticker": "CLBT US"},
        {"ticker": "CLBT.O"},
        {"ticker": "CLBT UW Equity"},
        {"q": "CLBT UW Equity"},
    ],
)
def test_ticker_forms_match_their_listing(params: dict) -> None:
    status, candidates = screen(**params)
    assert status == "match"
    assert candidates[0].entity_id == "cellebrite"
    assert candidates[0].matched_on == ("ticker",)


@pytest.mark.parametrize(
    ("params", "entity"),
    [
        ({"ticker": "6736.T"}, "sun-corporation"),
        ({"ticker": "6736 JP"}, "sun-corporation"),
        ({"ticker": "6736", "exchange": "XTKS"}, "sun-corporation"),
        ({"ticker": "002415.SZ"}, "hikvision"),
        ({"ticker": "002415 CH"}, "hikvision"),
        ({"ticker": "0020.HK"}, "sensetime"),
        ({"ticker": "00020"}, "sensetime"),
    ],
)
def test_asian_listings(params: dict, entity: str) -> None:
    status, candidates = screen(**params)
    assert (status, candidates[0].entity_id) == ("match", entity)


@pytest.mark.parametrize(
    "params",
    [
        {"ticker": "CLBT", "exchange": "XTKS"},
        {"ticker": "CLBT.T"},
        {"ticker": "6736", "exchange": "XNAS"},
        {"ticker": "6736 US"},
        {"ticker": "002415.SS"},  # Shanghai, not Shenzhen
        {"ticker": "ABC", "exchange": "XLON"},
    ],
)
def test_a_ticker_on_another_exchange_never_matches(params: dict) -> None:
    assert screen(**params) == ("no_match", ())


def test_a_ticker_alone_matches_when_unambiguous_and_says_so() -> None:
    status, candidates = screen(ticker="CLBT")
    assert status == "match"
    assert "without an exchange" in candidates[0].explanation
    assert "only watchlist listing" in candidates[0].explanation


def test_an_ambiguous_ticker_alone_is_a_possible_match_for_each_owner() -> None:
    status, candidates = screen(ticker="ABC")
    assert status == "possible_match"
    assert {c.entity_id for c in candidates} == {"alpha", "beta"}
    assert all("give the exchange" in c.explanation for c in candidates)
    assert screen(ticker="ABC", exchange="XTKS")[1][0].entity_id == "beta"


def test_a_historical_listing_is_only_a_possible_match() -> None:
    status, candidates = screen(ticker="CLBTW", exchange="XNAS")
    assert status == "possible_match"
    assert "historical" in candidates[0].explanation


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("Cellebrite", "cellebrite"),
        ("CELLEBRITE DI LTD", "cellebrite"),
        ("Cellebrite DI Limited", "cellebrite"),
        ("Celebrite", "cellebrite"),  # one letter dropped in a long word
        ("Cellebirte", "cellebrite"),  # two letters swapped
        ("Sun Corp", "sun-corporation"),
        ("サン電子株式会社", "sun-corporation"),
        ("サン電子", "sun-corporation"),
        ("HANGZHOU HIKVISION DIGITAL-A", "hikvision"),
        ("Hikvision Digital Technology Co Ltd", "hikvision"),
        ("Hik-Vision", "hikvision"),
        ("Hikvison", "hikvision"),
        ("Positive Technologies AO", "positive-technologies"),
        ("АО «Позитив Текнолоджиз»", "positive-technologies"),
        ("Westbridge Technologies Inc.", "westbridge"),
        ("Paragon Solutions", "paragon"),
        ("Sandvine Corp", "sandvine"),
        ("Memento Labs S.r.l.", "memento"),
    ],
)
def test_name_variants_match(name: str, entity: str) -> None:
    status, candidates = screen(name=name)
    assert status == "match", candidates
    assert candidates[0].entity_id == entity
    assert candidates[0].matched_on[0] in ("name", "alias")


def test_a_match_explains_the_names_compared_and_what_was_ignored() -> None:
    candidate = top(name="Cellebrite DI Limited")
    assert candidate.explanation == (
        "name 'Cellebrite DI Limited' matches 'Cellebrite DI Ltd.' (score 1.00; ignored legal "
        "form 'ltd')"
    )
    assert "\n" not in candidate.explanation
    typo = top(name="Celebrite")
    assert "one typo: 'celebrite' for 'cellebrite'" in typo.explanation
    transliterated = top(name="Позитив Текнолоджиз")
    assert "transliterated" in transliterated.explanation


# Each kind of hard negative: never a match; a possible match only where a reviewer should look.
@pytest.mark.parametrize(
    ("name", "worst"),
    [
        # a different distinctive word beside the vendor's
        ("Sun Pharmaceutical Industries", "no_match"),
        ("Sun Life Financial", "no_match"),
        ("Paragon Real Estate Equity", "no_match"),
        ("Paragon Banking Group PLC", "no_match"),
        ("Memento Mori Ltd", "no_match"),
        ("Westbridge Research Group", "no_match"),
        # a letter or two apart in a short distinctive word
        ("Cognite AS", "possible_match"),
        ("Cognex Corporation", "no_match"),
        ("Sandvik AB", "no_match"),
        ("Positivo Tecnologia S.A.", "no_match"),  # 'positive' is a common word: no resemblance
        ("Hikari Tsushin", "no_match"),
        ("Intellia Therapeutics", "no_match"),
        # generic words only
        ("Technologies Ltd", "no_match"),
        ("Global Solutions Group", "no_match"),
        ("Group", "no_match"),
        # the same distinctive word with another generic word
        ("Westbridge Capital", "possible_match"),
        ("Paragon Technologies Inc", "no_match"),  # 'paragon' is common: another company
        ("Cognyte Technologies", "possible_match"),
        # a short one-word name under another legal form, or without the form it is known by
        ("Matrix Ltd", "possible_match"),
        ("Sun", "possible_match"),
        # a short form the watchlist does not record
        ("Memento", "possible_match"),
        # unrelated
        ("Microsoft Corporation", "no_match"),
    ],
)
def test_hard_negatives_are_never_a_match(name: str, worst: str) -> None:
    status, candidates = screen(name=name)
    assert status == worst, candidates
    if candidates:
        assert "not a match" in candidates[0].explanation


def test_score_bands() -> None:
    assert 0 < POSSIBLE_THRESHOLD < MATCH_THRESHOLD <= 1
    for name in ("Cognite AS", "Westbridge Capital", "Matrix Ltd"):
        candidate = top(name=name)
        assert POSSIBLE_THRESHOLD <= candidate.score < MATCH_THRESHOLD
    assert top(name="Cellebrite").score >= MATCH_THRESHOLD


def test_limit_and_order() -> None:
    outcome = MATCHER.match(parse_query({"ticker": "ABC"}), limit=1)
    assert len(outcome.candidates) == 1
    assert outcome.status == "possible_match"
    assert MATCHER.match(parse_query({"ticker": "ABC"}), limit=0).candidates == ()


def test_the_matcher_is_built_once_and_reused() -> None:
    query = parse_query({"name": "Cellebrite"})
    assert MATCHER.match(query) == MATCHER.match(query)
    assert len(MATCHER) == len(ENTITIES)


def test_an_invalid_watchlist_identifier_is_skipped_not_fatal() -> None:
    broken = Entity(id="broken", name="Brokenco", kind="vendor",
                    identifiers=(Identifier("isin", "IL0011794801"),))
    matcher = Matcher([broken])
    assert matcher.match(parse_query({"name": "Brokenco"})).status == "match"


@pytest.mark.parametrize("query", ["IntelliTech", "Intellitech", "INTELLITECH", "Intelli Tech",
                                   "intellitech ltd"])
def test_a_camel_case_watchlist_name_matches_glued_or_split(query: str) -> None:
    matcher = Matcher([Entity(id="intellitech", name="IntelliTech Ltd", kind="vendor")])
    outcome = matcher.match(parse_query({"name": query}))
    assert outcome.status == "match"
    assert outcome.candidates[0].entity_id == "intellitech"
