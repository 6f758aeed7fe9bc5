"""Health, the watchlist's state and history, taxonomy, policies, entities."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask
from flask.testing import FlaskClient

from esgscreen.store import repository
from esgscreen.store.db import Store
from tests.conftest import make_app


def test_health_and_readiness(app: Flask, tmp_path) -> None:
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["watchlist_version"] == 1

    empty_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    Store(empty_url).upgrade()
    empty = make_app(empty_url).test_client()
    assert empty.get("/readyz").status_code == 503
    assert empty.get("/api/v1/screen?q=NSO").status_code == 503

    unreachable = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none").test_client()
    response = unreachable.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "database not reachable"


def test_watchlist_info_and_taxonomy(bundled_client: FlaskClient) -> None:
    info = bundled_client.get("/api/v1/watchlist").get_json()
    assert info["version"] == 1 and info["entities"] >= 40 and info["flags"] > 40
    assert info["updated_at"]
    taxonomy = bundled_client.get("/api/v1/taxonomy").get_json()
    codes = {c["code"]: c for c in taxonomy["flags"]}
    assert "targeted_spyware" in codes and codes["ownership_exposure"]["derived"]
    assert all(c["standards"] and c["definition"] for c in codes.values())
    assert [r["rating"] for r in taxonomy["rating_rules"]] == ["red", "orange", "yellow", "green"]
    assert bundled_client.get("/api/v1/methodology").status_code == 200
    policies = bundled_client.get("/api/v1/policies").get_json()
    assert {p["id"] for p in policies["policies"]} >= {"default", "no-spyware"}


def test_entity_search_filters_and_autocomplete(bundled_client: FlaskClient) -> None:
    response = bundled_client.get("/api/v1/entities?q=cell&page_size=5")
    assert response.status_code == 200
    names = [e["name"] for e in response.get_json()]
    assert names and names[0].lower().startswith("cell")
    assert "X-Pagination" in response.headers
    red = bundled_client.get("/api/v1/entities?rating=red&page_size=100").get_json()
    assert red and all(e["rating"] == "red" for e in red)
    spyware = bundled_client.get("/api/v1/entities?flag=targeted_spyware").get_json()
    assert any(e["id"] == "nso-group" for e in spyware)
    investors = bundled_client.get("/api/v1/entities?kind=investor&page_size=100").get_json()
    assert investors and all(e["kind"] == "investor" for e in investors)
    assert bundled_client.get("/api/v1/entities?rating=purple").status_code == 422


def test_entity_record(bundled_client: FlaskClient) -> None:
    record = bundled_client.get("/api/v1/entities/cellebrite").get_json()
    assert record["entity"]["name"]
    assert all("confidence" in i for i in record["entity"]["identifiers"])
    assert record["flags"] and all(f["evidence"] for f in record["flags"])
    assert record["versions"] == [1]
    incoming = {r["source"]["id"] for r in record["relations"]["incoming"]}
    outgoing = {r["target"]["id"] for r in record["relations"]["outgoing"]}
    assert "twc-tech-holdings-ii" in incoming | outgoing
    missing = bundled_client.get("/api/v1/entities/no-such-entity")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_versions_changes_and_as_of(app: Flask) -> None:
    store: Store = app.extensions["esgscreen"].store
    with store.read() as session:
        first = repository.load_watchlist(session)
    nso = first.entities["nso-group"]
    entities = dict(first.entities)
    entities["nso-group"] = replace(nso, name="NSO Group Renamed Ltd")
    del entities["cellebrite"]
    with store.write() as session:
        assert repository.publish(session, entities.values(), list(first.taxonomy.values()),
                                  summary="rename and retire", author="tests") == 2
    client = app.test_client()
    versions = client.get("/api/v1/watchlist/versions").get_json()
    assert [v["version"] for v in versions] == [2, 1]
    changes = client.get("/api/v1/changes?since=1").get_json()
    assert changes["entities"] == {"added": [], "changed": ["nso-group"],
                                   "removed": ["cellebrite"]}
    assert client.get("/api/v1/changes").status_code == 422

    now = client.get("/api/v1/screen?q=Cellebrite").get_json()
    assert now["watchlist_version"] == 2 and now["status"] != "match"
    then = client.get("/api/v1/screen?q=Cellebrite&as_of=1").get_json()
    assert then["watchlist_version"] == 1 and then["status"] == "match"
    record = client.get("/api/v1/entities/nso-group").get_json()
    assert record["entity"]["name"] == "NSO Group Renamed Ltd" and record["versions"] == [1, 2]
    old = client.get("/api/v1/entities/cellebrite?as_of=1")
    assert old.status_code == 200
    assert client.get("/api/v1/entities/cellebrite").status_code == 404


def test_unknown_paths_and_methods_are_problems(bundled_client: FlaskClient) -> None:
    missing = bundled_client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = bundled_client.delete("/api/v1/screen")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]


def test_openapi_document_is_served(bundled_client: FlaskClient) -> None:
    spec = bundled_client.get("/openapi.json").get_json()
    assert "/api/v1/screen" in spec["paths"]
    assert bundled_client.get("/docs").status_code == 200
