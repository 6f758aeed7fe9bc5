"""Shared fixtures: stores on SQLite and PostgreSQL, apps, clients, the bundled watchlist.

PostgreSQL tests use the server in ESGSCREEN_TEST_POSTGRES_URL (default: the local one) with
a database of their own per test run (``<name>_<pid>``, created and dropped here), so runs
in parallel never share one. They run for real; set ESGSCREEN_TEST_POSTGRES=skip only on a
machine without PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from esgscreen.app import create_app
from esgscreen.service.loading import load_directory
from esgscreen.settings import BUNDLED_WATCHLIST_DIR
from esgscreen.store.db import Store

POSTGRES_URL = os.environ.get(
    "ESGSCREEN_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/esgscreen_test",
)
BACKENDS = ("sqlite", "postgresql")
WATCHLIST_DIR = BUNDLED_WATCHLIST_DIR


def _admin_engine(url: str):  # noqa: ANN202
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _create_postgres_database(url: str) -> str:
    """A fresh database for this test run; returns its URL."""
    target = make_url(url)
    target = target.set(database=f"{target.database}_{os.getpid()}")
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return target.render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if os.environ.get("ESGSCREEN_TEST_POSTGRES") == "skip":
        pytest.skip("ESGSCREEN_TEST_POSTGRES=skip: no PostgreSQL on this machine")
    url = _create_postgres_database(POSTGRES_URL)
    yield url
    _drop_postgres_database(url)


def fresh_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'esgscreen.sqlite3'}"
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend in turn."""
    return fresh_database_url(request.param, tmp_path, request)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated, empty store on each backend in turn."""
    store = Store(database_url)
    store.upgrade()
    yield store
    store.dispose()


_CREATED_APPS: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_apps() -> Iterator[None]:
    """Close the connection pools of every app a test made."""
    yield
    while _CREATED_APPS:
        _CREATED_APPS.pop().extensions["esgscreen"].store.dispose()


def make_app(database_url: str, **config: object) -> Flask:
    app = _create(database_url, **config)
    _CREATED_APPS.append(app)
    return app


def _create(database_url: str, **config: object) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "PUBLIC_READ": True,
            "VERSION_CHECK_INTERVAL": 0.0,
            "SECRET_KEY": "test",
            "SETTLE_SNAPSHOTS": False,  # many apps in one process: see snapshots._settle
            **config,
        }
    )


@pytest.fixture
def app(store: Store) -> Iterator[Flask]:
    """An app on a fresh store (each backend in turn) holding the bundled watchlist."""
    load_directory(store, WATCHLIST_DIR, summary="test load")
    yield make_app(store.url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def bundled_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One SQLite app with the bundled watchlist, shared by read-only tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bundled') / 'esgscreen.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    store.dispose()
    app = _create(url)
    yield app
    app.extensions["esgscreen"].store.dispose()


@pytest.fixture
def bundled_client(bundled_app: Flask) -> FlaskClient:
    return bundled_app.test_client()


def assert_screen_shape(body: dict) -> None:
    """The stable /screen contract of SPEC.md."""
    assert set(body) >= {"status", "action", "rating", "watchlist_version", "matches", "query"}
    assert body["status"] in {"match", "possible_match", "no_match"}
    assert body["action"] in {"exclude", "restrict", "review", "clear"}
    assert body["rating"] in {"red", "orange", "yellow", "green", None}
    assert isinstance(body["watchlist_version"], int)
    assert isinstance(body["query"], dict)
    for match in body["matches"]:
        assert set(match) >= {
            "entity", "score", "matched_on", "explanation", "rating", "flags", "exposure"
        }
        assert set(match["entity"]) >= {"id", "name", "aliases", "kind", "country", "identifiers",
                                        "last_reviewed"}
        assert 0 <= match["score"] <= 1
        assert match["explanation"]
        for flag in match["flags"]:
            assert set(flag) >= {"code", "severity", "status", "summary", "evidence",
                                  "weakly_sourced", "latest_evidence", "review_due"}
            assert flag["evidence"], "no flag without evidence"
            assert all(e["authority"] in {"primary", "established", "low"}
                       for e in flag["evidence"])
    if body["status"] == "no_match":
        assert body["rating"] is None
