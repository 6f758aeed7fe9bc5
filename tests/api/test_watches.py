"""Watched portfolios end to end: register, approve a change, the worker's events and signed
deliveries, retries, pausing, the changes feed. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from esgscreen.service.worker import Worker
from esgscreen.store import audit, keys
from tests.conftest import make_app
from tests.receiver import always, payload, receiving

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUN = {"ref": "sun", "name": "Sun Corporation", "isin": "JP3336450006", "weight": 3.0}
APPLE = {"ref": "aapl", "name": "Apple Inc.", "isin": "US0378331005", "weight": 7.0}
CLOSE_CELLEBRITE = {"op": "close_flag", "entity_id": "cellebrite",
                    "code": "abuse_against_civil_society"}


def key(app: Flask, role: str, name: str) -> dict[str, str]:
    with app.extensions["esgscreen"].store.write() as session:
        _, secret = keys.create_key(session, name, role, audit.CLI)
    return {"Authorization": f"Bearer {secret}"}


def worker(app: Flask, name: str = "test-worker") -> Worker:
    return Worker(app.extensions["esgscreen"].monitor, name=name)


def approve(app: Flask, changes: list[dict[str, Any]], summary: str = "change") -> int:
    client = app.test_client()
    curator, reviewer = key(app, "curator", "carol"), key(app, "reviewer", "rita")
    created = client.post("/api/v1/proposals", headers=curator,
                          json={"summary": summary, "changes": changes})
    assert created.status_code == 201, created.get_json()
    approved = client.post(f"/api/v1/proposals/{created.get_json()['id']}/approve",
                           headers=reviewer)
    assert approved.status_code == 200, approved.get_json()
    return approved.get_json()["result_version"]


def watch(client: FlaskClient, headers: dict[str, str], items: list[dict[str, Any]],
          url: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Global equities", "items": items, **extra}
    if url:
        body["webhook"] = {"url": url, "secret": SECRET}
    response = client.post("/api/v1/watches", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_ownership_change_reaches_the_holder_as_one_signed_delivery(app: Flask) -> None:
    client = app.test_client()
    pm = key(app, "screener", "pm-system")
    with receiving() as receiver:
        receiver.secret = SECRET
        created = watch(client, pm, [SUN, APPLE], receiver.url)
        assert created["items"] == 2 and created["errors"] == []
        assert "secret" not in created["webhook"]  # the client gave it
        version = approve(app, [CLOSE_CELLEBRITE], "Cellebrite's critical flag concluded")
        # Nothing happened yet: the publishing request only left a job.
        assert client.get(f"/api/v1/watches/{created['id']}/events",
                          headers=pm).get_json()["events"] == []
        assert worker(app).run_once()
        (received,) = receiver.wait_for(1)
    delivery = received.verified
    assert isinstance(delivery, dict), received.verified  # the signature checks out
    assert received.headers["webhook-id"].startswith("msg_")
    assert delivery["type"] == "watch.verdicts_changed"
    (event,) = delivery["data"]["events"]
    assert event["ref"] == "sun" and event["version"] == version
    assert event["before"]["rating"] == "orange" and event["after"]["rating"] == "yellow"
    assert event["before"]["action"] == "restrict" and event["after"]["action"] == "review"
    assert event["reason"] == ("Sun Corporation: rated yellow, was orange: "
                               "Cellebrite DI Ltd.'s critical flag concluded")
    events = client.get(f"/api/v1/watches/{created['id']}/events?since={version - 1}",
                        headers=pm).get_json()
    assert [e["ref"] for e in events["events"]] == ["sun"] and events["next_after"] is None
    log = client.get(f"/api/v1/watches/{created['id']}/deliveries", headers=pm).get_json()
    (entry,) = log["deliveries"]
    assert entry["state"] == "delivered" and entry["webhook_id"] == received.headers["webhook-id"]
    assert [a["status_code"] for a in entry["log"]] == [200]
    assert not worker(app).run_once()  # nothing left to do


def test_changes_names_derived_outcome_changes_with_their_path(app: Flask) -> None:
    client = app.test_client()
    version = approve(app, [CLOSE_CELLEBRITE])
    body = client.get(f"/api/v1/changes?since={version - 1}").get_json()
    assert body["entities"]["changed"] == ["cellebrite"]
    by_id = {o["entity_id"]: o for o in body["outcomes"]}
    assert by_id["cellebrite"]["kind"] == "direct"
    sun = by_id["sun-corporation"]
    assert sun["kind"] == "derived" and sun["via"] == "cellebrite"
    assert (sun["rating_before"], sun["rating_after"]) == ("orange", "yellow")
    assert sun["path"][0]["holder"] == "sun-corporation" and sun["path"][0]["share"] == 47.0
    assert by_id["twc-tech-holdings-ii"]["path"][0]["relation"] == "merged_into"
    # Paged by stable ids: the same ids come back page by page, in order.
    ids, after = [], None
    while True:
        query = f"/api/v1/changes?since={version - 1}&limit=1" + (f"&after={after}" if after
                                                                   else "")
        page = client.get(query).get_json()
        ids += [o["id"] for o in page["outcomes"]]
        after = page["next_after"]
        if after is None:
            break
    assert ids == [o["id"] for o in body["outcomes"]]
    again = client.get(f"/api/v1/changes?since={version - 1}").get_json()
    assert [o["id"] for o in again["outcomes"]] == ids
    bad = client.get("/api/v1/changes?since=0&limit=0")
    assert bad.status_code == 422, bad.get_json()
    assert "limit" in bad.get_json()["errors"]


def test_bad_items_are_reported_by_ref_and_the_good_ones_kept(app: Flask) -> None:
    client = app.test_client()
    pm = key(app, "screener", "pm")
    created = watch(client, pm, [SUN, {"ref": "bad", "isin": "XX"}, {"isin": "JP3336450006"},
                                 {"ref": "sun", "name": "dup"}, "text", APPLE])
    assert created["items"] == 2
    problems = {str(e["ref"]): e["error"]["field"] for e in created["errors"]}
    assert problems == {"bad": "isin", "2": "ref", "sun": "ref", "4": "ref"}
    items = client.get(f"/api/v1/watches/{created['id']}/items", headers=pm).get_json()
    assert [(i["ref"], i["status"], i["rating"]) for i in items] == [
        ("sun", "match", "orange"), ("aapl", "no_match", None)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "name"),
        ({"name": "x", "items": "nope"}, "items"),
        ({"name": "x", "items": [], "policy": "nope"}, "policy"),
        ({"name": "x", "items": [], "webhook": {"url": "ftp://example.org/"}}, "webhook.url"),
        ({"name": "x", "items": [], "webhook": {"url": "http://"}}, "webhook.url"),
        ({"name": "x", "items": [], "webhook": {"url": "https://example.org/",
                                                "secret": "short"}}, "webhook.secret"),
        ({"name": "x", "items": [], "webhook": "https://example.org/"}, "webhook"),
    ],
)
def test_bad_watch_requests_name_the_field(app: Flask, body: dict, field: str) -> None:
    response = app.test_client().post("/api/v1/watches", headers=key(app, "screener", "pm"),
                                      json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert field in errors or field in errors.get("json", {})


def test_private_addresses_are_refused_unless_allowed(app: Flask) -> None:
    strict = make_app(app.config["DATABASE_URL"], WEBHOOK_ALLOW_PRIVATE=False)
    client = strict.test_client()
    pm = key(strict, "screener", "pm")
    for url in ("http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://localhost/x",
                "http://[::1]/x", "http://169.254.169.254/latest", "http://192.168.0.1/"):
        response = client.post("/api/v1/watches", headers=pm, json={
            "name": "x", "items": [], "webhook": {"url": url}})
        assert response.status_code == 422, url
        assert "webhook.url" in response.get_json()["errors"]
    with_key = app.test_client().post("/api/v1/watches", headers=pm, json={
        "name": "x", "items": [], "webhook": {"url": "http://127.0.0.1:9/hook"}})
    assert with_key.status_code == 201
    assert with_key.get_json()["webhook"]["secret"].startswith("whsec_")  # made, shown once
    again = app.test_client().get(f"/api/v1/watches/{with_key.get_json()['id']}", headers=pm)
    assert "secret" not in again.get_json()["webhook"]


def test_a_watch_belongs_to_its_key(app: Flask) -> None:
    client = app.test_client()
    mine, theirs = key(app, "screener", "mine"), key(app, "screener", "theirs")
    admin = key(app, "admin", "ada")
    created = watch(client, mine, [SUN])
    assert client.post("/api/v1/watches", json={"name": "x", "items": []}).status_code == 401
    assert client.get(f"/api/v1/watches/{created['id']}", headers=theirs).status_code == 404
    assert client.delete(f"/api/v1/watches/{created['id']}", headers=theirs).status_code == 404
    assert client.get("/api/v1/watches", headers=theirs).get_json() == []
    assert [w["id"] for w in client.get("/api/v1/watches", headers=admin).get_json()] == [
        created["id"]]
    assert client.get(f"/api/v1/watches/{created['id']}", headers=admin).status_code == 200
    assert client.delete(f"/api/v1/watches/{created['id']}", headers=mine).status_code == 204
    assert client.get(f"/api/v1/watches/{created['id']}", headers=mine).status_code == 404
    actions = [e["action"] for e in client.get("/api/v1/audit", headers=admin).get_json()]
    assert "watch.create" in actions and "watch.delete" in actions


def test_items_are_replaced_or_patched_without_losing_history(app: Flask) -> None:
    client = app.test_client()
    pm = key(app, "screener", "pm")
    created = watch(client, pm, [SUN, APPLE])
    path = f"/api/v1/watches/{created['id']}"
    version = approve(app, [CLOSE_CELLEBRITE])
    worker(app).run_once()
    patched = client.patch(path, headers=pm, json={
        "add": [{"ref": "nso", "name": "NSO Group"}], "remove": ["aapl", "ghost"]})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["items"] == 2
    assert patched.get_json()["errors"] == [
        {"ref": "ghost", "error": {"field": "remove", "message": "no such ref"}}]
    replaced = client.put(path, headers=pm, json={"name": "Renamed", "items": [SUN, APPLE]})
    assert replaced.status_code == 200 and replaced.get_json()["name"] == "Renamed"
    refs = [i["ref"] for i in client.get(f"{path}/items", headers=pm).get_json()]
    assert refs == ["sun", "aapl"]
    events = client.get(f"{path}/events", headers=pm).get_json()["events"]
    assert [(e["ref"], e["version"]) for e in events] == [("sun", version)]
    # The holding's stored verdict is the new one: the next version compares against it.
    sun = next(i for i in client.get(f"{path}/items", headers=pm).get_json()
               if i["ref"] == "sun")
    assert sun["rating"] == "yellow"


def test_a_receiver_answering_500_then_200_gets_the_same_webhook_id(app: Flask) -> None:
    fast = make_app(app.config["DATABASE_URL"], WEBHOOK_RETRY_BASE=0.05)
    client = fast.test_client()
    pm = key(fast, "screener", "pm")
    script = {0: (500, {}), 1: (503, {"Retry-After": "1"})}
    with receiving(lambda n: script.get(n, (200, {}))) as receiver:
        receiver.secret = SECRET
        created = watch(client, pm, [SUN], receiver.url)
        approve(fast, [CLOSE_CELLEBRITE])
        w = worker(fast)
        deadline = time.monotonic() + 20
        while len(receiver.requests) < 3 and time.monotonic() < deadline:
            w.run_once()
            time.sleep(0.05)
        requests = receiver.wait_for(3)
    assert len(requests) == 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert all(isinstance(r.verified, dict) for r in requests)
    log = client.get(f"/api/v1/watches/{created['id']}/deliveries", headers=pm).get_json()
    (entry,) = log["deliveries"]
    assert entry["state"] == "delivered" and entry["attempts"] == 3
    attempts = entry["log"]
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    # Retry-After: 1 was honoured (the backoff alone would have been ~0.1 s).
    from datetime import datetime

    asked = datetime.fromisoformat(attempts[1]["next_attempt_at"])
    assert (asked - datetime.fromisoformat(attempts[1]["at"])).total_seconds() >= 0.99
    assert datetime.fromisoformat(attempts[2]["at"]) >= asked


def test_an_endpoint_failing_long_enough_pauses_the_watch(app: Flask) -> None:
    failing = make_app(app.config["DATABASE_URL"], WEBHOOK_RETRY_BASE=0.05,
                       WEBHOOK_PAUSE_AFTER=0.5)
    client = failing.test_client()
    pm = key(failing, "screener", "pm")
    with receiving(always(500)) as receiver:
        receiver.secret = SECRET
        created = watch(client, pm, [SUN], receiver.url)
        path = f"/api/v1/watches/{created['id']}"
        approve(failing, [CLOSE_CELLEBRITE])
        w = worker(failing)
        deadline = time.monotonic() + 20
        while client.get(path, headers=pm).get_json()["state"] == "active":
            assert time.monotonic() < deadline
            w.run_once()
            time.sleep(0.05)
        paused = client.get(path, headers=pm).get_json()
        assert "has failed since" in paused["paused_reason"]
        count = len(receiver.requests)
        w.run_once()
        assert len(receiver.requests) == count  # a paused watch gets nothing
    with receiving() as healthy:
        healthy.secret = SECRET
        resumed = client.patch(path, headers=pm, json={
            "paused": False, "webhook": {"url": healthy.url, "secret": SECRET}})
        assert resumed.get_json()["state"] == "active"
        w.run_once()
        (received,) = healthy.wait_for(1)
    assert isinstance(received.verified, dict)
    assert payload(received)["data"]["events"][0]["ref"] == "sun"


def test_two_workers_racing_send_each_delivery_once(app: Flask) -> None:
    client = app.test_client()
    pm = key(app, "screener", "pm")
    with receiving() as receiver:
        receiver.secret = SECRET
        for n in range(6):
            watch(client, pm, [dict(SUN, ref=f"sun-{n}")], receiver.url, name=f"Book {n}")
        approve(app, [CLOSE_CELLEBRITE])
        racers = [worker(app, f"racer-{n}") for n in range(2)]
        start = threading.Barrier(2)

        def race(w: Worker) -> None:
            start.wait()
            for _ in range(5):
                w.run_once()

        threads = [threading.Thread(target=race, args=(w,)) for w in racers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        requests = receiver.wait_for(6)
        time.sleep(0.2)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == 6 and len(set(ids)) == 6
    watches = {payload(r)["data"]["watch_id"] for r in requests}
    assert len(watches) == 6


APPLE_ISIN_TO_NSO = {"op": "add_identifier", "entity_id": "nso-group",
                     "identifier": {"type": "isin", "value": "US0378331005",
                                    "confidence": "low", "source": "https://example.org/typo"}}


def test_a_reviewer_sees_the_consequences_before_approving(app: Flask) -> None:
    client = app.test_client()
    curator, reviewer = key(app, "curator", "carol"), key(app, "reviewer", "rita")
    for n, weight in enumerate((2.0, 9.0, 4.0)):
        pm = key(app, "screener", f"pm-{n}")
        watch(client, pm, [dict(APPLE, weight=weight), dict(SUN, weight=1.0 + n)],
              name=f"Fund {n}")
    typo = client.post("/api/v1/proposals", headers=curator, json={
        "summary": "NSO's ISIN", "changes": [APPLE_ISIN_TO_NSO]}).get_json()
    effects = client.get(f"/api/v1/proposals/{typo['id']}/consequences",
                         headers=reviewer).get_json()
    (held,) = effects["held_identifiers"]
    assert held["message"].startswith(
        "This ISIN (US0378331005) is held as 'Apple Inc.' in 3 watched portfolios")
    assert effects["holdings"]["changed"] == 3 and effects["holdings"]["watches"] == 3
    largest = effects["holdings"]["largest"]
    assert [h["weight"] for h in largest] == [9.0, 4.0, 2.0]
    assert largest[0]["after"]["entity_id"] == "nso-group"
    assert largest[0]["after"]["action"] == "exclude" and largest[0]["before"]["action"] == "clear"
    assert effects["entities"] == []  # no rating moves: only who matches

    closing = client.post("/api/v1/proposals", headers=curator, json={
        "summary": "close", "changes": [CLOSE_CELLEBRITE]}).get_json()
    effects = client.get(f"/api/v1/proposals/{closing['id']}/consequences",
                         headers=reviewer).get_json()
    kinds = {e["entity_id"]: e["kind"] for e in effects["entities"]}
    assert kinds["cellebrite"] == "direct" and kinds["sun-corporation"] == "derived"
    assert effects["holdings"]["changed"] == 3
    assert [h["weight"] for h in effects["holdings"]["largest"]] == [3.0, 2.0, 1.0]
    assert effects["held_identifiers"] == []
    assert client.get(f"/api/v1/proposals/{closing['id']}/consequences",
                      headers=key(app, "screener", "nosy")).status_code == 403
    assert client.get("/api/v1/proposals/999/consequences",
                      headers=reviewer).status_code == 404


def test_hostile_watch_bodies_never_fail_the_server(app: Flask) -> None:
    import random

    from tests.api.test_fuzz import NASTY

    client = app.test_client()
    pm = key(app, "screener", "pm")
    created = watch(client, pm, [SUN])
    rng = random.Random(7)
    values: list[Any] = [*NASTY, None, 0, -1, 1e308, True, [], {}, [None], [{}], {"url": None},
                         {"url": "http://127.0.0.1:1/x", "secret": 5}, [{"ref": []}],
                         [{"ref": "x", "weight": "heavy"}], [{"ref": "y", "isin": ["a"]}]]
    fields = ["name", "items", "webhook", "policy", "add", "remove", "paused"]
    for _ in range(60):
        body = {rng.choice(fields): rng.choice(values) for _ in range(rng.randint(0, 4))}
        for method, path in (("post", "/api/v1/watches"),
                             ("put", f"/api/v1/watches/{created['id']}"),
                             ("patch", f"/api/v1/watches/{created['id']}")):
            response = getattr(client, method)(path, headers=pm, json=body)
            assert response.status_code < 500, (method, body, response.data[:300])
    for query in ("since=-1", "since=x", "after=-5", "limit=100000", "limit=abc"):
        response = client.get(f"/api/v1/watches/{created['id']}/events?{query}", headers=pm)
        assert response.status_code == 422, query


def test_a_watch_holds_at_most_the_configured_number_of_items(app: Flask) -> None:
    small = make_app(app.config["DATABASE_URL"], MAX_WATCH_ITEMS=2)
    client = small.test_client()
    pm = key(small, "screener", "pm")
    items = [dict(SUN, ref=f"h{n}") for n in range(3)]
    response = client.post("/api/v1/watches", headers=pm, json={"name": "x", "items": items})
    assert response.status_code == 413 and "items" in response.get_json()["errors"]
    created = watch(client, pm, items[:2])
    for add in (items, items[2:]):  # too long a list; one more than the watch may hold
        grown = client.patch(f"/api/v1/watches/{created['id']}", headers=pm, json={"add": add})
        assert grown.status_code == 413, grown.get_json()
    assert client.get(f"/api/v1/watches/{created['id']}", headers=pm).get_json()["items"] == 2


def test_a_disposition_on_a_holding_applies_to_that_holding_only(app: Flask) -> None:
    client = app.test_client()
    pm, other = key(app, "screener", "pm-system"), key(app, "screener", "someone-else")
    paragon = {"ref": "pf", "name": "Paragon", "weight": 1.0}
    created = watch(client, pm, [paragon, SUN])
    items = f"/api/v1/watches/{created['id']}/items"
    (held,) = [i for i in client.get(items, headers=pm).get_json() if i["ref"] == "pf"]
    assert held["status"] == "possible_match" and held["entity_id"] == "paragon-solutions"
    body = {"entity_id": "paragon-solutions", "decision": "false_positive",
            "note": "Our Paragon is a property fund.", "watch_id": created["id"], "ref": "pf"}

    no_ref = {k: v for k, v in body.items() if k != "ref"}
    no_watch = {k: v for k, v in body.items() if k != "watch_id"}
    for bad, field in ((no_ref, "ref"), (no_watch, "watch_id"), ({**body, "ref": "nope"}, "ref"),
                       ({**body, "query": {"name": "Paragon"}}, "query")):
        refused = client.post("/api/v1/dispositions", headers=pm, json=bad)
        assert refused.status_code == 422, (bad, refused.get_json())
        assert field in refused.get_json()["errors"], (bad, refused.get_json())
    foreign = client.post("/api/v1/dispositions", headers=other, json=body)
    assert foreign.status_code == 404, foreign.get_json()

    recorded = client.post("/api/v1/dispositions", headers=pm, json=body)
    assert recorded.status_code == 201, recorded.get_json()
    disposition = recorded.get_json()
    assert disposition["watch_id"] == created["id"] and disposition["ref"] == "pf"
    (held,) = [i for i in client.get(items, headers=pm).get_json() if i["ref"] == "pf"]
    assert held["status"] == "no_match" and held["entity_id"] is None
    (event,) = client.get(f"/api/v1/watches/{created['id']}/events",
                          headers=pm).get_json()["events"]
    assert event["ref"] == "pf" and event["before"]["status"] == "possible_match"
    assert event["after"]["status"] == "no_match" and "property fund" in event["reason"]
    # Only that holding: the same query screened elsewhere still shows the candidate.
    assert client.get("/api/v1/screen?name=Paragon", headers=pm).get_json()[
        "status"] == "possible_match"

    # Re-screened against a new version, the holding stays decided (no event for it).
    version = approve(app, [CLOSE_CELLEBRITE])
    assert worker(app).run_once()
    events = client.get(f"/api/v1/watches/{created['id']}/events?since={version - 1}",
                        headers=pm).get_json()["events"]
    assert [e["ref"] for e in events] == ["sun"]
    (held,) = [i for i in client.get(items, headers=pm).get_json() if i["ref"] == "pf"]
    assert held["status"] == "no_match"

    revoked = client.delete(f"/api/v1/dispositions/{disposition['id']}", headers=pm)
    assert revoked.status_code == 200, revoked.get_json()
    (held,) = [i for i in client.get(items, headers=pm).get_json() if i["ref"] == "pf"]
    assert held["status"] == "possible_match" and held["entity_id"] == "paragon-solutions"
    last = client.get(f"/api/v1/watches/{created['id']}/events?since={version - 1}",
                      headers=pm).get_json()["events"][-1]
    assert last["ref"] == "pf" and "revoked" in last["reason"]
