"""The esgscreen command: validate, load, export, keys, schemas, serve."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask import Flask

from esgscreen.cli import commands
from esgscreen.store import repository
from tests.conftest import WATCHLIST_DIR, make_app

REPO = Path(__file__).parents[2]


VALID_FIXTURE = Path(__file__).parents[1] / "watchlist" / "fixtures" / "valid"


@pytest.fixture
def empty_app(database_url: str) -> Flask:
    return make_app(database_url)


def run(app: Flask, *args: str):  # noqa: ANN201
    return app.test_cli_runner().invoke(commands, args=list(args))


def copy_watchlist(tmp_path: Path) -> Path:
    target = tmp_path / "watchlist"
    shutil.copytree(WATCHLIST_DIR, target)
    return target


def test_validate_passes_on_the_bundled_watchlist(empty_app: Flask) -> None:
    result = run(empty_app, "watchlist", "validate")
    assert result.exit_code == 0, result.output
    assert "entity files are valid" in result.output
    assert re.search(r"\n\d+ ongoing flag\(s\) are review due \(newest evidence older than 3 "
                     r"years", result.output), result.output
    assert "weakly sourced" in result.output


@pytest.mark.parametrize(("years", "due"), [(1, 1), (100, 0)])
def test_validate_counts_review_due_flags_by_the_configured_age(
    database_url: str, years: int, due: int
) -> None:
    # The fixture's one ongoing flag has its newest evidence from 2024-12-16.
    app = make_app(database_url, REVIEW_DUE_YEARS=years)
    result = run(app, "watchlist", "validate", str(VALID_FIXTURE))
    assert result.exit_code == 0, result.output
    assert f"{due} ongoing flag(s) are review due (newest evidence older than {years} " in (
        result.output)


def test_validate_fails_clearly_on_broken_files(empty_app: Flask, tmp_path: Path) -> None:
    broken = copy_watchlist(tmp_path)
    nso = broken / "entities" / "nso-group.yaml"
    nso.write_text(nso.read_text().replace("severity: critical", "severity: catastrophic", 1))
    result = run(empty_app, "watchlist", "validate", str(broken))
    assert result.exit_code == 1
    assert "nso-group.yaml" in result.output and "severity" in result.output


def test_load_is_all_or_nothing_and_only_when_changed(empty_app: Flask, tmp_path: Path) -> None:
    first = run(empty_app, "watchlist", "load")
    assert first.exit_code == 0, first.output
    assert "Published version 1" in first.output
    again = run(empty_app, "watchlist", "load")
    assert "No changes; version 1 stays current" in again.output

    broken = copy_watchlist(tmp_path)
    (broken / "entities" / "cellebrite.yaml").write_text(
        (broken / "entities" / "cellebrite.yaml").read_text() + "\nflags: [oops\n")
    (broken / "entities" / "nso-group.yaml").write_text(
        (broken / "entities" / "nso-group.yaml").read_text().replace(
            "NSO Group Technologies", "Changed Name", 1))
    failed = run(empty_app, "watchlist", "load", str(broken))
    assert failed.exit_code == 1
    assert "cellebrite.yaml" in failed.output
    assert "Nothing was loaded" in failed.output
    store = empty_app.extensions["esgscreen"].store
    with store.read() as session:
        assert repository.current_version(session) == 1
        assert "Changed Name" not in repository.load_watchlist(session).entities["nso-group"].name


def test_export_round_trips_byte_for_byte(empty_app: Flask, tmp_path: Path) -> None:
    assert run(empty_app, "watchlist", "load").exit_code == 0
    out = tmp_path / "export"
    result = run(empty_app, "watchlist", "export", str(out))
    assert result.exit_code == 0, result.output
    for source in sorted((WATCHLIST_DIR / "entities").glob("*.yaml")) + [
        WATCHLIST_DIR / "taxonomy.yaml"
    ]:
        exported = out / source.relative_to(WATCHLIST_DIR)
        assert exported.read_bytes() == source.read_bytes(), source.name
    assert run(empty_app, "watchlist", "export", str(out), "--version", "9").exit_code == 1


def test_keys_commands(empty_app: Flask) -> None:
    created = run(empty_app, "keys", "create", "--role", "screener", "--name", "batch")
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("esk_") and len(secret) > 40
    listed = run(empty_app, "keys", "list")
    assert "batch" in listed.output and secret not in listed.output
    assert "revoked" in run(empty_app, "keys", "revoke", "1").output
    assert "revoked" in run(empty_app, "keys", "list").output
    assert run(empty_app, "keys", "revoke", "99").exit_code == 1
    assert run(empty_app, "keys", "create", "--role", "god", "--name", "x").exit_code != 0


def test_published_schemas_are_in_sync(empty_app: Flask, tmp_path: Path) -> None:
    result = run(empty_app, "schemas", "write", str(tmp_path))
    assert result.exit_code == 0, result.output
    for generated in sorted(tmp_path.iterdir()):
        committed = REPO / "schemas" / generated.name
        assert committed.exists(), f"schemas/{generated.name} is missing: run `make schemas`"
        assert committed.read_text() == generated.read_text(), (
            f"schemas/{generated.name} is out of date: run `make schemas`"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_migrates_loads_and_answers(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ESGSCREEN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
           "ESGSCREEN_PUBLIC_READ": "true"}
    command = [sys.executable, "-m", "esgscreen", "serve", "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        body = requests.get(f"http://127.0.0.1:{port}/api/v1/screen",
                            params={"q": "Cellebrite"}, timeout=30).json()
        assert body["status"] == "match" and body["rating"] in {"red", "orange"}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert "Loaded the bundled watchlist" in output
