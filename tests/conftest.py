"""Shared fixtures: stores on SQLite and PostgreSQL, apps, clients, the bundled watchlist.

PostgreSQL tests use ESGSCREEN_TEST_POSTGRES_URL (default: the local server's
``esgscreen_test`` database, created when missing). They run for real; set
ESGSCREEN_TEST_POSTGRES=skip only on a machine without PostgreSQL.
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
from esgscreen.loading import load_directory
from esgscreen.settings import BUNDLED_WATCHLIST_DIR
from esgscreen.store.db import Store

POSTGRES_URL = os.environ.get(
    "ESGSCREEN_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/esgscreen_test",
)
BACKENDS = ("sqlite", "postgresql")
WATCHLIST_DIR = BUNDLED_WATCHLIST_DIR


def _ensure_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if os.environ.get("ESGSCREEN_TEST_POSTGRES") == "skip":
        pytest.skip("ESGSCREEN_TEST_POSTGRES=skip: no PostgreSQL on this machine")
    _ensure_postgres_database(POSTGRES_URL)
    return POSTGRES_URL


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


def make_app(database_url: str, **config: object) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "PUBLIC_READ": True,
            "VERSION_CHECK_INTERVAL": 0.0,
            "SECRET_KEY": "test",
            **config,
        }
    )


@pytest.fixture
def app(store: Store) -> Iterator[Flask]:
    """An app on a fresh store (each backend in turn) holding the bundled watchlist."""
    load_directory(store, WATCHLIST_DIR, summary="test load")
    app = make_app(store.url)
    yield app
    app.extensions["esgscreen"].store.dispose()


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
    app = make_app(url)
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
        assert set(match["entity"]) >= {"id", "name", "aliases", "kind", "country", "identifiers"}
        assert 0 <= match["score"] <= 1
        assert match["explanation"]
        for flag in match["flags"]:
            assert set(flag) >= {"code", "severity", "status", "summary", "evidence"}
            assert flag["evidence"], "no flag without evidence"
    if body["status"] == "no_match":
        assert body["rating"] is None
