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
from werkzeug.serving import BaseWSGIServer, make_server

from esgscreen.app import create_app
from esgscreen.core.model import Alias, Entity, Evidence, Flag, Identifier
from esgscreen.store import repository
from esgscreen.store.db import Store
from tests.conftest import (
    BUNDLED,
    SqliteTemplates,
    Template,
    build,
    create_postgres_database,
    drop_postgres_database,
    fresh_database,
    make_app,
    run_postgres_url,
    skip_without_postgres,
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


def _add_evil_entity(store: Store) -> None:
    with store.write() as session:
        watchlist = repository.load_watchlist(session)
        assert watchlist is not None
        repository.publish(session, [*watchlist.entities.values(), evil_entity()],
                           list(watchlist.taxonomy.values()),
                           summary="test: an entity named with markup", author="test")


# The bundled watchlist as version 1, plus the markup entity as version 2.
SEEDED = Template("seeded", _add_evil_entity, base=BUNDLED)


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
def seeded_app(request: pytest.FixtureRequest, backend: str) -> Flask:
    """An app on a fresh database (each backend in turn): the bundled watchlist plus the markup
    entity."""
    return make_app(fresh_database(request, backend, SEEDED))


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
def live_servers(sqlite_templates: SqliteTemplates, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Callable[..., LiveServer]]:
    """``live_servers(backend, public=True)``: a running server on a seeded database, made on
    first use and shared by the whole run. PostgreSQL gets a database of its own, so the
    per-test copies of the other tests never touch it."""
    urls: dict[str, str] = {}
    servers: dict[tuple[str, bool], LiveServer] = {}

    def get(backend: str, public: bool = True) -> LiveServer:
        if (backend, public) in servers:
            return servers[(backend, public)]
        if backend not in urls:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'esgscreen.sqlite3'}"
                sqlite_templates.copy(SEEDED, url)
            else:
                skip_without_postgres()
                url = run_postgres_url("web")
                create_postgres_database(url)
                store = Store(url)
                build(store, SEEDED)
                store.dispose()
            urls[backend] = url
        app = create_app(web_config(urls[backend], PUBLIC_READ=public, LOGIN_RATE_LIMIT=""))
        servers[(backend, public)] = _start(app)
        return servers[(backend, public)]

    yield get
    for live in servers.values():
        live.server.shutdown()
        live.server.server_close()
        live.app.extensions["esgscreen"].screenlog.close()
        live.app.extensions["esgscreen"].store.dispose()
    if "postgresql" in urls:
        drop_postgres_database(urls["postgresql"])


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
