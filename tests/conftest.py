"""Shared fixtures: stores on SQLite and PostgreSQL, apps, clients, the bundled watchlist.

A database with content (migrated; migrated and holding the bundled watchlist; ...) is built
once per test run, on first use, by a builder function, and each test that needs it gets a
fresh copy of its own: a copy of the file on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL. So every test still writes to a database nobody else sees, without paying for the
migration and the load.

PostgreSQL tests use the server in ESGSCREEN_TEST_POSTGRES_URL (default: the local one) with
databases of their own per test run (``<name>_<pid>_<builder>`` for the templates,
``<name>_<pid>_t<n>`` for the tests' copies, created and dropped here), so runs in parallel
never share one. They run for real;
set ESGSCREEN_TEST_POSTGRES=skip only on a machine without PostgreSQL.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
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

Builder = Callable[[Store], None]


def _admin_engine(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def run_postgres_url(suffix: str) -> str:
    """The URL of this run's PostgreSQL database ``<name>_<pid>_<suffix>``."""
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{os.getpid()}_{suffix}"
    return base.set(database=name).render_as_string(hide_password=False)


def create_postgres_database(url: str, template: str | None = None) -> None:
    """Create the database of ``url`` anew: empty, or a copy of the database ``template``."""
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"{copy}'))
    admin.dispose()


def drop_postgres_database(url: str) -> None:
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def skip_without_postgres() -> None:
    if os.environ.get("ESGSCREEN_TEST_POSTGRES") == "skip":
        pytest.skip("ESGSCREEN_TEST_POSTGRES=skip: no PostgreSQL on this machine")


class PostgresDatabases:
    """Each test's own PostgreSQL database, under a new name each time.

    Dropping a database makes PostgreSQL write a checkpoint, which takes seconds on a busy
    server, so a test never waits for one: the databases of finished tests are dropped by a
    thread of their own while the next tests run, and at the end of the run.
    """

    def __init__(self) -> None:
        self._made = itertools.count(1)
        self._finished: queue.Queue[str | None] = queue.Queue()
        self._errors: list[BaseException] = []
        self._dropper = threading.Thread(target=self._drop_finished, name="drop-databases",
                                         daemon=True)
        self._dropper.start()

    def fresh(self, template: str | None = None) -> str:
        url = run_postgres_url(f"t{next(self._made)}")
        create_postgres_database(url, template)
        return url

    def finished(self, url: str) -> None:
        self._finished.put(url)

    def _drop_finished(self) -> None:
        while (url := self._finished.get()) is not None:
            try:
                drop_postgres_database(url)
            except Exception as error:  # reported by close(), in the main thread
                self._errors.append(error)

    def close(self) -> None:
        self._finished.put(None)
        self._dropper.join()
        if self._errors:
            raise self._errors[0]


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    skip_without_postgres()
    databases = PostgresDatabases()
    yield databases
    databases.close()


# builders of template databases ----------------------------------------------------------


def migrated(store: Store) -> None:
    store.upgrade()


def bundled(store: Store) -> None:
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")


class Templates:
    """The template databases of this run, one per backend and builder, built on first use."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._urls: dict[tuple[str, Builder], str] = {}
        self._names: dict[str, Builder] = {}

    def _build(self, backend: str, build: Builder) -> str:
        name = build.__name__
        assert self._names.setdefault(name, build) is build, f"two builders named {name}"
        if backend == "sqlite":
            url = f"sqlite:///{self._directory / f'{name}.sqlite3'}"
        else:
            skip_without_postgres()
            url = run_postgres_url(name)
            create_postgres_database(url)
        store = Store(url)
        try:
            build(store)
        finally:
            store.dispose()
        if backend == "sqlite":
            # Out of write-ahead logging, so that the one file holds everything and copies whole.
            conn = sqlite3.connect(make_url(url).database)
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
        return url

    def template(self, backend: str, build: Builder) -> str:
        """The name (SQLite: the file) of the template database that ``build`` makes."""
        if (backend, build) not in self._urls:
            self._urls[(backend, build)] = self._build(backend, build)
        return make_url(self._urls[(backend, build)]).database

    def copy(self, backend: str, build: Builder, target: str) -> str:
        """Make the database of ``target`` a fresh copy of the template; returns ``target``."""
        if backend == "sqlite":
            shutil.copyfile(self.template(backend, build), make_url(target).database)
        else:
            create_postgres_database(target, template=self.template(backend, build))
        return target

    def drop(self) -> None:
        for (backend, _), url in self._urls.items():
            if backend == "postgresql":
                drop_postgres_database(url)


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop()


def fresh_database(request: pytest.FixtureRequest, backend: str,
                   build: Builder | None = None) -> str:
    """This test's own database on ``backend``: empty, or a copy of what ``build`` makes."""
    if backend == "sqlite":
        url = f"sqlite:///{request.getfixturevalue('tmp_path') / 'esgscreen.sqlite3'}"
        if build is not None:
            request.getfixturevalue("templates").copy(backend, build, url)
        return url
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    template = None
    if build is not None:
        template = request.getfixturevalue("templates").template(backend, build)
    url = databases.fresh(template)
    request.addfinalizer(lambda: databases.finished(url))
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend in turn."""
    return request.param


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str) -> str:
    """A fresh, empty database on each backend in turn."""
    return fresh_database(request, backend)


@pytest.fixture
def store(request: pytest.FixtureRequest, backend: str) -> Iterator[Store]:
    """A migrated, empty store on each backend in turn."""
    store = Store(fresh_database(request, backend, migrated))
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
def app(request: pytest.FixtureRequest, backend: str) -> Flask:
    """An app on a fresh database (each backend in turn) holding the bundled watchlist."""
    return make_app(fresh_database(request, backend, bundled))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def bundled_app(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One SQLite app with the bundled watchlist, shared by read-only tests."""
    url = templates.copy("sqlite", bundled,
                         f"sqlite:///{tmp_path_factory.mktemp('bundled') / 'esgscreen.sqlite3'}")
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
        assert set(match["entity"]) >= {"id", "name", "aliases", "kind", "country", "identifiers"}
        assert 0 <= match["score"] <= 1
        assert match["explanation"]
        for flag in match["flags"]:
            assert set(flag) >= {"code", "severity", "status", "summary", "evidence"}
            assert flag["evidence"], "no flag without evidence"
    if body["status"] == "no_match":
        assert body["rating"] is None
