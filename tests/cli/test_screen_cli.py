"""`esgscreen screen holdings.csv`: locally or against a server, CSV or .xlsx in, CSV or JSON
out, a progress bar and a summary, and exit 1 when a holding is excluded."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from werkzeug.serving import make_server

from esgscreen.cli import commands
from esgscreen.service.loading import load_directory
from esgscreen.store import audit, keys
from esgscreen.store.db import Store
from tests.conftest import WATCHLIST_DIR, make_app

HOLDINGS = ("Name,ISIN,Weight\nCellebrite DI Ltd.,,2.5\nMicrosoft Corporation,,3\n"
            ",IL0011794802,1\nSun Corporation,,1\nBad one,IL0011794801,1\n")
CLEAN = "name;weight\nMicrosoft Corporation;3\nSandvik AB;2\n"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path_factory.mktemp('screen-cli') / 'esgscreen.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    store.dispose()
    app = make_app(url, PUBLIC_READ=False)
    yield app
    app.extensions["esgscreen"].store.dispose()


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(commands, args=["screen", *args])


def test_a_file_with_an_excluded_holding_exits_1(app: Flask, tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(HOLDINGS, encoding="utf-8")
    output = tmp_path / "results.csv"
    result = run(app, str(holdings), "--output", str(output))
    assert result.exit_code == 1, result.output
    assert "Screening" in result.stderr and "5/5" in result.stderr  # the progress bar
    assert "Screened 5 holdings against watchlist version 1" in result.stdout
    assert ("2 exclude, 1 restrict, 0 review, 0 clear, 2 not on the watchlist (no action)"
            in result.stdout)
    assert "line 4: ISIN IL0011794802 -> Cellebrite DI Ltd. (red)" in result.stdout
    rows = list(csv.DictReader(output.read_text(encoding="utf-8").splitlines()))
    # The bad ISIN is left out and the holding screened by its name.
    assert [r["action"] for r in rows] == ["exclude", "none (not on the watchlist)", "exclude",
                                           "restrict", "none (not on the watchlist)"]


def test_a_clean_workbook_exits_0_and_writes_json(app: Flask, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (("Company", "Weight %"), ("Microsoft Corporation", 3.5), ("Sandvik AB", 2)):
        sheet.append(row)
    workbook = tmp_path / "holdings.xlsx"
    book.save(workbook)
    output = tmp_path / "results.json"
    result = run(app, str(workbook), "-o", str(output), "--policy", "no-spyware")
    assert result.exit_code == 0, result.output
    written = json.loads(output.read_text(encoding="utf-8"))
    assert written["policy"] == "no-spyware" and len(written["results"]) == 2
    assert written["summary"]["weight"]["total"] == pytest.approx(5.5)
    assert "0 exclude" in result.stdout


def test_bad_input_exits_2(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "holdings.csv"
    bad.write_text("colour,size\nred,2\n", encoding="utf-8")
    result = run(app, str(bad))
    assert result.exit_code == 2 and "No column to screen by" in result.output
    good = tmp_path / "good.csv"
    good.write_text(CLEAN, encoding="utf-8")
    assert run(app, str(good), "--policy", "nope").exit_code == 2
    assert run(app, str(good), "-o", str(tmp_path / "out.txt")).exit_code == 2


def test_screening_against_a_server(app: Flask, tmp_path: Path) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with app.extensions["esgscreen"].store.write() as session:
            secret = keys.create_key(session, "cli test", "screener", audit.CLI)[1]
        holdings = tmp_path / "holdings.csv"
        holdings.write_text(HOLDINGS, encoding="utf-8")
        output = tmp_path / "remote.csv"
        url = f"http://127.0.0.1:{server.server_port}"
        result = run(app, str(holdings), "--url", url, "--key", secret, "-o", str(output))
        assert result.exit_code == 1, result.output
        assert ("2 exclude, 1 restrict, 0 review, 0 clear, 2 not on the watchlist (no action)"
            in result.stdout)
        rows = list(csv.DictReader(output.read_text(encoding="utf-8").splitlines()))
        assert [r["entity_id"] for r in rows][:4] == ["cellebrite", "", "cellebrite",
                                                      "sun-corporation"]
        denied = run(app, str(holdings), "--url", url, "--key", "wrong")
        assert denied.exit_code == 2 and "401" in denied.output
    finally:
        server.shutdown()
        server.server_close()
