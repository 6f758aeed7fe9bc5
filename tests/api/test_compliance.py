"""Compliance records: the screening log, dispositions and metrics, on both backends."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from esgscreen.cli import commands
from esgscreen.service import curation
from esgscreen.store import audit, keys, users
from esgscreen.store.audit import Actor
from esgscreen.store.db import Store
from esgscreen.store.models import AuditEvent, Disposition, Screening
from esgscreen.web.auth import GENERATION_KEY, SESSION_KEY
from tests.conftest import WATCHLIST_DIR, make_app

REPO = Path(__file__).resolve().parents[2]
EVIDENCE = {"url": "https://example.org/report", "publisher": "Example Lab", "date": "2026-01",
            "authority": "established"}


def key(app: Flask, role: str, name: str) -> dict[str, str]:
    with app.extensions["esgscreen"].store.write() as session:
        _, secret = keys.create_key(session, name, role, audit.CLI)
    return {"Authorization": f"Bearer {secret}"}


def sign_in(app: Flask, client: FlaskClient, username: str, role: str = "screener") -> int:
    with app.extensions["esgscreen"].store.write() as session:
        user = users.create_user(session, username, "a long enough password", role, audit.CLI)
    with client.session_transaction() as session:
        session[SESSION_KEY] = user.id
        session[GENERATION_KEY] = user.session_generation
    return user.id


def flush(app: Flask) -> None:
    app.extensions["esgscreen"].screenlog.flush()


def test_screening_log_records_batches_pages_and_callers(app: Flask) -> None:
    client = app.test_client()
    admin, nightly = key(app, "admin", "ada"), key(app, "screener", "nightly")
    assert client.get("/api/v1/screen?q=Cellebrite", headers=nightly).status_code == 200
    assert client.get("/api/v1/screen?q=Cellebrite", headers=nightly).status_code == 200  # cached
    batch = client.post("/api/v1/screen", headers=nightly, json={"items": [
        {"ref": "h1", "name": "NSO Group Technologies"}, {"ref": "h2", "name": "Acme Widgets"},
        {"ref": "h3", "isin": "not an isin"}]})
    assert batch.status_code == 200
    user_id = sign_in(app, client, "olga")
    assert client.get("/?q=Hikvision").status_code == 200
    flush(app)

    everything = client.get("/api/v1/screenings", headers=admin)
    assert everything.status_code == 200, everything.get_json()
    rows = everything.get_json()
    assert [r["endpoint"] for r in rows] == ["lookup", "batch", "screen", "screen"]
    lookup, batch_row, single, _ = rows
    assert lookup["caller"] == "user:" + str(user_id) + " olga"
    assert lookup["caller_identity"] == f"user:{user_id}"
    assert lookup["entity_id"] == "hikvision" and lookup["status"] == "match"
    assert lookup["query"]["q"] == "Hikvision"
    assert single["caller"].endswith(" nightly") and single["caller_identity"].startswith("key:")
    assert single["entity_id"] == "cellebrite" and single["rating"] == "red"
    assert single["action"] == "exclude" and single["policy"] == "default"
    assert single["remote_addr"] == "127.0.0.1"
    assert {r["watchlist_version"] for r in rows} == {1}
    assert batch_row["items"] == 3 and batch_row["status"] == "match"
    assert batch_row["counts"]["by_status"] == {"match": 1, "possible_match": 0,
                                                "no_match": 1, "error": 1}
    # Items that were not no_match are kept one by one; the no_match one is only counted.
    assert {(r["ref"], r["status"], r["entity_id"]) for r in batch_row["rows"]} == {
        ("h1", "match", "nso-group"), ("h3", "error", None)}

    own = client.get("/api/v1/screenings", headers=nightly).get_json()
    assert [r["endpoint"] for r in own] == ["batch", "screen", "screen"]  # a key: its own only
    by_entity = client.get("/api/v1/screenings?entity_id=nso-group", headers=admin).get_json()
    assert [r["id"] for r in by_entity] == [batch_row["id"]]
    by_caller = client.get(f"/api/v1/screenings?caller=user:{user_id}", headers=admin)
    assert [r["id"] for r in by_caller.get_json()] == [lookup["id"]]
    since = client.get("/api/v1/screenings?since=2000-01-01&status=match", headers=admin)
    assert len(since.get_json()) == 4
    assert client.get("/api/v1/screenings?until=2000-01-01", headers=admin).get_json() == []

    exported = client.get("/api/v1/screenings.csv", headers=admin)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [line["endpoint"] for line in lines] == [
        "lookup", "batch", "batch-item", "batch-item", "screen", "screen"]


def test_buffered_records_keep_their_time_and_caller_to_the_microsecond(store: Store) -> None:
    """The flush writes single screens as plain rows, making each second's text and each
    caller's names once: what comes back is what was buffered."""
    from esgscreen.service.screenlog import ScreeningLog

    screening_log = ScreeningLog(store, flush_size=10**6)
    screening_log._thread = threading.current_thread()  # no background thread: flushed here
    olga, nightly = Actor("user", "olga", 7), Actor("key", "nightly", 3)
    moments = [1_780_000_000.000001, 1_780_000_000.999999, 1_780_000_001.5, 1_780_000_001.5]
    for moment, actor in zip(moments, [olga, nightly, olga, nightly], strict=True):
        screening_log._buffer.append(("screen", moment, actor, "10.0.0.1", 1, "default", 0.001,
                                      ("match", "red", "exclude", "cellebrite", '{"q": "x"}')))
    assert screening_log.flush() == 4
    with store.read() as session:
        rows = session.scalars(select(Screening).order_by(Screening.id)).all()
    assert [row.at.timestamp() for row in rows] == pytest.approx(moments, abs=1e-6)
    assert [row.at.microsecond for row in rows] == [1, 999999, 500000, 500000]
    assert [(row.caller, row.caller_identity) for row in rows] == [
        ("user:7 olga", "user:7"), ("key:3 nightly", "key:3")] * 2
    assert rows[0].query == {"q": "x"} and rows[1].entity_id == "cellebrite"
    screening_log._thread = None


def test_a_screen_answered_not_modified_is_logged_too(bundled_app: Flask) -> None:
    """A nightly client sending its ETag back gets a 304, and the screen is on the record."""
    client = bundled_app.test_client()
    admin = key(bundled_app, "admin", "ada")
    nightly = key(bundled_app, "screener", "etag-nightly")
    first = client.get("/api/v1/screen?name=Hikvision", headers=nightly)
    again = client.get("/api/v1/screen?name=Hikvision",
                       headers={**nightly, "If-None-Match": first.headers["ETag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    flush(bundled_app)
    rows = client.get("/api/v1/screenings?caller=etag-nightly", headers=admin).get_json()
    assert [(r["endpoint"], r["entity_id"], r["status"]) for r in rows] == [
        ("screen", "hikvision", "match")] * 2


def test_screening_filters_refuse_bad_input(bundled_app: Flask) -> None:
    client = bundled_app.test_client()
    admin = key(bundled_app, "admin", "ada-filters")
    bad_date = client.get("/api/v1/screenings?since=yesterday", headers=admin)
    assert bad_date.status_code == 422
    assert bad_date.mimetype == "application/problem+json"
    assert "since" in bad_date.get_json()["errors"]
    unknown = client.get("/api/v1/screenings?entity=nso-group", headers=admin)
    assert unknown.status_code == 422 and "entity" in unknown.get_json()["errors"]
    status = client.get("/api/v1/screenings.csv?status=red", headers=admin)
    assert status.status_code == 422 and "status" in status.get_json()["errors"]
    # Public reading lets anyone screen, not read who screened what.
    assert client.get("/api/v1/screenings").status_code == 401


def test_record_page_cites_its_screening_record(bundled_app: Flask) -> None:
    client = bundled_app.test_client()
    sign_in(bundled_app, client, "rachel")
    page = client.get("/record?q=Cellebrite")
    assert page.status_code == 200
    found = re.search(r'href="/screenings/(\d+)"[^>]*>Screening record (\d+)<', page.text)
    assert found and found.group(1) == found.group(2)
    record = client.get(f"/screenings/{found.group(1)}")  # written at once, not buffered
    assert record.status_code == 200 and "cellebrite" in record.text
    listing = client.get("/screenings?status=match")
    assert listing.status_code == 200 and f"/screenings/{found.group(1)}" in listing.text
    assert client.get("/screenings?since=soon").status_code == 422


def _screen(client: FlaskClient, headers: dict[str, str], query: str = "name=Paragon") -> dict:
    response = client.get(f"/api/v1/screen?{query}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_false_positive_suppresses_until_the_entity_changes(app: Flask) -> None:
    client = app.test_client()
    analyst = key(app, "screener", "sam")
    before = _screen(client, analyst)
    assert before["status"] == "possible_match"
    assert before["matches"][0]["entity"]["id"] == "paragon-solutions"

    recorded = client.post("/api/v1/dispositions", headers=analyst, json={
        "entity_id": "paragon-solutions", "decision": "false_positive",
        "note": "Our Paragon is a property fund, not the spyware vendor.",
        "query": {"name": "PARAGON"}})
    assert recorded.status_code == 201, recorded.get_json()
    disposition = recorded.get_json()
    assert disposition["query_key"] == "name=paragon"

    after = _screen(client, analyst)  # the worker's cached answer must not be served
    assert after["status"] == "no_match" and after["action"] == "clear"
    assert after["matches"] == []
    (suppressed,) = after["suppressed"]
    assert suppressed["entity"]["id"] == "paragon-solutions"
    assert suppressed["disposition"]["decision"] == "false_positive"
    assert suppressed["disposition"]["by"].endswith(" sam")
    assert "property fund" in suppressed["disposition"]["note"]
    # The same query written otherwise is the same query; another query is not.
    assert _screen(client, analyst, "q=paragon")["status"] == "no_match"
    assert _screen(client, analyst, "name=Paragon%20Solutions")["status"] != "no_match"
    # Batches too.
    rows = client.post("/api/v1/screen", headers=analyst, json={"items": [
        {"ref": "p", "name": "Paragon"}]}).get_json()["results"]
    assert rows[0]["status"] == "no_match"
    assert rows[0]["suppressed"][0]["entity"]["id"] == "paragon-solutions"

    # A new flag on the entity: the decision lapses and the candidate comes back, saying why.
    store = app.extensions["esgscreen"].store
    proposal = curation.submit(store, "New finding on Paragon", [{
        "op": "add_flag", "entity_id": "paragon-solutions",
        "flag": {"code": "civil_society_alert", "severity": "medium", "status": "ongoing",
                 "since": "2026-01", "summary": "A new finding.", "evidence": [EVIDENCE]}}],
        Actor("user", "carol", 1))
    curation.approve(store, proposal.id, Actor("user", "rita", 2))
    lapsed = _screen(client, analyst)
    assert lapsed["watchlist_version"] == 2
    assert lapsed["status"] == "possible_match" and "suppressed" not in lapsed
    mark = lapsed["matches"][0]["disposition"]
    assert mark["lapsed"] is True and "civil_society_alert" in mark["lapsed_because"]

    listed = client.get("/api/v1/dispositions?entity_id=paragon-solutions", headers=analyst)
    assert [d["id"] for d in listed.get_json()] == [disposition["id"]]
    with store.read() as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert "disposition.create" in actions


def test_dispositions_are_revocable_and_refuse_what_is_not_a_candidate(app: Flask) -> None:
    client = app.test_client()
    analyst, admin = key(app, "screener", "sam"), key(app, "admin", "ada")
    body = {"entity_id": "paragon-solutions", "decision": "false_positive",
            "note": "Not them.", "query": {"name": "Paragon"}}
    unknown = client.post("/api/v1/dispositions", headers=analyst,
                          json={**body, "entity_id": "no-such-entity"})
    assert unknown.status_code == 422 and "entity_id" in unknown.get_json()["errors"]
    other = client.post("/api/v1/dispositions", headers=analyst,
                        json={**body, "entity_id": "cellebrite"})
    assert other.status_code == 422 and "not a candidate" in other.get_json()["detail"]
    assert client.post("/api/v1/dispositions", headers=analyst,
                       json={**body, "decision": "maybe"}).status_code == 422
    assert client.post("/api/v1/dispositions", headers=analyst,
                       json={**body, "colour": "red"}).status_code == 422
    bad_isin = client.post("/api/v1/dispositions", headers=analyst,
                           json={**body, "query": {"isin": "XX123"}})
    assert bad_isin.status_code == 422
    assert client.post("/api/v1/dispositions", json=body).status_code == 401  # anonymous
    with app.extensions["esgscreen"].store.read() as session:
        assert session.scalar(select(func.count(Disposition.id))) == 0

    made = client.post("/api/v1/dispositions", headers=analyst, json=body).get_json()
    assert _screen(client, analyst)["status"] == "no_match"
    revoked = client.post(f"/api/v1/dispositions/{made['id']}/revoke", headers=analyst,
                          json={"reason": "Wrong fund"})
    assert revoked.status_code == 200 and revoked.get_json()["revoked_by"].endswith(" sam")
    assert _screen(client, analyst)["status"] == "possible_match"
    assert client.delete(f"/api/v1/dispositions/{made['id']}",
                         headers=analyst).status_code == 409
    assert client.delete("/api/v1/dispositions/9999", headers=admin).status_code == 404

    confirmed = client.post("/api/v1/dispositions", headers=analyst, json={
        **body, "decision": "confirmed", "note": "It is them."}).get_json()
    answer = _screen(client, analyst)
    assert answer["status"] == "possible_match"
    assert answer["matches"][0]["disposition"]["decision"] == "confirmed"
    assert client.delete(f"/api/v1/dispositions/{confirmed['id']}",
                         headers=analyst).status_code == 200
    assert "disposition" not in _screen(client, analyst)["matches"][0]
    active = client.get("/api/v1/dispositions?active=true", headers=analyst).get_json()
    assert active == []


def test_lookup_page_records_a_disposition_with_csrf(bundled_app: Flask) -> None:
    client = bundled_app.test_client()
    sign_in(bundled_app, client, "paula")
    page = client.get("/?q=Memento")
    assert page.status_code == 200 and "Record a decision on" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"entity_id": "memento-labs", "decision": "false_positive", "query_q": "Memento",
            "note": "Memento the film studio.", "next": "/?q=Memento"}
    assert client.post("/dispositions", data=form).status_code == 400  # no CSRF token
    done = client.post("/dispositions", data={**form, "csrf_token": token},
                       follow_redirects=True)
    assert done.status_code == 200 and "Recorded: memento-labs is a false positive" in done.text
    assert "Set aside by a decision" in done.text and "film studio" in done.text
    revoke = re.search(r'action="(/dispositions/\d+/revoke)"', done.text).group(1)
    undone = client.post(revoke, data={"csrf_token": token, "next": "/?q=Memento"},
                         follow_redirects=True)
    assert "revoked" in undone.text and "Set aside by a decision" not in undone.text


def test_metrics_parse_and_count_screens(app: Flask) -> None:
    client = app.test_client()
    admin, screener = key(app, "admin", "ada"), key(app, "screener", "sam")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=screener).status_code == 403

    def value(name: str, **labels: str) -> float:
        text = client.get("/metrics", headers=admin).get_data(as_text=True)
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples
                   if sample.name == name and labels.items() <= sample.labels.items())

    before = value("esgscreen_screens_total", endpoint="screen", status="match")
    cache_hits = value("esgscreen_answer_cache_hits_total")
    for _ in range(3):
        client.get("/api/v1/screen?q=Cellebrite", headers=screener)
    client.post("/api/v1/screen", headers=screener, json={"items": [{"name": "NSO Group"}]})
    assert value("esgscreen_screens_total", endpoint="screen", status="match") == before + 3
    assert value("esgscreen_answer_cache_hits_total") >= cache_hits + 2
    assert value("esgscreen_batch_items_count", endpoint="batch") >= 1
    assert value("esgscreen_screen_seconds_count", endpoint="screen") >= 3
    assert value("esgscreen_watchlist_version") == 1
    assert value("esgscreen_proposals", state="pending") == 0


def test_metrics_public_setting(store: Store) -> None:
    from esgscreen.service.loading import load_directory

    load_directory(store, WATCHLIST_DIR, summary="test load")
    app = make_app(store.url, METRICS_PUBLIC=True)
    response = app.test_client().get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"


def test_purge_keeps_the_retention_period(app: Flask) -> None:
    client = app.test_client()
    client.get("/api/v1/screen?q=Cellebrite")
    flush(app)
    store = app.extensions["esgscreen"].store
    with store.write() as session:
        old = session.scalars(select(Screening)).one()
        old.at = old.at.replace(year=old.at.year - 2)
    client.get("/api/v1/screen?q=Hikvision")
    flush(app)
    result = CliRunner().invoke(commands, ["screenings", "purge"],
                                obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "Dropped 1 screening records older than 400 days" in result.output
    with store.read() as session:
        assert session.scalar(select(func.count(Screening.id))) == 1
        assert session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "screenings.purge")) is not None


def _script_info(app: Flask):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


KILLED_WORKER = textwrap.dedent("""
    import os, signal, sys, time
    from esgscreen.app import create_app
    app = create_app({"DATABASE_URL": sys.argv[1], "PUBLIC_READ": True, "LOG_LEVEL": "WARNING",
                      "SCREENING_LOG_FLUSH_SECONDS": 0.3, "SECRET_KEY": "x"})
    client = app.test_client()
    for _ in range(20):
        assert client.get("/api/v1/screen?q=Cellebrite").status_code == 200
    time.sleep(1.5)  # several flush intervals: these 20 are written
    for _ in range(5):
        client.get("/api/v1/screen?q=Hikvision")
    os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no flush
""")


def test_a_killed_worker_loses_at_most_one_flush_interval(app: Flask) -> None:
    store = app.extensions["esgscreen"].store
    with store.write() as session:
        _, secret = keys.create_key(session, "sam", "screener", audit.CLI)
    client = app.test_client()
    made = client.post("/api/v1/dispositions", headers={"Authorization": f"Bearer {secret}"},
                       json={"entity_id": "paragon-solutions", "decision": "false_positive",
                             "note": "Not them.", "query": {"name": "Paragon"}})
    assert made.status_code == 201
    process = subprocess.run([sys.executable, "-c", KILLED_WORKER, store.url], cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120,
                             capture_output=True, text=True)
    assert process.returncode == -signal.SIGKILL, process.stderr[-2000:]
    with store.read() as session:
        written = session.scalars(select(Screening.entity_id)).all()
        assert session.scalar(select(func.count(Disposition.id))) == 1  # never lost
    assert written.count("cellebrite") == 20  # everything before the last flush
    assert written.count("hikvision") <= 5  # what came after it may be lost


@pytest.fixture
def unlogged(store: Store) -> Flask:
    from esgscreen.service.loading import load_directory

    load_directory(store, WATCHLIST_DIR, summary="test load")
    return make_app(store.url, SCREENING_LOG=False)


def test_log_can_be_turned_off(unlogged: Flask) -> None:
    client = unlogged.test_client()
    assert client.get("/api/v1/screen?q=Cellebrite").status_code == 200
    flush(unlogged)
    with unlogged.extensions["esgscreen"].store.read() as session:
        assert session.scalar(select(func.count(Screening.id))) == 0


def test_portfolio_page_logs_the_upload_and_records_a_disposition(bundled_app: Flask) -> None:
    client = bundled_app.test_client()
    user_id = sign_in(bundled_app, client, "pia")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/portfolio/").text)[1]

    def upload() -> str:
        data = b"name,weight\nParagon,2\nAcme Widgets,1\n"
        response = client.post("/portfolio/", data={
            "holdings": (io.BytesIO(data), "book.csv"), "csrf_token": token},
            content_type="multipart/form-data")
        assert response.status_code == 200
        return response.text

    first = upload()
    assert "Record a decision on Paragon" in first and 'name="query_name" value="Paragon"' in first
    done = client.post("/dispositions", data={
        "csrf_token": token, "entity_id": "paragon-solutions", "decision": "false_positive",
        "note": "Paragon REIT, not the vendor.", "query_name": "Paragon", "next": "/portfolio/"},
        follow_redirects=True)
    assert "Recorded: paragon-solutions is a false positive" in done.text
    assert "Set aside: Paragon" in upload()
    bundled_app.extensions["esgscreen"].screenlog.flush()
    admin = key(bundled_app, "admin", "ada-portfolio")
    mine = client.get(f"/api/v1/screenings?caller=user:{user_id}", headers=admin).get_json()
    assert [r["endpoint"] for r in mine] == ["portfolio", "portfolio"]
    assert mine[0]["counts"]["by_status"]["possible_match"] == 0  # the second: suppressed
    assert mine[1]["rows"][0]["entity_id"] == "paragon-solutions"
    revoked = client.get("/api/v1/dispositions?entity_id=paragon-solutions&active=true",
                         headers=admin).get_json()
    for found in revoked:  # leave the shared app as it was
        client.delete(f"/api/v1/dispositions/{found['id']}", headers=admin)
