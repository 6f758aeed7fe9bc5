"""Reverting a version and importing files: both become proposals, never direct writes."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from esgscreen.cli import commands
from esgscreen.service import curation
from esgscreen.store import repository
from esgscreen.store.audit import Actor
from tests.api.test_curation import add_flag


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(commands, args=list(args))


def current(app: Flask):
    with app.extensions["esgscreen"].store.read() as session:
        return repository.load_watchlist(session)


def test_revert_proposes_undoing_a_version(app: Flask) -> None:
    store = app.extensions["esgscreen"].store
    before = current(app).entities["sun-corporation"]
    created = curation.submit(store, "x", [add_flag()], Actor("user", "carol", 1))
    curation.approve(store, created.id, Actor("user", "rita", 2))
    assert current(app).entities["sun-corporation"] != before

    result = run(app, "watchlist", "revert", "2")
    assert result.exit_code == 0, result.output
    assert "reverts version 2" in result.output
    assert current(app).version == 2  # only a proposal so far
    pending = curation.get(store, created.id + 1)[0]
    assert pending.status == "pending"
    curation.approve(store, pending.id, Actor("user", "rita", 2))
    assert current(app).entities["sun-corporation"] == before
    assert current(app).version == 3
    assert run(app, "watchlist", "revert", "99").exit_code == 1


def test_import_csv_and_ftm_become_one_pending_proposal(app: Flask, tmp_path: Path) -> None:
    version = current(app).version
    table = tmp_path / "new.csv"
    table.write_text(
        "name,country,isin,aliases,kind\n"
        "Example Surveillance Ltd,GB,US0378331005,Example Surv;ExSurv,vendor\n"
        "Sun Corporation,,,Sun Denshi,\n"
    )
    result = run(app, "proposals", "import", str(table))
    assert result.exit_code == 0, result.output
    assert "holds 2 change(s)" in result.output
    assert current(app).version == version
    store = app.extensions["esgscreen"].store
    proposal, diff = curation.get(store, 1)
    assert proposal.status == "pending"
    kinds = {d["entity_id"]: d["kind"] for d in diff}
    assert kinds == {"example-surveillance-ltd": "added", "sun-corporation": "changed"}
    sun = next(d for d in diff if d["entity_id"] == "sun-corporation")["diff"]
    assert "+  - name: Sun Denshi" in sun and not any(
        line.startswith("-") and not line.startswith("---") for line in sun.splitlines())

    ftm = tmp_path / "entities.jsonl"
    ftm.write_text("\n".join(json.dumps(r) for r in [
        {"id": "ftm-1", "schema": "Company",
         "properties": {"name": ["Other Spy GmbH", "OSG"], "country": ["de"],
                        "leiCode": ["5493001KJTIIGC8Y1R12"]}},
        {"id": "p-1", "schema": "Person", "properties": {"name": ["Someone"]}},
    ]))
    assert run(app, "proposals", "import", str(ftm)).exit_code == 0
    entity_ids = [d["entity_id"] for d in curation.get(store, 2)[1]]
    assert entity_ids == ["ftm-1"]


def test_import_refuses_bad_files_clearly(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,isin\nAcme,US0378331006\n")
    result = run(app, "proposals", "import", str(bad))
    assert result.exit_code == 1
    assert "line 2" in result.output and "isin" in result.output
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("Acme,US0378331005\n")
    assert "'name' column" in run(app, "proposals", "import", str(headerless)).output
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    assert "not JSON" in run(app, "proposals", "import", str(broken)).output
