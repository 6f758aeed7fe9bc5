"""Fixtures for the pages: a watchlist holding an entity whose name is markup, live servers on
SQLite and PostgreSQL, and one headless Chromium for the whole run.

Browser tests need ``/usr/bin/chromium`` (Debian's package; ``.ci/run`` installs it). Without
it they are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer, make_server

from esgscreen.app import create_app
from esgscreen.core.model import Alias, Entity, Evidence, Flag, Identifier
from esgscreen.service.loading import load_directory
from esgscreen.store import repository
from esgscreen.store.db import Store
from esgscreen.watchlist.files import read_watchlist
from tests.conftest import (
    POSTGRES_URL,
    WATCHLIST_DIR,
    _create_postgres_database,
    _drop_postgres_database,
    make_app,
)

CHROMIUM = os.environ.get("ESGSCREEN_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

EVIL_ID = "evil-holdings"
EVIL_NAME = "<script>alert(1)</script> Evil Holdings"
EVIL_ALIAS = '<img src=x onerror="alert(2)">'
EVIL_EVIDENCE_TITLE = "Report <b onclick=alert(3)>bold</b>"


def evil_entity() -> Entity:
    """An entity whose every text is markup: each must show as text, never run."""
    evidence = Evidence("https://example.org/report?a=1&b=<2>", "Lab <i>italic</i>",
                        "2024-03-01", EVIL_EVIDENCE_TITLE, "low")
    return Entity(
        id=EVIL_ID,
        name=EVIL_NAME,
        kind="holding",
        country="GB",
        aliases=(Alias(EVIL_ALIAS, "alias"),),
        identifiers=(Identifier("domain", "evil.example", confidence="low",
                                note="<u>note</u>"),),
        flags=(Flag("civil_society_alert", "medium", "ongoing", "2024-03",
                    "Summary with <em>markup</em> & an ampersand.", (evidence,)),),
        description="<p>Description</p>",
    )


def seed(store: Store) -> None:
    """The bundled watchlist as version 1, plus the markup entity as version 2."""
    load_directory(store, WATCHLIST_DIR, summary="test load")
    watchlist = read_watchlist(WATCHLIST_DIR)
    with store.write() as session:
        repository.publish(session, [*watchlist.entities.values(), evil_entity()],
                           list(watchlist.taxonomy.values()),
                           summary="test: an entity named with markup", author="test")


def web_config(database_url: str, **config: object) -> dict[str, object]:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "PUBLIC_READ": True,
        "VERSION_CHECK_INTERVAL": 0.0,
        "SECRET_KEY": "test-web",
        "SETTLE_SNAPSHOTS": False,
        **config,
    }


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on ``path``, as a browser would send it back."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token in the form on {path}"
    return found.group(1)


@pytest.fixture
def seeded_app(store: Store) -> Flask:
    """An app on a fresh store (each backend in turn): bundled watchlist plus the markup entity."""
    seed(store)
    return make_app(store.url)


# live servers and the browser ------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Flask
    server: BaseWSGIServer


def _start(app: Flask) -> LiveServer:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="live-server", daemon=True).start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", app, server)


@pytest.fixture(scope="session")
def live_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """``live_servers(backend, public=True)``: a running server on a seeded database, made on
    first use and shared by the whole run. PostgreSQL gets a database of its own, so the
    per-test resets of the other tests never touch it."""
    stores: dict[str, Store] = {}
    servers: dict[tuple[str, bool], LiveServer] = {}
    dropped: list[str] = []

    def get(backend: str, public: bool = True) -> LiveServer:
        if (backend, public) in servers:
            return servers[(backend, public)]
        if backend not in stores:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'esgscreen.sqlite3'}"
            else:
                if os.environ.get("ESGSCREEN_TEST_POSTGRES") == "skip":
                    pytest.skip("ESGSCREEN_TEST_POSTGRES=skip: no PostgreSQL on this machine")
                base = make_url(POSTGRES_URL)
                url = _create_postgres_database(
                    base.set(database=f"{base.database}_web").render_as_string(False))
                dropped.append(url)
            store = Store(url)
            store.upgrade()
            seed(store)
            stores[backend] = store
        app = create_app(web_config(stores[backend].url, PUBLIC_READ=public,
                                    LOGIN_RATE_LIMIT=""))
        servers[(backend, public)] = _start(app)
        return servers[(backend, public)]

    yield get
    for live in servers.values():
        live.server.shutdown()
        live.server.server_close()
        live.app.extensions["esgscreen"].store.dispose()
    for store in stores.values():
        store.dispose()
    for url in dropped:
        _drop_postgres_database(url)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for every browser test."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser tab (its own cookies) that fails the test on any script dialog, page
    error, Content-Security-Policy violation or failed stylesheet, script or fetch."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},  # type: ignore
                                  accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"),
                                     dialog.dismiss()))
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda message: problems.append(f"console: {message.text}")
           if message.type == "error" and "Failed to load resource" not in message.text
           else None)
    # A page may answer 4xx on purpose (a form message); what it loads may not.
    tab.on("response", lambda response: problems.append(
        f"{response.status} for {response.url}")
        if response.status >= 400 and response.request.resource_type != "document" else None)
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert not problems, problems


def shot(page: object, name: str, full_page: bool = True) -> Path:
    """Keep a screenshot of the page in artifacts/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path
