"""`esgscreen worker` and `esgscreen serve` as real processes: a worker killed with SIGKILL
mid-delivery is resumed by the next, a version published while no worker runs is delivered
when one starts, and an integrator's whole path works with serve alone (SQLite) and with
serve plus a separate worker (PostgreSQL)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.api.test_watches import CLOSE_CELLEBRITE, SECRET, SUN, approve, key, watch
from tests.cli.test_cli import free_port
from tests.conftest import make_app
from tests.receiver import receiving


def start_worker(database_url: str, **settings: str) -> subprocess.Popen:
    env = {**os.environ, "ESGSCREEN_DATABASE_URL": database_url,
           "ESGSCREEN_WEBHOOK_ALLOW_PRIVATE": "true", "ESGSCREEN_WORKER_POLL_INTERVAL": "0.1",
           **{f"ESGSCREEN_{k.upper()}": v for k, v in settings.items()}}
    return subprocess.Popen([sys.executable, "-m", "esgscreen", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_killed_mid_delivery_is_resumed_with_the_same_webhook_id(app: Flask) -> None:
    client = app.test_client()
    pm = key(app, "screener", "pm")
    release = threading.Event()

    def script(n: int) -> tuple[int, dict[str, str]]:
        if n == 0:
            release.wait(30)  # the first worker dies while waiting for this answer
        return 200, {}

    url = app.config["DATABASE_URL"]
    with receiving(script) as receiver:
        receiver.secret = SECRET
        created = watch(client, pm, [SUN], receiver.url)
        approve(app, [CLOSE_CELLEBRITE])  # no worker runs yet
        first = start_worker(url, worker_lease="3", webhook_timeout="2.5")
        try:
            receiver.wait_for(1, timeout=60)
            assert len(receiver.requests) == 1
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            stop(first)
        release.set()
        second = start_worker(url, worker_lease="3", webhook_timeout="2.5")
        try:
            requests_seen = receiver.wait_for(2, timeout=60)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                log = client.get(f"/api/v1/watches/{created['id']}/deliveries",
                                 headers=pm).get_json()["deliveries"]
                if log and log[0]["state"] == "delivered":
                    break
                time.sleep(0.2)
        finally:
            stop(second)
    assert len(requests_seen) == 2
    assert requests_seen[0].headers["webhook-id"] == requests_seen[1].headers["webhook-id"]
    assert all(isinstance(r.verified, dict) for r in requests_seen)
    (delivery,) = log
    assert delivery["state"] == "delivered" and delivery["attempts"] == 2
    assert [a["status_code"] for a in delivery["log"]] == [200]  # the killed try left no entry


def _wait_ready(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0].decode()
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).ok:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_integrator_receives_a_derived_change_within_seconds(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """SQLite: `esgscreen serve` alone. PostgreSQL: gunicorn (`serve --no-monitor`) and
    `esgscreen worker` as separate processes."""
    from tests.conftest import fresh_database

    url = fresh_database(request, backend)
    port = free_port()
    env = {**os.environ, "ESGSCREEN_DATABASE_URL": url, "ESGSCREEN_PUBLIC_READ": "true",
           "ESGSCREEN_WEBHOOK_ALLOW_PRIVATE": "true"}
    command = [sys.executable, "-m", "esgscreen", "serve", "--port", str(port),
               "--workers", "1"]
    if backend == "postgresql":
        command.append("--no-monitor")
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    extra = start_worker(url) if backend == "postgresql" else None  # waits for the schema
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_ready(port, server)
        admin_app = make_app(url)
        pm = key(admin_app, "screener", "pm")
        curator, reviewer = key(admin_app, "curator", "c"), key(admin_app, "reviewer", "r")
        with receiving() as receiver:
            receiver.secret = SECRET
            created = requests.post(f"{base}/watches", headers=pm, timeout=10, json={
                "name": "Book", "items": [SUN],
                "webhook": {"url": receiver.url, "secret": SECRET}})
            assert created.status_code == 201, created.text
            proposal = requests.post(f"{base}/proposals", headers=curator, timeout=10, json={
                "summary": "Cellebrite's critical flag concluded",
                "changes": [CLOSE_CELLEBRITE]}).json()
            approved = requests.post(f"{base}/proposals/{proposal['id']}/approve",
                                     headers=reviewer, timeout=10)
            assert approved.status_code == 200, approved.text
            started = time.monotonic()
            (received,) = receiver.wait_for(1, timeout=30)
            took = time.monotonic() - started
        assert took < 10, f"delivered after {took:.1f} s"
        assert isinstance(received.verified, dict), received.verified
        (event,) = received.verified["data"]["events"]
        assert (event["ref"], event["before"]["rating"], event["after"]["rating"]) == (
            "sun", "orange", "yellow")
        changes = requests.get(f"{base}/changes", params={"since": 1}, timeout=10).json()
        assert {"cellebrite", "sun-corporation"} <= {o["entity_id"] for o in changes["outcomes"]}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
        if extra is not None:
            stop(extra)
    if backend == "sqlite":
        pid = int(re.search(r"Monitoring worker started \(pid (\d+)\)", output).group(1))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the worker outlived the server")
