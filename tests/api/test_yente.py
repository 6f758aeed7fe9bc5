"""The yente-compatible endpoints, driven with request bodies in yente's documented shapes
(``tests/api/yente/*.json``: the query-by-example from yente's /match documentation, and
identifier queries) and checked against yente's response models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

RECORDED = Path(__file__).parent / "yente"
ENTITY_KEYS = {"id", "caption", "schema", "properties", "datasets", "referents", "target",
               "first_seen", "last_seen", "last_change"}
SCORED_KEYS = ENTITY_KEYS | {"score", "match", "features", "explanations"}


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def assert_matches_shape(body: dict, keys: set[str]) -> None:
    assert set(body) == {"responses", "limit"}
    assert set(body["responses"]) == keys
    for answer in body["responses"].values():
        assert set(answer) == {"status", "results", "total", "query"}
        assert answer["status"] == 200
        assert answer["total"]["relation"] == "eq" and answer["total"]["value"] >= len(
            answer["results"])
        assert set(answer["query"]) == {"id", "schema", "properties"}
        for result in answer["results"]:
            assert set(result) == SCORED_KEYS
            assert result["datasets"] == ["esgscreen"]
            assert 0 <= result["score"] <= 1 and isinstance(result["match"], bool)
            assert all(isinstance(v, list) for v in result["properties"].values())


@pytest.mark.parametrize("dataset", ["esgscreen", "default"])
def test_recorded_match_request_finds_cellebrite(bundled_client: FlaskClient,
                                                 dataset: str) -> None:
    response = bundled_client.post(f"/yente/match/{dataset}", json=recorded(
        "match-docs-example.json"))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert_matches_shape(body, {"entity1", "entity2", "cellebrite"})
    assert body["responses"]["entity1"]["results"] == []  # no people on this watchlist
    assert body["responses"]["entity2"]["results"] == []
    top = body["responses"]["cellebrite"]["results"][0]
    assert top["id"] == "esgscreen-cellebrite" and top["match"] is True
    assert top["caption"] == "Cellebrite DI Ltd." and top["schema"] == "Company"
    assert "esgscreen:rating:red" in top["properties"]["keywords"]
    assert any(note.startswith("esgscreen rating: red") for note in top["properties"]["notes"])
    assert top["features"] == {"name_match": 1.0}
    assert body["responses"]["cellebrite"]["query"]["properties"]["jurisdiction"] == ["il"]


def test_identifier_queries(bundled_client: FlaskClient) -> None:
    body = bundled_client.post("/yente/match/default?limit=3",
                               json=recorded("match-identifiers.json")).get_json()
    assert_matches_shape(body, {"by-isin", "by-registry", "by-website", "bad-lei-and-name"})
    assert body["limit"] == 3
    for key in body["responses"]:
        assert body["responses"][key]["results"][0]["id"] == "esgscreen-cellebrite", key
    assert body["responses"]["by-registry"]["results"][0]["features"] == {
        "registrationNumber_match": 1.0}
    # An invalid LEI is dropped from the query, as FtM's cleaning drops it.
    assert body["responses"]["bad-lei-and-name"]["query"]["properties"] == {
        "name": ["Cellebrite"]}
    strict = bundled_client.post("/yente/match/default?threshold=0.95",
                                 json=recorded("match-identifiers.json")).get_json()
    assert strict["responses"]["by-isin"]["results"][0]["match"] is False  # low-confidence ISIN


def test_bad_requests_answer_as_yente_does(bundled_client: FlaskClient) -> None:
    unknown = bundled_client.post("/yente/match/zz_other", json=recorded(
        "match-docs-example.json"))
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    no_schema = bundled_client.post("/yente/match/default", json={
        "queries": {"fail": {"properties": {"name": "Banana"}}}})
    assert no_schema.status_code == 422
    bad_schema = bundled_client.post("/yente/match/default", json={
        "queries": {"fail": {"schema": "xxx", "properties": {"name": "Banana"}}}})
    assert bad_schema.status_code == 400 and "detail" in bad_schema.get_json()
    assert bundled_client.post("/yente/match/default", json={"queries": {}}).status_code == 400
    assert bundled_client.post("/yente/match/default", json={"nothing": 1}).status_code == 422


def test_search_entity_and_catalog(bundled_client: FlaskClient) -> None:
    found = bundled_client.get("/yente/search/default?q=Cellebrite&limit=5").get_json()
    assert set(found) == {"limit", "offset", "total", "results", "facets"}
    assert found["results"][0]["id"] == "esgscreen-cellebrite"
    assert set(found["results"][0]) == ENTITY_KEYS
    assert {"countries", "topics", "datasets"} <= set(found["facets"])

    entity = bundled_client.get("/yente/entities/esgscreen-cellebrite").get_json()
    assert set(entity) == ENTITY_KEYS
    owners = [o["properties"]["owner"][0]["id"] for o in entity["properties"]["ownershipAsset"]]
    assert "esgscreen-sun-corporation" in owners
    flat = bundled_client.get("/yente/entities/cellebrite?nested=false").get_json()
    assert "ownershipAsset" not in flat["properties"]
    assert bundled_client.get("/yente/entities/nobody").status_code == 404
    sanctioned = bundled_client.get("/yente/entities/esgscreen-candiru").get_json()
    assert sanctioned["properties"]["sanctions"][0]["schema"] == "Sanction"

    catalog = bundled_client.get("/yente/catalog").get_json()
    assert [d["name"] for d in catalog["datasets"]] == ["esgscreen", "default"]
    assert catalog["current"] == ["default", "esgscreen"] and catalog["index_stale"] is False


def test_each_match_query_is_recorded_in_the_screening_log(app) -> None:
    from esgscreen.store import audit, keys

    def key(role: str, name: str) -> dict[str, str]:
        with app.extensions["esgscreen"].store.write() as session:
            return {"Authorization": f"Bearer {keys.create_key(session, name, role, audit.CLI)[1]}"}

    client = app.test_client()
    admin, tool = key("admin", "ada"), key("screener", "yente-tool")
    body = {"queries": {
        "nso": {"schema": "Company", "properties": {"name": ["NSO Group"]}},
        "nobody": {"schema": "Company", "properties": {"name": ["Zqxv Widget Works 1 plc"]}},
        "someone": {"schema": "Person", "properties": {"name": ["Jane Doe"]}}}}
    assert client.post("/yente/match/default", headers=tool, json=body).status_code == 200
    refused = client.post("/yente/match/default", headers=tool,
                          json={"queries": {"x": {"schema": "Spaceship", "properties": {}}}})
    assert refused.status_code == 400  # an unanswered request records nothing
    app.extensions["esgscreen"].screenlog.flush()
    rows = client.get("/api/v1/screenings", headers=admin).get_json()
    assert [r["endpoint"] for r in rows] == ["match"] * 3
    by_key = {r["query"]["key"]: r for r in rows}
    assert set(by_key) == {"nso", "nobody", "someone"}
    nso = by_key["nso"]
    assert nso["status"] == "match" and nso["entity_id"] == "nso-group"
    assert nso["rating"] == "red" and nso["action"] == "exclude" and nso["policy"] == "default"
    assert nso["query"]["schema"] == "Company"
    assert nso["query"]["properties"] == {"name": ["NSO Group"]}
    assert nso["caller"].endswith(" yente-tool") and nso["caller_identity"].startswith("key:")
    assert nso["watchlist_version"] == 1 and nso["remote_addr"] == "127.0.0.1"
    for other in ("nobody", "someone"):
        assert by_key[other]["status"] == "no_match" and by_key[other]["entity_id"] is None
    matched = client.get("/api/v1/screenings?entity_id=nso-group", headers=admin).get_json()
    assert [r["id"] for r in matched] == [nso["id"]]
