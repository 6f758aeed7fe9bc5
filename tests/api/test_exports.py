"""Exports of published versions: JSON records, CSV rows, and FollowTheMoney lines that the
``followthemoney`` library loads without dropping a value (so yente and Aleph can load them)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from followthemoney import model

from esgscreen.cli import commands
from esgscreen.service.loading import load_directory
from esgscreen.store import repository
from esgscreen.store.db import Store
from esgscreen.watchlist.files import read_watchlist
from tests.conftest import WATCHLIST_DIR, make_app


def ftm_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def assert_valid_ftm(entities: list[dict]) -> None:
    """Each line is an FtM entity whose every value survives FtM's own cleaning, and every
    entity it points at is in the file."""
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids)), "ids are unique"
    for data in entities:
        proxy = model.get_proxy(data, cleaned=False)
        cleaned = model.get_proxy({k: v for k, v in data.items() if k != "datasets"})
        for prop, values in data["properties"].items():
            assert prop in proxy.schema.properties, (data["schema"], prop)
            assert len(cleaned.get(prop)) == len(values), (data["id"], prop, values)
        for prop in proxy.iterprops():
            if prop.type.name == "entity":
                for value in proxy.get(prop):
                    assert value in ids, (data["id"], prop.name, value)
                    target = next(e for e in entities if e["id"] == value)
                    assert model.get(target["schema"]).is_a(prop.range), (prop.name, target)


def test_ftm_export_loads_with_followthemoney(bundled_client: FlaskClient) -> None:
    response = bundled_client.get("/api/v1/exports/1.ftm")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    entities = ftm_lines(response.get_data(as_text=True))
    assert_valid_ftm(entities)
    schemas = {e["schema"] for e in entities}
    assert {"Company", "Organization", "Ownership", "Sanction"} <= schemas
    by_id = {e["id"]: e for e in entities}
    cellebrite = by_id["esgscreen-cellebrite"]["properties"]
    assert cellebrite["name"] == ["Cellebrite DI Ltd."] and cellebrite["country"] == ["il"]
    assert "esgscreen:rating:red" in cellebrite["keywords"]
    owners = [e["properties"] for e in entities if e["schema"] == "Ownership"
              and e["properties"]["asset"] == ["esgscreen-cellebrite"]]
    sun = next(o for o in owners if o["owner"] == ["esgscreen-sun-corporation"])
    assert sun["percentage"] == ["47"]
    sanctioned = {e["properties"]["entity"][0] for e in entities if e["schema"] == "Sanction"}
    assert "esgscreen-candiru" in sanctioned


def test_json_and_csv_exports(bundled_client: FlaskClient) -> None:
    document = bundled_client.get("/api/v1/exports/1.json").get_json()
    entities = read_watchlist(WATCHLIST_DIR).entities
    assert document["watchlist_version"] == 1
    assert {r["entity"]["id"] for r in document["entities"]} == set(entities)
    record = next(r for r in document["entities"] if r["entity"]["id"] == "cellebrite")
    assert record["rating"] == "red" and record["flags"] and record["versions"] == [1]

    response = bundled_client.get("/api/v1/exports/1.csv")
    assert response.mimetype == "text/csv"
    assert "esgscreen-v1.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == sum(max(1, len(e.identifiers)) for e in entities.values())
    clbt = [r for r in rows if r["entity_id"] == "cellebrite" and r["identifier_type"] == "ticker"]
    assert {(r["identifier_value"], r["exchange"]) for r in clbt} >= {("CLBT", "XNAS")}
    assert clbt[0]["rating"] == "red"


def test_unknown_versions_formats_and_caching(bundled_client: FlaskClient) -> None:
    missing = bundled_client.get("/api/v1/exports/99.ftm")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert bundled_client.get("/api/v1/exports/1.xml").status_code == 404
    tag = bundled_client.get("/api/v1/exports/1.csv").headers["ETag"]
    again = bundled_client.get("/api/v1/exports/1.csv", headers={"If-None-Match": tag})
    assert again.status_code == 304


def test_ids_are_stable_across_versions_and_the_cli_writes_every_format(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exports.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    watchlist = read_watchlist(WATCHLIST_DIR)
    kept = [e for eid, e in watchlist.entities.items() if eid != "ability-inc"]
    with store.write() as session:
        repository.publish(session, kept, list(watchlist.taxonomy.values()),
                           summary="test: one entity fewer", author="test")
    store.dispose()
    app: Flask = make_app(url, PUBLIC_READ=False)
    runner = app.test_cli_runner()
    first = runner.invoke(commands, ["watchlist", "export", "--format", "ftm",
                                     "--version", "1", "-"])
    assert first.exit_code == 0, first.output
    second = tmp_path / "v2.ftm"
    result = runner.invoke(commands, ["watchlist", "export", "--format", "ftm", str(second)])
    assert result.exit_code == 0, result.output
    old = {e["id"] for e in ftm_lines(first.stdout)}
    new = {e["id"] for e in ftm_lines(second.read_text(encoding="utf-8"))}
    assert new < old and {i for i in old - new if "ability-inc" in i} == {
        "esgscreen-ability-inc"}
    assert_valid_ftm(ftm_lines(second.read_text(encoding="utf-8")))
    for format_ in ("json", "csv"):
        target = tmp_path / f"out.{format_}"
        done = runner.invoke(commands, ["watchlist", "export", "--format", format_,
                                        str(target)])
        assert done.exit_code == 0 and target.stat().st_size > 1000, done.output
    assert runner.invoke(commands, ["watchlist", "export", "--format", "csv", "--version",
                                    "7", "-"]).exit_code == 1
    denied = app.test_client().get("/api/v1/exports/1.ftm")
    assert denied.status_code == 401
