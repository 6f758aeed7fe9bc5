"""The watchlist's second edition, screened as a portfolio system would (issue 10, Done when)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


def screen(client: FlaskClient, **params: str) -> dict:
    response = client.get("/api/v1/screen", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def exposures_to(body: dict, target: str) -> list[dict]:
    return [x for x in body["matches"][0]["exposure"] if x["target"]["id"] == target]


def test_l3harris_on_the_nyse_is_a_match(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, ticker="LHX", exchange="XNYS")
    assert body["status"] == "match"
    assert body["matches"][0]["entity"]["id"] == "l3harris"


@pytest.mark.parametrize(
    ("params", "entity"),
    [
        ({"isin": "CNE1000004Y2"}, "zte"),  # H shares
        ({"isin": "CNE000000TK5"}, "zte"),  # A shares
        ({"ticker": "0763", "exchange": "XHKG"}, "zte"),
        ({"name": "Elbit Systems Ltd."}, "elbit-systems"),
        ({"name": "BAE Systems plc"}, "bae-systems"),
        ({"ticker": "BA.", "exchange": "XLON"}, "bae-systems"),
        ({"name": "Cyberbit Solutions Ltd"}, "cyberbit"),
        ({"isin": "FR001400X2S4"}, "atos"),
        ({"isin": "FR0000051732"}, "atos"),  # historical, but an ISIN is never reused
    ],
)
def test_new_listed_entities_are_matches(bundled_client: FlaskClient, params: dict,
                                         entity: str) -> None:
    body = screen(bundled_client, **params)
    assert body["status"] == "match"
    assert body["matches"][0]["entity"]["id"] == entity
    assert body["rating"] in {"red", "orange", "yellow"}


@pytest.mark.parametrize(
    "name",
    ["Elbit Imaging Ltd", "BAE Systems Australia", "Atos Medical AB", "Red Bull GmbH",
     "Appian Corporation", "Sio Gene Therapies Inc.", "European Investment Bank",
     "Senpai Sushi LLC", "DataFlow Group"],
)
def test_companies_sharing_a_word_are_not_matches(bundled_client: FlaskClient,
                                                  name: str) -> None:
    assert screen(bundled_client, name=name)["status"] != "match"


def test_positive_group_is_not_green(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, ticker="POSI", exchange="MISX")
    assert body["matches"][0]["entity"]["id"] == "positive-group"
    assert body["rating"] not in {"green", None}
    (exposure,) = exposures_to(body, "positive-technologies")
    assert exposure["status"] == "ongoing"
    assert "sanctions" in exposure["target"]["codes"]


def test_novalpina_is_not_red_and_its_nso_exposure_is_concluded(
    bundled_client: FlaskClient,
) -> None:
    body = screen(bundled_client, name="Novalpina Capital")
    assert body["matches"][0]["entity"]["id"] == "novalpina-capital"
    assert body["rating"] != "red"
    (exposure,) = exposures_to(body, "nso-group")
    assert exposure["status"] == "concluded"
    assert exposure["path"][0]["until"] == "2021-07"


def test_francisco_partners_sandvine_exposure_is_concluded(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, name="Francisco Partners")
    assert body["matches"][0]["entity"]["id"] == "francisco-partners"
    sandvine = exposures_to(body, "sandvine")
    assert sandvine and all(x["status"] == "concluded" for x in sandvine)


def test_sandvine_answers_to_its_new_name(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, name="AppLogic Networks")
    assert body["status"] == "match"
    assert body["matches"][0]["entity"]["id"] == "sandvine"
    flags = {f["code"]: f for f in body["matches"][0]["flags"]}
    assert flags["export_control_listing"]["status"] == "concluded"


def test_verint_listing_is_historical(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, ticker="VRNT", exchange="XNAS")
    assert body["status"] == "possible_match"
    assert "historical" in body["matches"][0]["explanation"]


def test_hikvision_carries_the_investment_ban(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, isin="CNE100000PM8")
    flags = [f for f in body["matches"][0]["flags"] if f["code"] == "sanctions"]
    assert flags and flags[0]["status"] == "ongoing" and flags[0]["severity"] == "high"


def test_atos_has_no_exposure_to_nexa_through_a_bull_it_bought_later(
    bundled_client: FlaskClient,
) -> None:
    # Bull's hold on Nexa (Amesys) ended in 2012; Atos bought Bull in 2014.
    body = screen(bundled_client, isin="FR001400X2S4")
    assert body["matches"][0]["entity"]["id"] == "atos"
    assert exposures_to(body, "nexa-technologies") == []
    assert [x["status"] for x in exposures_to(body, "bull-sas")] == ["ongoing"]
    assert body["rating"] == "yellow"


def test_protected_ae_named_by_meta_is_not_green(bundled_client: FlaskClient) -> None:
    body = screen(bundled_client, name="Protected AE")
    assert body["matches"][0]["entity"]["id"] == "protect-ae"
    assert body["rating"] == "orange"
    codes = {f["code"] for f in body["matches"][0]["flags"]}
    assert "surveillance_for_hire" in codes
