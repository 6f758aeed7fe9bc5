"""Names as registries and portfolio systems write them (issue 11): legal forms in full, places,
registry decorations, identifiers that disagree, common-word names and other scripts.

The entities are fixtures made up for these tests, not watchlist facts.
"""

from __future__ import annotations

import pytest

from esgscreen.core.matching import MATCH_THRESHOLD, Candidate, Matcher, parse_query
from esgscreen.core.model import Alias, Entity, Identifier
from esgscreen.core.names import (
    ELF_VERSION,
    common_word,
    normalise_name,
    place_countries,
    short_cjk,
)

ENTITIES = (
    Entity("northwind", "Northwind Sistemas S.A.", "vendor", country="PT"),
    Entity("nordvik", "Nordvik AB", "vendor", country="SE"),
    Entity("kleinfeld", "Kleinfeld GmbH", "vendor", country="DE"),
    Entity("hunor", "Hunor Zrt.", "vendor", country="HU"),
    Entity("vardar", "Vardar AD", "vendor", country="MK"),
    Entity("tiger", "Tiger Global Management", "investor", country="US"),
    Entity("sun", "Sun Corporation", "holding", country="JP",
           aliases=(Alias("サン電子株式会社", "local_script", "ja"),
                    Alias("Sun Electronics", "trading"))),
    Entity("dahua", "Zhejiang Dahua Technology Co., Ltd.", "vendor", country="CN",
           aliases=(Alias("浙江大华技术股份有限公司", "local_script", "zh-Hans"),
                    Alias("大华股份", "local_script", "zh-Hans"),
                    Alias("大华", "local_script", "zh-Hans"))),
    Entity("positive", "JSC Positive Technologies", "vendor", country="RU",
           aliases=(Alias("АО «Позитив Текнолоджиз»", "local_script", "ru"),)),
    Entity("rafael", "Rafael Advanced Defense Systems Ltd.", "vendor", country="IL",
           aliases=(Alias('רפאל מערכות לחימה מתקדמות בע"מ', "local_script", "he"),)),
    Entity("matrix", "Matrix LLC", "vendor", country="RU"),
    Entity("cellebrite", "Cellebrite DI Ltd.", "vendor", country="IL",
           identifiers=(Identifier("isin", "IL0011794802"), Identifier("cik", "1854587"))),
    Entity("quarto", "Quarto Sensing Inc.", "vendor"),  # no country recorded
)
MATCHER = Matcher(ENTITIES)
APPLE_ISIN = "US0378331005"  # valid, and no fixture's


def screen(**params: str) -> tuple[str, Candidate | None]:
    outcome = MATCHER.match(parse_query(params))
    return outcome.status, outcome.candidates[0] if outcome.candidates else None


def matched(name: str, entity_id: str) -> Candidate:
    status, top = screen(name=name)
    assert status == "match" and top is not None and top.entity_id == entity_id, (name, top)
    return top


# --- 1. legal forms written in full, in the local language -----------------------------------


def test_the_elf_list_is_loaded_with_its_version() -> None:
    assert ELF_VERSION == "2023-09-28"


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("Northwind Aktiebolag", "Northwind AB"),
        ("Northwind Aktiengesellschaft", "Northwind AG"),
        ("Northwind Gesellschaft mit beschränkter Haftung", "Northwind GmbH"),
        ("Northwind Société anonyme", "Northwind S.A."),
        ("Northwind Sociedad Anónima", "Northwind SA"),
        ("Northwind Società per azioni", "Northwind S.p.A."),
        ("Northwind Società a responsabilità limitata", "Northwind S.r.l."),
        ("Northwind Société par actions simplifiée", "Northwind SAS"),
        ("Northwind Zártkörűen működő részvénytársaság", "Northwind Zrt."),
        ("Northwind Akcionersko drushtvo", "Northwind AD"),
        ("Northwind Limited Liability Partnership", "Northwind LLP"),
        ("Northwind Limited Liability Company", "Northwind LLC"),
        ("Northwind Kabushiki Kaisha", "Northwind KK"),
        ("Northwind Spółka z ograniczoną odpowiedzialnością", "Northwind Sp. z o.o."),
        ("ПАО Нортвинд", "PAO Nortvind"),
        ("Northwind Osakeyhtiö", "Northwind Oy"),
    ],
)
def test_full_local_forms_and_abbreviations_give_one_token(full: str, short: str) -> None:
    a, b = normalise_name(full), normalise_name(short)
    assert a.distinctive == b.distinctive
    assert a.legal_forms == b.legal_forms and a.legal_forms


@pytest.mark.parametrize(("enclosed", "written"), [("サン電子㈱", "サン電子株式会社"),
                                                   ("㈱サン電子", "株式会社サン電子"),
                                                   ("(주)삼성", "주식회사 삼성")])
def test_enclosed_forms_are_the_forms_they_stand_for(enclosed: str, written: str) -> None:
    a, b = normalise_name(enclosed), normalise_name(written)
    assert a.distinctive == b.distinctive and a.legal_forms == b.legal_forms


@pytest.mark.parametrize(
    ("name", "entity_id"),
    [
        ("Nordvik Aktiebolag", "nordvik"),
        ("Kleinfeld Gesellschaft mit beschränkter Haftung", "kleinfeld"),
        ("Hunor Zártkörűen Működő Részvénytársaság", "hunor"),
        ("Vardar Akcionersko drushtvo", "vardar"),
        ("Northwind Sistemas Sociedade Anónima", "northwind"),
        ("Rafael Advanced Defense Systems Ba'am", "rafael"),
    ],
)
def test_a_form_in_full_matches_the_abbreviated_name(name: str, entity_id: str) -> None:
    assert "ignored legal form" in matched(name, entity_id).explanation


@pytest.mark.parametrize("name", ["Acme Credit Union", "Acme Business Trust", "Acme Fund",
                                  "Acme Railroad", "Acme Community Interest Company"])
def test_everyday_words_of_the_list_stay_words_of_the_name(name: str) -> None:
    assert len(normalise_name(name).distinctive) >= 2


# --- 2. places written into the name ---------------------------------------------------------


def test_place_table_knows_countries_regions_and_cities() -> None:
    assert place_countries("portugal") == ("PT",)
    assert "PT" in place_countries("lisboa") and "PT" in place_countries("porto")
    assert place_countries("new york") == ("US",) and place_countries("munchen") == ("DE",)
    # one-word places that are also everyday words, or words of listed companies' names
    assert place_countries("phoenix") == place_countries("delta") == place_countries("tokyo") == ()


def test_a_place_is_not_set_aside_for_an_entity_without_a_country() -> None:
    assert screen(name="Quarto Sensing Portugal")[0] != "match"


@pytest.mark.parametrize("name", ["Northwind Sistemas Lisboa", "Northwind Sistemas Portugal",
                                  "Northwind Sistemas S.A., Porto, Portugal",
                                  "Lisboa Northwind Sistemas"])
def test_a_place_of_the_entity_country_is_set_aside(name: str) -> None:
    assert "place" in matched(name, "northwind").explanation


def test_a_place_in_another_country_keeps_it_from_a_match() -> None:
    status, top = screen(name="Northwind Sistemas Brasil")
    assert status == "possible_match" and top is not None
    assert "'brasil' (BR)" in top.explanation and "PT" in top.explanation
    status, top = screen(name="Nordvik AB Oslo")
    assert status == "possible_match" and "(NO)" in top.explanation


def test_a_place_before_the_name_must_agree_with_the_country() -> None:
    assert screen(name="Berlin Kleinfeld GmbH")[0] == "match"
    assert screen(name="Phoenix Sun Corp")[0] == "no_match"  # a US city before a Japanese name


def test_a_place_does_not_make_a_match_of_another_name() -> None:
    assert screen(name="Northwind Portugal")[0] != "match"  # the name lacks 'sistemas'
    assert screen(name="Lisboa")[0] == "no_match"


def test_a_name_that_holds_the_place_keeps_it() -> None:
    name = normalise_name("Bank of America")
    assert name.places == ()  # the place is inside the name, not written around it
    assert normalise_name("Portugal Telecom").placeless is not None


# --- 3. registry decorations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "decoration"),
    [
        ("CELLEBRITE DI LTD /DE/", "/de/"),
        ("Cellebrite DI Ltd /NEW/", "/new/"),
        ("Cellebrite DI Ltd./ADR", "/adr/"),
        ("Cellebrite DI Ltd ADR", "adr"),
        ("Cellebrite DI Ltd CEDEAR", "cedear"),
        ("Cellebrite DI Ltd BDR", "bdr"),
        ("Cellebrite DI Ltd DRC", "drc"),
        ("Cellebrite DI Ltd Reg", "reg"),
        ("Cellebrite DI Ltd ser. B", "ser b"),
        ("Cellebrite DI Ltd Class A", "class a"),
        ("Cellebrite DI-W", "-w"),
    ],
)
def test_decorations_are_set_aside_and_named(name: str, decoration: str) -> None:
    top = matched(name, "cellebrite")
    assert f"decoration '{decoration}'" in top.explanation


def test_a_slash_between_letters_is_a_legal_form_not_a_decoration() -> None:
    assert normalise_name("Novo Nordisk A/S").legal_forms == ("as",)
    assert normalise_name("Nordvik AB (publ)").legal_forms == ("ab",)


# --- 4. conflicting identifiers --------------------------------------------------------------


def test_an_unknown_identifier_with_a_common_name_is_not_a_match() -> None:
    status, top = screen(name="Tiger Global Management", isin="GB0002634946")
    assert status == "possible_match" and top is not None
    assert "belongs to no watchlist entity" in top.explanation
    assert "too short or common" in top.explanation


def test_an_unknown_identifier_with_a_short_name_is_not_a_match() -> None:
    status, top = screen(name="Sun Corporation", isin=APPLE_ISIN)
    assert status == "possible_match" and "its country US" in top.explanation


def test_an_identifier_the_entity_records_otherwise_lowers_the_score() -> None:
    status, top = screen(name="Cellebrite DI Ltd", isin=APPLE_ISIN)
    assert status == "match" and top.score < 1.0
    assert "not the one the watchlist records" in top.explanation
    status, top = screen(name="Cellebrite DI Ltd", cik="320193")
    assert top.score < 1.0 and "CIK 320193" in top.explanation


def test_an_identifier_that_agrees_adds_to_the_name() -> None:
    status, top = screen(name="Cellebrite DI Ltd", isin="IL0011794802")
    assert status == "match" and top.score == 1.0 and set(top.matched_on) == {"isin", "name"}


def test_an_identifier_of_the_entity_country_is_no_conflict_for_a_strong_name() -> None:
    status, top = screen(name="Quarto Sensing Inc", isin=APPLE_ISIN)
    assert status == "match" and "belongs to no watchlist entity" in top.explanation


# --- 5. common-word names --------------------------------------------------------------------


def test_common_words_come_from_the_data() -> None:
    assert common_word("tiger") is not None  # an everyday English word
    assert common_word("matrix") is not None
    assert common_word("cellebrite") is None and common_word("hikvision") is None


@pytest.mark.parametrize("name", ["Tiger Management", "Tiger", "Tiger Inc"])
def test_a_common_word_alone_needs_a_co_signal(name: str) -> None:
    status, top = screen(name=name)
    assert status == "possible_match", top


@pytest.mark.parametrize(
    ("name", "entity_id"),
    [
        ("Tiger Global Management", "tiger"),  # all its words
        ("Tiger Global", "tiger"),  # its first words: the name cut short
        ("Matrix LLC", "matrix"),  # the legal form it is recorded with
        ("Sun Corp", "sun"),
        ("Sun Electronics", "sun"),
        ("Sun Corp Japan", "sun"),  # a place in its country
    ],
)
def test_a_common_word_with_a_co_signal_matches(name: str, entity_id: str) -> None:
    matched(name, entity_id)


@pytest.mark.parametrize("name", ["Matrix Service Co", "Positivo Tecnologia S.A.",
                                  "Tigers Global Management", "Sun Pharmaceutical Industries"])
def test_sharing_or_nearly_sharing_a_common_word_is_no_resemblance(name: str) -> None:
    assert screen(name=name)[0] == "no_match"


def test_several_common_words_together_are_still_a_name() -> None:
    matched("Rafael Advanced Defense Systems", "rafael")
    assert screen(name="Rafael Advanced Defence Technologies")[0] != "match"


# --- 6. other scripts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "entity_id"),
    [
        ("サン電子㈱", "sun"),
        ("㈱サン電子", "sun"),
        ("大华股份", "dahua"),
        ("浙江大华技术股份有限公司", "dahua"),
        ("ПАО Позитив Текнолоджиз", "positive"),
        ('רפאל מערכות לחימה מתקדמות בע"מ', "rafael"),
    ],
)
def test_native_script_names_match(name: str, entity_id: str) -> None:
    assert matched(name, entity_id).score >= MATCH_THRESHOLD


@pytest.mark.parametrize("name", ["大华", "サン"])
def test_two_character_names_do_not_match_alone(name: str) -> None:
    assert screen(name=name)[0] == "possible_match"


def test_short_cjk_is_two_characters_or_fewer() -> None:
    assert short_cjk(normalise_name("大华"))
    assert not short_cjk(normalise_name("大华股份"))
    assert not short_cjk(normalise_name("SUN"))


def test_the_echo_names_what_was_set_aside() -> None:
    echo = parse_query({"name": "Kleinfeld GmbH /DE/ Berlin"}).to_dict()["name"]
    assert echo["legal_forms"] == ["gmbh"] and echo["decorations"] == ["/de/"]
    assert echo["places"] == [{"place": "berlin", "countries": ["DE"]}]
