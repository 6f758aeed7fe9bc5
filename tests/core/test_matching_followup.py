"""Matching faults found once the second-edition watchlist landed (issue 11 follow-up): free text
read as a ticker is no conflicting identifier, a name left with only a place or common words is
not identified by it, a bare name under a legal form is not the group's legal name, a short
distinctive part with its generic words is a name, and decorations after a one-letter word.

The fixture entities are made up for these tests, not watchlist facts; the last tests screen the
bundled watchlist for the faults as they were reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from esgscreen.core.matching import Candidate, Matcher, parse_query
from esgscreen.core.model import Alias, Entity, Identifier
from esgscreen.core.names import common_word, normalise_name
from esgscreen.watchlist.files import read_watchlist

ENTITIES = (
    Entity("orvo", "Orvo SE", "vendor", country="FR",
           aliases=(Alias("Orvo", "trading"),),
           identifiers=(Identifier("ticker", "ORV", exchange="XPAR"),)),
    Entity("portugal-etg", "Portugal Electronics Technology Group Corporation", "holding",
           country="PT"),
    Entity("summit", "Summit Digital Systems Corp.", "vendor", country="US"),
    Entity("zanthor", "Zanthor Group Corp.", "holding", country="JP",
           aliases=(Alias("Zanthor", "trading"),)),
    Entity("kestrel", "Kestrel Holdings", "holding", country="GB",
           aliases=(Alias("Kestrel", "trading"),)),
    Entity("capital21", "Capital21", "vendor", country="AE",
           aliases=(Alias("Capital 21", "trading"),)),
    Entity("novalis", "Novalis Fund I", "investor", country="US"),
)
MATCHER = Matcher(ENTITIES)


def screen(**params: str) -> tuple[str, Candidate | None]:
    outcome = MATCHER.match(parse_query(params))
    return outcome.status, outcome.candidates[0] if outcome.candidates else None


def assert_match(entity_id: str, **params: str) -> Candidate:
    status, top = screen(**params)
    assert status == "match" and top is not None and top.entity_id == entity_id, (params, top)
    return top


# --- free text read as a ticker is a guess, never a conflicting identifier -----------------------


@pytest.mark.parametrize("q", ["Orvo SE", "ORVO SE", "Orvo"])
def test_a_name_that_also_reads_as_a_ticker_is_still_a_match(q: str) -> None:
    top = assert_match("orvo", q=q)
    assert "belongs to no watchlist entity" not in top.explanation


def test_free_text_also_screened_as_a_name_marks_its_identifiers_as_guessed() -> None:
    assert parse_query({"q": "Orvo SE"}).guessed
    assert not parse_query({"q": "ORV:FP"}).guessed  # an explicit ticker and exchange
    assert not parse_query({"q": "US0378331005"}).guessed
    assert not parse_query({"name": "Orvo SE", "ticker": "ORVO", "exchange": "XSTO"}).guessed


def test_a_ticker_the_client_sent_as_such_still_conflicts() -> None:
    status, top = screen(name="Orvo SE", ticker="ORVO", exchange="XSTO")
    assert status == "possible_match" and top is not None
    assert "belongs to no watchlist entity" in top.explanation


def test_an_isin_the_client_sent_still_conflicts() -> None:
    status, top = screen(name="Orvo SE", isin="US0378331005")
    assert status == "possible_match" and top is not None


# --- what is left of a name without its generic words must identify it ----------------------------


@pytest.mark.parametrize("name", ["Portugal Electronics Corporation", "Portugal Group Corporation",
                                  "Portugal Corporation", "Portugal Technology Group"])
def test_a_place_left_alone_by_omitted_generic_words_is_no_match(name: str) -> None:
    status, top = screen(name=name)
    assert status != "match", top
    if top is not None:
        assert "only a place" in top.explanation or "short form" in top.explanation


@pytest.mark.parametrize("name", ["Portugal Electronics Technology Group Corporation",
                                  "PORTUGAL ELECTRONICS TECHNOLOGY GROUP CORP",
                                  "Portugal Electronics Technology Group",
                                  "Portugal Electronics Technology"])
def test_a_place_with_all_its_generic_words_but_group_still_matches(name: str) -> None:
    assert_match("portugal-etg", name=name)


def test_common_words_left_alone_need_the_name_cut_short_not_a_legal_form() -> None:
    status, top = screen(name="Summit Systems Corp")
    assert status == "possible_match" and top is not None and "common words" in top.explanation
    assert screen(name="Summit Corp")[0] == "possible_match"
    assert_match("summit", name="Summit Digital")  # its first words: the name cut short
    assert_match("summit", name="Summit Digital Systems")


# --- a bare name under a legal form is not the group's legal name ---------------------------------


@pytest.mark.parametrize("name", ["Zanthor Corp.", "ZANTHOR CORP", "Zanthor Ltd"])
def test_the_bare_name_under_a_legal_form_is_not_the_group(name: str) -> None:
    """SoftBank Corp. is not SoftBank Group Corp.: with its legal form the query names a legal
    entity, and the group's legal name has a word it lacks."""
    status, top = screen(name=name)
    assert status == "possible_match" and top is not None, top


@pytest.mark.parametrize("name", ["Zanthor", "Zanthor Group", "Zanthor Group Corp", "ZANTHOR"])
def test_the_trading_name_and_the_group_still_match(name: str) -> None:
    assert_match("zanthor", name=name)


def test_a_legal_name_without_a_legal_form_does_not_hold_a_legal_form_back() -> None:
    assert_match("kestrel", name="Kestrel Ltd")


# --- a short distinctive part with its generic words ----------------------------------------------


@pytest.mark.parametrize("name", ["Capital 21", "CAPITAL 21", "Capital21", "Capital 21 LLC"])
def test_two_characters_with_their_generic_words_are_a_name(name: str) -> None:
    assert_match("capital21", name=name)


@pytest.mark.parametrize("name", ["21", "21 Ltd"])
def test_two_characters_alone_are_not_even_a_resemblance(name: str) -> None:
    assert screen(name=name)[0] == "no_match"


# --- decorations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["Novalis Fund I /DE/", "Square 2 /DE/", "Novalis Fund I /NEW/",
                                 "ПАО «Группа Позитив» /DE/"])
def test_a_state_suffix_after_a_short_word_or_a_quote_is_a_decoration(raw: str) -> None:
    norm = normalise_name(raw)
    assert len(norm.decorations) == 1 and norm.distinctive[-1] in ("i", "2", "pozitiv")


def test_slashes_inside_a_legal_form_stay_a_legal_form() -> None:
    assert normalise_name("Nordvik A/S").legal_forms == ("as",)
    assert normalise_name("Novalis Fund I /DE/").distinctive == ("novalis", "fund", "i")
    assert_match("novalis", name="Novalis Fund I /DE/")


# --- the faults as reported, on the bundled watchlist ---------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundled() -> Matcher:
    return Matcher(read_watchlist(ROOT / "watchlist").entities.values())


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "Atos SE"}, ("match", "atos")),
        ({"q": "ATOS SE"}, ("match", "atos")),
        ({"q": "China Electronics Corporation"}, ("possible_match", "cetc")),
        ({"q": "China Group Corporation"}, ("possible_match", "cetc")),
        ({"q": "China Electronics Technology Group Corporation"}, ("match", "cetc")),
        ({"q": "SoftBank Corp."}, ("possible_match", "softbank-group")),
        ({"q": "SoftBank Group Corp."}, ("match", "softbank-group")),
        ({"q": "SoftBank"}, ("match", "softbank-group")),
        ({"name": "Digital 14"}, ("match", "digital14")),
        ({"name": "14"}, ("no_match", None)),
    ],
)
def test_the_reported_faults(bundled: Matcher, params: dict[str, str],
                             expected: tuple[str, str | None]) -> None:
    outcome = bundled.match(parse_query(params))
    top = outcome.candidates[0].entity_id if outcome.candidates else None
    assert (outcome.status, top) == expected, outcome.candidates[:1]


# --- common words are counted per company, not per listing ---------------------------------------


@pytest.mark.parametrize("word", ["abbvie", "accenture", "amgen", "autodesk"])
def test_a_word_of_one_company_listed_twice_is_not_common(word: str) -> None:
    """The SEC's and the index's listing of one company are one name once its legal form is set
    aside: its word is that company's, not a common one."""
    assert common_word(word) is None


def test_words_of_several_companies_are_still_common() -> None:
    assert common_word("summit") is not None and common_word("china") is not None


# --- par values and listing words German exchanges append ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "distinctive", "decorations"),
    [
        ("ORVO SE EO 1", ("orvo",), ("eo 1",)),
        ("ORVO S.A. INH. EO 3", ("orvo",), ("eo 3", "inh")),
        ("KESTREL HOLDINGS PLC LS-,025", ("kestrel",), ("ls 025",)),
        ("ORVO S.P.A. EO 4,40", ("orvo",), ("eo 4 40",)),
        ("ORVO SE O.N.", ("orvo",), ("on",)),
        ("ORVO AG NA O.N.", ("orvo",), ("on", "na")),
        ("Orvo Corp H Shares", ("orvo",), ("h shares",)),
        ("ORVO SA UNSPON ADR", ("orvo",), ("adr", "unspon")),
    ],
)
def test_par_values_and_listing_words_are_decorations(
    raw: str, distinctive: tuple[str, ...], decorations: tuple[str, ...]
) -> None:
    norm = normalise_name(raw)
    assert norm.distinctive == distinctive and norm.decorations == decorations


@pytest.mark.parametrize("raw", ["Plus 500 Ltd", "Studio 54", "Carry On Ltd", "Pier 1 Imports"])
def test_numbers_and_small_words_of_a_name_stay(raw: str) -> None:
    assert not normalise_name(raw).decorations


@pytest.mark.parametrize("name", ["ORVO SE EO 1", "ORVO SE O.N.", "Orvo SE H Shares"])
def test_a_name_with_its_par_value_matches(name: str) -> None:
    assert_match("orvo", name=name)


# --- a name with a number is not an identifier with a bad check digit -------------------------


@pytest.mark.parametrize("q", ["Orvo Corporation 000063", "Kestrel Holdings 12345678"])
def test_a_name_with_a_number_is_read_as_a_name(q: str) -> None:
    query = parse_query({"q": q})
    assert query.detected == "name" and query.name == q


def test_an_identifier_in_groups_is_still_an_identifier() -> None:
    assert parse_query({"q": "5493 001K JTII GC8Y 1R12"}).detected == "lei"
