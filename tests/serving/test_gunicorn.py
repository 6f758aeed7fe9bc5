"""The service under gunicorn with two workers, as deployed: limits shared through Redis,
gunicorn's own refusals as problem+json, and the app answering first within the limits."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from esgscreen.core import bounds
from tests.conftest import BUNDLED, SqliteTemplates

REPO = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("ESGSCREEN_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_up() -> bool:
    host, _, port = REDIS.removeprefix("redis://").partition(":")
    try:
        with socket.create_connection((host, int(port.split("/")[0] or 6379)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(sqlite_templates: SqliteTemplates,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not _redis_up():
        pytest.fail(f"Redis is not reachable at {REDIS} (.ci/run starts it)")
    path = tmp_path_factory.mktemp("served") / "esgscreen.sqlite3"
    sqlite_templates.copy(BUNDLED, f"sqlite:///{path}")
    port = _free_port()
    # A database of its own on the Redis server, emptied first, so no other test process's
    # counts mix in: one per pytest-xdist worker.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    storage = f"{REDIS}/{1 + int(worker) % 15}"
    redis.Redis.from_url(storage).flushdb()
    env = {
        **os.environ,
        "ESGSCREEN_DATABASE_URL": f"sqlite:///{path}",
        "ESGSCREEN_PUBLIC_READ": "true",
        "ESGSCREEN_SECRET_KEY": "served-test",
        "ESGSCREEN_RATE_LIMIT": "20 per minute",
        "ESGSCREEN_LOGIN_RATE_LIMIT": "3 per minute",
        "ESGSCREEN_RATE_LIMIT_STORAGE": storage,
        "ESGSCREEN_LOG_LEVEL": "WARNING",
        "ESGSCREEN_ANSWER_CACHE_SIZE": "0",
    }
    log = tmp_path_factory.mktemp("log") / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
             f"127.0.0.1:{port}", "wsgi:app"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/readyz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"gunicorn did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _raw(base: str, request: bytes) -> tuple[int, str, bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    kind = re.search(rb"(?i)content-type: ([^\r\n;]+)", head)
    return status, kind.group(1).decode() if kind else "", body


def test_gunicorns_refusals_are_problem_json(server: str) -> None:
    status, kind, body = _raw(server, b"GET /api/v1/screen?q=" + b"a" * 9000
                              + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, kind) == (414, "application/problem+json")
    assert b'"status": 414' in body
    headers = b"".join(b"X-H%d: v\r\n" % n for n in range(150))
    status, kind, _ = _raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert (status, kind) == (431, "application/problem+json")
    status, kind, _ = _raw(server, b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, kind) == (400, "application/problem+json")


def test_the_app_answers_an_overlong_parameter_first(server: str) -> None:
    # The longest parameter plus one, in a script of three-byte characters: still the app's.
    response = requests.get(f"{server}/api/v1/screen",
                            params={"q": "株" * (bounds.QUERY_TEXT + 1)}, timeout=10)
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "q" in response.json()["errors"]


def test_the_limit_holds_across_two_workers(server: str) -> None:
    statuses = []
    remaining = []
    for n in range(26):
        # A new connection each time, so both workers take requests.
        response = requests.get(f"{server}/api/v1/screen", params={"q": f"Cellebrite {n}"},
                                headers={"Connection": "close"}, timeout=10)
        statuses.append(response.status_code)
        remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert response.headers["RateLimit-Limit"] == "20"
    # Requests refused as invalid (the overlong q above) are not counted.
    first = statuses.index(429)
    assert first == 20, statuses
    assert all(s == 429 for s in statuses[first:])
    assert remaining[:first] == list(range(19, -1, -1))
    # The pages count into the same bucket as the API for an anonymous address.
    page = requests.get(f"{server}/", params={"q": "NSO Group"}, timeout=10)
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) >= 1


def test_sign_in_attempts_are_limited_across_workers(server: str) -> None:
    codes = []
    for _ in range(5):
        with requests.Session() as browser:
            form = browser.get(f"{server}/login", timeout=10).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            response = browser.post(f"{server}/login", timeout=10, data={
                "username": "nobody", "password": "wrong password", "csrf_token": token})
            codes.append(response.status_code)
    assert codes == [200, 200, 200, 429, 429]
