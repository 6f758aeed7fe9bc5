"""The Python client (clients/python, module esgscreen_client) against live servers: typed
results, portfolios split to the server's limit and joined in order, retries that honour
Retry-After, ETag reuse, one error type, and no Flask needed on the client's side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from esgscreen_client import Client, ESGScreenError, PortfolioResult, ScreenResult
from flask import Flask
from werkzeug.serving import make_server

from esgscreen.app import create_app
from esgscreen.store import audit, keys
from tests.conftest import BUNDLED, SqliteTemplates

CLIENT_DIR = Path(__file__).resolve().parents[2] / "clients" / "python"
# Real identifiers and names from the bundled watchlist, and names that are on no list.
KNOWN = [{"isin": "IL0011794802"}, {"cik": "1854587"}, {"name": "NSO Group"},
         {"ticker": "CLBT", "exchange": "XNAS"}, {"name": "Sun Corporation"}]
UNKNOWN = [{"name": "Zqxv Widget Works 1 plc"}, {"name": "Blorptech Fasteners GmbH"}]


def holdings(count: int) -> list[dict]:
    pool = KNOWN + UNKNOWN * 4
    return [{"ref": f"h{i}", **pool[i % len(pool)], "weight": 1.0} for i in range(count)]


class Live:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def key(self, role: str = "screener") -> str:
        with self.app.extensions["esgscreen"].store.write() as session:
            return keys.create_key(session, f"client test {role}", role, audit.CLI)[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.app.extensions["esgscreen"].store.dispose()


@pytest.fixture(scope="module")
def serve(sqlite_templates: SqliteTemplates,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Live]]:
    """``serve(**config)``: a live server on a database holding the bundled watchlist."""
    url = sqlite_templates.copy(
        BUNDLED, f"sqlite:///{tmp_path_factory.mktemp('client') / 'esgscreen.sqlite3'}")
    started: list[Live] = []

    def start(**config: object) -> Live:
        live = Live(create_app({"DATABASE_URL": url, "PUBLIC_READ": False, "SECRET_KEY": "t",
                                "VERSION_CHECK_INTERVAL": 0.0, "SETTLE_SNAPSHOTS": False,
                                **config}))
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


@pytest.fixture(scope="module")
def live(serve: Callable[..., Live]) -> Live:
    # A limit below the default, so a portfolio over it stays quick to screen.
    return serve(MAX_BATCH_ITEMS=2_000)


def test_screen_entity_and_changes_are_typed(live: Live) -> None:
    client = Client(live.url, api_key=live.key(), timeout=10)
    result = client.screen(isin="IL0011794802")
    assert isinstance(result, ScreenResult)
    assert result.status == "match" and result.best.entity.id == "cellebrite"
    assert result.best.flags and result.best.flags[0].code
    assert client.screen(q="Zqxv Widget Works 1 plc").status == "no_match"
    record = client.entity("cellebrite")
    assert record.name == "Cellebrite DI Ltd." and record.rating == "red"
    assert record.watchlist_version == 1
    changes = client.changes(since=0)
    assert changes.watchlist_version == 1 and "cellebrite" in changes.added
    with pytest.raises(TypeError):
        client.screen(isbn="123")


def test_errors_carry_the_problem_body(live: Live) -> None:
    client = Client(live.url, api_key=live.key(), retries=0)
    with pytest.raises(ESGScreenError) as bad:
        client.screen(isin="IL0011794801")
    assert bad.value.status == 422 and "isin" in bad.value.errors
    assert "isin" in bad.value.detail.lower()
    with pytest.raises(ESGScreenError) as missing:
        client.entity("nobody-at-all")
    assert missing.value.status == 404 and missing.value.problem["status"] == 404
    with pytest.raises(ESGScreenError) as anonymous:
        Client(live.url).screen(q="Cellebrite")
    assert anonymous.value.status == 401
    with pytest.raises(ESGScreenError) as down:
        Client("http://127.0.0.1:9", retries=1, backoff=0.01).screen(q="x")
    assert down.value.status is None


def test_gets_reuse_their_etag(live: Live) -> None:
    statuses: list[int] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, **_: statuses.append(
        response.status_code))
    client = Client(live.url, api_key=live.key(), session=session)
    first = client.entity("sun-corporation")
    again = client.entity("sun-corporation")
    assert statuses == [200, 304] and again == first
    client.screen(name="Sun Corporation")
    client.screen(name="Sun Corporation")
    assert statuses[2:] == [200, 304]


def test_a_portfolio_larger_than_the_limit_is_split_and_joined_in_order(live: Live) -> None:
    items = holdings(5_000)
    seen: list[tuple[int, int]] = []
    client = Client(live.url, api_key=live.key(), timeout=120, batch_size=2_000)
    result = client.screen_portfolio(
        items, progress=lambda done, total: seen.append((done, total)))
    assert isinstance(result, PortfolioResult)
    assert result.batches == 3 and seen == [(2_000, 5_000), (4_000, 5_000), (5_000, 5_000)]
    assert [row.ref for row in result.results] == [item["ref"] for item in items]
    assert result.summary["items"] == 5_000
    assert sum(result.summary["by_action"].values()) == 5_000
    assert result.summary["by_action"]["exclude"] == len(result.excluded)
    assert result.results[0].status == "match" and result.results[0].action == "exclude"
    assert {row.status for row in result.results[5:8]} == {"no_match"}
    assert result.summary["weight"]["total"] == pytest.approx(5_000.0)


def test_the_client_learns_a_smaller_limit_from_the_413(serve: Callable[..., Live]) -> None:
    small = serve(MAX_BATCH_ITEMS=1_000)
    client = Client(small.url, api_key=small.key())
    result = client.screen_portfolio(holdings(2_500), policy="no-spyware")
    assert result.batches == 3 and client.batch_size == 1_000
    assert len(result.results) == 2_500 and result.policy == "no-spyware"
    # Holdings without a ref are numbered across the whole portfolio, not per batch.
    unnamed = client.screen_portfolio([{"name": "NSO Group"}] * 1_001)
    assert [row.ref for row in unnamed.results][-2:] == [999, 1_000]


def test_retries_honour_retry_after(serve: Callable[..., Live]) -> None:
    limited = serve(RATE_LIMIT="1 per second")
    seen: list[tuple[float, int, str | None]] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, **_: seen.append(
        (time.monotonic(), response.status_code, response.headers.get("Retry-After"))))
    client = Client(limited.url, api_key=limited.key(), session=session, backoff=0.01)
    names = ("NSO Group", "Candiru", "Cellebrite", "Sun Corporation")
    assert [client.screen(q=name).status for name in names] == ["match"] * 4
    refused = [i for i, (_, status, _) in enumerate(seen) if status == 429]
    assert refused and seen[-1][1] == 200
    for i in refused:  # the next try waited as Retry-After said, not the 0.01 s backoff
        assert seen[i + 1][0] - seen[i][0] >= 0.9 * float(seen[i][2])
    impatient = Client(limited.url, api_key=limited.key(), retries=0)
    with pytest.raises(ESGScreenError) as error:
        for _ in range(5):
            impatient.screen(q="NSO Group")
    assert error.value.status == 429 and "Too many requests" in error.value.detail


NO_SERVER_PACKAGES = """
import importlib.abc, json, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"flask", "sqlalchemy", "esgscreen", "marshmallow", "werkzeug"}:
            raise ImportError(f"the client must not need {name}")
sys.meta_path.insert(0, Refuse())
from esgscreen_client import Client
items = [{"ref": i, "isin": "IL0011794802"} if i % 10 == 0 else {"ref": i, "name": "Zqxv %d" % i}
         for i in range(5000)]
result = Client(sys.argv[1], api_key=sys.argv[2], timeout=120,
                batch_size=2000).screen_portfolio(items)
print(json.dumps({"batches": result.batches, "rows": len(result.results),
                  "excluded": len(result.excluded), "flask": "flask" in sys.modules}))
"""


def test_the_client_runs_without_the_servers_packages(live: Live) -> None:
    """What `pip install ./clients/python` in a virtualenv without Flask gives: the client's
    own directory and requests, and nothing of the server."""
    env = {**os.environ, "PYTHONPATH": str(CLIENT_DIR)}
    done = subprocess.run([sys.executable, "-c", NO_SERVER_PACKAGES, live.url, live.key()],
                          capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"batches": 3, "rows": 5_000, "excluded": 500,
                                       "flask": False}
