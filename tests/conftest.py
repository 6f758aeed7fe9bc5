"""Shared fixtures: stores on SQLite and PostgreSQL, apps, clients, the bundled watchlist.

A database with content (migrated; migrated and holding the bundled watchlist; ...: a
``Template``) is built once per test run, on first use, and each test that needs it gets a
fresh copy of its own: a copy of the file on SQLite; on PostgreSQL, the template's rows copied
into the run's database (see ``PostgresTemplates`` for why not a database per test). So every
test still writes to a database nobody else sees, without paying for the migration and the load.

PostgreSQL tests use the server in ESGSCREEN_TEST_POSTGRES_URL (default: the local one) with a
database of their own per test run (``<name>_<pid>``, and ``<name>_<pid>_web`` for the live
servers, created and dropped here), so runs in parallel never share one. They run for real;
set ESGSCREEN_TEST_POSTGRES=skip only on a machine without PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from esgscreen.app import create_app
from esgscreen.service.loading import load_directory
from esgscreen.settings import BUNDLED_WATCHLIST_DIR
from esgscreen.store import users
from esgscreen.store.db import Store

POSTGRES_URL = os.environ.get(
    "ESGSCREEN_TEST_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/esgscreen_test",
)
BACKENDS = ("sqlite", "postgresql")
RESET_CONNECTIONS = "esgscreen-tests-reset"
WATCHLIST_DIR = BUNDLED_WATCHLIST_DIR

# Real hashing, at a cost a test run can afford: signing in is most of some tests' work.
users.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def _admin_engine(url: str) -> Engine:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def run_postgres_url(suffix: str = "") -> str:
    """The URL of this run's PostgreSQL database ``<name>_<pid>`` (or ``<name>_<pid>_<suffix>``)."""
    base = make_url(POSTGRES_URL)
    name = "_".join(filter(None, (base.database, str(os.getpid()), suffix)))
    return base.set(database=name).render_as_string(hide_password=False)


def create_postgres_database(url: str) -> None:
    """Create the database of ``url`` anew, empty."""
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    admin.dispose()


def drop_postgres_database(url: str) -> None:
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def skip_without_postgres() -> None:
    if os.environ.get("ESGSCREEN_TEST_POSTGRES") == "skip":
        pytest.skip("ESGSCREEN_TEST_POSTGRES=skip: no PostgreSQL on this machine")


# template databases --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Template:
    """What a template database holds: ``fill`` run on a copy of ``base`` (or on an empty
    database)."""

    name: str
    fill: Callable[[Store], None]
    base: Template | None = None


def build(store: Store, template: Template) -> None:
    """Fill ``store`` (empty) with what ``template`` holds, from scratch."""
    if template.base is not None:
        build(store, template.base)
    template.fill(store)


def _load_bundled(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")


MIGRATED = Template("migrated", Store.upgrade)
BUNDLED = Template("bundled", _load_bundled, base=MIGRATED)


class SqliteTemplates:
    """Template database files, built on first use; a test's copy is a copy of the file."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._built: dict[Template, Path] = {}

    def copy(self, template: Template, target: str) -> str:
        """Make the database file of ``target`` a copy of ``template``; returns ``target``."""
        if template not in self._built:
            path = self._directory / f"{template.name}.sqlite3"
            url = f"sqlite:///{path}"
            if template.base is not None:
                self.copy(template.base, url)
            store = Store(url)
            try:
                template.fill(store)
            finally:
                store.dispose()
            # Out of write-ahead logging, so that the one file holds everything and copies whole.
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            self._built[template] = path
        shutil.copyfile(self._built[template], str(make_url(target).database))
        return target


class PostgresTemplates:
    """This run's PostgreSQL database, which each test gets anew holding a template's rows.

    Not a database per test: dropping one makes PostgreSQL write a checkpoint, seconds each
    on a busy server. So the rows of a template are kept in a schema of their own
    (``template_<name>``) next to ``public``, and a test's copy empties ``public``'s tables
    and fills them from there, sequences included, in one transaction. ``public`` is migrated
    anew whenever a test left it at another revision, or empty.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        # Its own connections carry a name, so that a reset ends only those the tests left.
        own = make_url(url).update_query_dict({"application_name": RESET_CONNECTIONS})
        self._engine = create_engine(own)
        self._store = Store(own.render_as_string(hide_password=False))
        self._sequences: dict[Template, dict[str, tuple[int, bool]]] = {}

    def empty(self) -> str:
        """Make ``public`` empty, without even the schema's tables; returns the URL."""
        self._disconnect_others()
        with self._engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return self.url

    def copy(self, template: Template) -> str:
        """Make ``public`` hold what ``template`` holds (built on first use); returns the URL."""
        if template not in self._sequences:
            self._build(template)
        self._disconnect_others()
        if not self._store.schema_is_current():
            self.empty()
            self._store.upgrade()
        saved = f'"template_{template.name}"'
        with self._engine.begin() as conn:
            tables = self._tables(conn)
            for table in reversed(tables):  # on tables this small, faster than TRUNCATE
                conn.execute(text(f'DELETE FROM public."{table}"'))
            for table in tables:
                conn.execute(text(f'INSERT INTO public."{table}" SELECT * FROM {saved}."{table}"'))
            for sequence, (value, called) in self._sequences[template].items():
                conn.execute(text("SELECT setval(:sequence, :value, :called)"),
                             {"sequence": f'public."{sequence}"', "value": value,
                              "called": called})
        return self.url

    def _build(self, template: Template) -> None:
        if template.base is None:
            self.empty()
        else:
            self.copy(template.base)
        template.fill(self._store)
        saved = f'"template_{template.name}"'
        with self._engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {saved} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {saved}"))
            for table in self._tables(conn):
                conn.execute(text(f'CREATE TABLE {saved}."{table}" AS TABLE public."{table}"'))
            sequences = conn.scalars(text(
                "SELECT sequence_name FROM information_schema.sequences "
                "WHERE sequence_schema = 'public'")).all()
            self._sequences[template] = {}
            for sequence in sequences:
                value, called = conn.execute(
                    text(f'SELECT last_value, is_called FROM public."{sequence}"')).one()
                self._sequences[template][sequence] = (value, called)

    @staticmethod
    def _tables(conn: Connection) -> list[str]:
        """``public``'s tables but the migrations' own, each after those it refers to."""
        ordered = inspect(conn).get_sorted_table_and_fkc_names(schema="public")
        return [name for name, _ in ordered if name and name != "alembic_version"]

    def _disconnect_others(self) -> None:
        """End what a test left connected, as ``DROP DATABASE ... WITH (FORCE)`` would."""
        with self._engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND application_name <> :own"),
                         {"own": RESET_CONNECTIONS})

    def dispose(self) -> None:
        self._store.dispose()
        self._engine.dispose()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[PostgresTemplates]:
    skip_without_postgres()
    url = run_postgres_url()
    create_postgres_database(url)
    admin = _admin_engine(url)
    with admin.connect() as conn:
        # Commits need not wait for the disk: nothing here has to outlive a crash.
        conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" '
                          "SET synchronous_commit = off"))
    admin.dispose()
    templates = PostgresTemplates(url)
    yield templates
    templates.dispose()
    drop_postgres_database(url)


def fresh_database(request: pytest.FixtureRequest, backend: str,
                   template: Template | None = None) -> str:
    """This test's own database on ``backend``: empty, or a copy of ``template``."""
    if backend == "sqlite":
        url = f"sqlite:///{request.getfixturevalue('tmp_path') / 'esgscreen.sqlite3'}"
        if template is not None:
            request.getfixturevalue("sqlite_templates").copy(template, url)
        return url
    postgres: PostgresTemplates = request.getfixturevalue("postgres_templates")
    return postgres.empty() if template is None else postgres.copy(template)


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
    store = Store(fresh_database(request, backend, MIGRATED))
    yield store
    store.dispose()


@pytest.fixture
def bundled_store(request: pytest.FixtureRequest, backend: str) -> Iterator[Store]:
    """A store on a fresh database (each backend in turn) holding the bundled watchlist."""
    store = Store(fresh_database(request, backend, BUNDLED))
    yield store
    store.dispose()


_CREATED_APPS: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_apps() -> Iterator[None]:
    """Close the connection pools of every app a test made."""
    yield
    while _CREATED_APPS:
        services = _CREATED_APPS.pop().extensions["esgscreen"]
        services.screenlog.close()  # its thread may be writing: done before the pool goes
        services.store.dispose()


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
            "WEBHOOK_ALLOW_PRIVATE": True,  # webhook receivers in tests listen on 127.0.0.1
            **config,
        }
    )


@pytest.fixture
def app(request: pytest.FixtureRequest, backend: str) -> Flask:
    """An app on a fresh database (each backend in turn) holding the bundled watchlist."""
    return make_app(fresh_database(request, backend, BUNDLED))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def bundled_app(sqlite_templates: SqliteTemplates,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One SQLite app with the bundled watchlist, shared by read-only tests."""
    url = sqlite_templates.copy(
        BUNDLED, f"sqlite:///{tmp_path_factory.mktemp('bundled') / 'esgscreen.sqlite3'}")
    app = _create(url)
    yield app
    app.extensions["esgscreen"].screenlog.close()
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
