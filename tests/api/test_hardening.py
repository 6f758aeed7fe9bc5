"""Regression tests of issue 15's findings, on both backends: each bad input answers a clear
4xx naming the field (or a row warning or error in a batch), never a 500."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from esgscreen.core import bounds
from esgscreen.service.loading import load_directory
from esgscreen.store import audit, keys, users
from esgscreen.store.db import Store
from tests.conftest import WATCHLIST_DIR, make_app

PASSWORD = "correct horse battery"


@pytest.fixture
def hard_app(store: Store) -> Flask:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    app = make_app(store.url, WTF_CSRF_ENABLED=False, RATE_LIMIT="")
    with store.write() as session:
        for name, role in (("carla", "curator"), ("rita", "reviewer"), ("ada", "admin")):
            users.create_user(session, name, PASSWORD, role, audit.CLI)
    return app


def _key(app: Flask, role: str) -> dict[str, str]:
    with app.extensions["esgscreen"].store.write() as session:
        _, secret = keys.create_key(session, f"{role}-key", role, audit.CLI)
    return {"Authorization": f"Bearer {secret}"}


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    if field is not None:
        assert field in body["errors"], body
        assert field in body["detail"] or body["errors"][field]
    return body


def _strict_json(response: Any) -> Any:
    """The body, refusing Infinity and NaN, which are not JSON."""
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in a JSON answer")
    return json.loads(response.data, parse_constant=refuse)


# 1 and 2: as_of and ids ------------------------------------------------------------------

BAD_AS_OF = ["¹", "١٢", "0", "-1", str(2**31), str(2**63), "9" * 30, "2021-13-45", "x"]


def test_a_bad_as_of_is_a_422_naming_it(hard_app: Flask) -> None:
    client = hard_app.test_client()
    for as_of in BAD_AS_OF:
        for path in ("/api/v1/screen", "/api/v1/entities", "/api/v1/entities/nso-group"):
            _problem(client.get(path, query_string={"q": "NSO", "as_of": as_of}), 422,
                     "as_of")
        for path in ("/", "/entities/nso-group", "/record"):
            response = client.get(path, query_string={"q": "NSO", "as_of": as_of})
            assert response.status_code == 422, (path, as_of)


def test_proposal_ids_beyond_the_column_are_404(hard_app: Flask) -> None:
    client = hard_app.test_client()
    headers = _key(hard_app, "admin")
    for proposal_id in (2**31, 2**63, 10**30, 0):
        _problem(client.get(f"/api/v1/proposals/{proposal_id}", headers=headers), 404)
        for action in ("approve", "withdraw"):
            _problem(client.post(f"/api/v1/proposals/{proposal_id}/{action}",
                                 headers=headers), 404)
        _problem(client.post(f"/api/v1/proposals/{proposal_id}/reject", headers=headers,
                             json={"reason": "no"}), 404)
    _sign_in(client, "rita")
    assert client.get(f"/curation/proposals/{2**31}").status_code == 404


# 3: NUL and control characters ---------------------------------------------------------------


def _sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login", data={"username": username, "password": password})


def test_a_nul_in_the_sign_in_form_is_a_failed_attempt_audited(hard_app: Flask) -> None:
    client = hard_app.test_client()
    response = _sign_in(client, "car\x00la")
    assert response.status_code == 200
    assert "Wrong username or password" in response.get_data(as_text=True)
    with hard_app.extensions["esgscreen"].store.read() as session:
        events = audit.list_events(session, action="user.sign_in_failed")
    assert [e.subject for e in events] == ["user:car\\x00la"]
    assert _sign_in(client, "carla", "pass\x00word!!").status_code == 200


@pytest.mark.parametrize("character", ["\x00", "\x1b"])
def test_control_characters_are_refused_naming_the_field(hard_app: Flask,
                                                         character: str) -> None:
    client = hard_app.test_client()
    curator, reviewer, admin = (_key(hard_app, r) for r in ("curator", "reviewer", "admin"))
    change = {"op": "add_evidence", "entity_id": "nso-group", "code": "targeted_spyware",
              "evidence": {"url": "https://example.org/a", "publisher": "Example",
                           "authority": "established"}}
    _problem(client.post("/api/v1/proposals", headers=curator,
                         json={"summary": f"a{character}b", "changes": [change]}), 422, "summary")
    bad_change = {**change, "evidence": {"url": "https://example.org/a",
                                         "publisher": f"Ex{character}ample",
                                         "authority": "established"}}
    _problem(client.post("/api/v1/proposals", headers=curator,
                         json={"summary": "fine", "changes": [bad_change]}), 422)
    created = client.post("/api/v1/proposals", headers=curator,
                          json={"summary": "fine", "changes": [change]})
    assert created.status_code == 201, created.data
    proposal = created.get_json()["id"]
    _problem(client.post(f"/api/v1/proposals/{proposal}/reject", headers=reviewer,
                         json={"reason": f"no{character}"}), 422, "reason")
    for name in ("action", "subject", "actor"):
        _problem(client.get("/api/v1/audit", headers=admin,
                            query_string={name: f"x{character}"}), 422, name)
    _problem(client.get("/api/v1/screen", query_string={"q": f"NSO{character}"}), 422, "q")
    assert client.get("/", query_string={"q": f"NSO{character}"}).status_code == 422
    _sign_in(client, "carla")
    page = client.post("/curation/entities/nso-group/evidence", data={
        "flag": "targeted_spyware", "evidence_url": "https://example.org/x",
        "evidence_publisher": f"P{character}", "evidence_authority": "established"})
    assert page.status_code == 422


# 4: weights ----------------------------------------------------------------------------------


def test_weights_are_finite_and_not_negative_or_a_row_warning(hard_app: Flask) -> None:
    client = hard_app.test_client()
    body = ('{"items": [{"ref": "big", "name": "NSO Group", "weight": 1' + "0" * 400 + '},'
            '{"ref": "a", "name": "Cellebrite", "weight": 1e308},'
            '{"ref": "b", "name": "Sandvine", "weight": 1e308},'
            '{"ref": "neg", "name": "Intellexa", "weight": -5},'
            '{"ref": "ok", "name": "Microsoft Corporation", "weight": 2.5}]}')
    response = client.post("/api/v1/screen", data=body, content_type="application/json")
    assert response.status_code == 200
    result = _strict_json(response)
    rows = {r["ref"]: r for r in result["results"]}
    for ref in ("big", "a", "b", "neg"):
        assert rows[ref]["status"] != "error" and rows[ref]["weight"] is None
        assert [w["field"] for w in rows[ref]["warnings"]] == ["weight"]
    assert result["summary"]["weight"]["total"] == 2.5
    assert result["summary"]["with_warnings"] == 4


def test_one_bad_identifier_leaves_the_others_to_screen(hard_app: Flask) -> None:
    client = hard_app.test_client()
    items = [
        {"ref": 1, "name": "NSO Group Technologies", "isin": "IL0011794801"},
        {"ref": 2, "isin": "IL0011794801"},
        {"ref": 3, "name": "Cellebrite", "ticker": "CLBT", "exchange": "!!"},
        {"ref": 4, "name": ["not text"], "lei": "5493001KJTIIGC8Y1R12"},
        {"ref": 5, "name": "x" * (bounds.QUERY_TEXT + 1)},
        {"ref": 6, "name": "Sandvine", "cusip": "\x00"},
    ]
    result = _strict_json(client.post("/api/v1/screen", json={"items": items}))
    rows = {r["ref"]: r for r in result["results"]}
    assert rows[1]["status"] == "match" and rows[1]["warnings"][0]["field"] == "isin"
    assert rows[2]["status"] == "error" and rows[2]["error"]["field"] == "isin"
    assert rows[3]["status"] != "error" and rows[3]["warnings"][0]["field"] == "exchange"
    assert rows[4]["status"] != "error" and rows[4]["warnings"][0]["field"] == "name"
    assert rows[5]["status"] == "error" and rows[5]["error"]["field"] == "name"
    assert rows[6]["status"] == "match" and rows[6]["warnings"][0]["field"] == "cusip"


# 5: argument errors name the field -------------------------------------------------------------


def test_argument_errors_name_the_field(hard_app: Flask) -> None:
    client = hard_app.test_client()
    _problem(client.get("/api/v1/changes"), 422, "since")
    _problem(client.get("/api/v1/changes?since=99999999999"), 422, "since")
    _problem(client.get("/api/v1/entities?page_size=0"), 422, "page_size")
    _problem(client.get("/api/v1/entities?kind=nonsense"), 422, "kind")
    _problem(client.post("/api/v1/screen", data="{", content_type="application/json"),
             400, "body")
    _problem(client.post("/api/v1/screen", json={"items": "x"}), 422, "items")
    result = client.post("/api/v1/screen", json={"items": [1, {"name": "NSO Group"}]})
    assert result.status_code == 200
    rows = result.get_json()["results"]
    assert rows[0]["status"] == "error" and rows[0]["error"]["field"] == "item"
    assert rows[1]["status"] == "match"


# 6: rate limits on pages, shared with the API --------------------------------------------------


def test_pages_that_screen_share_the_apis_limit(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    app = make_app(store.url, RATE_LIMIT="6 per minute", WTF_CSRF_ENABLED=False)
    client = app.test_client()
    statuses = [client.get("/api/v1/screen?q=NSO").status_code,
                client.get("/?q=NSO").status_code,
                client.get("/suggest?q=ns").status_code,
                client.get("/entities/nso-group").status_code,
                client.get("/record?q=NSO").status_code]
    page = client.get("/?q=Cellebrite")
    assert statuses == [200] * 5 and page.status_code == 200
    assert page.headers["RateLimit-Remaining"] == "0"
    refused = client.get("/?q=Sandvine")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/screen?q=NSO").status_code == 429
    assert client.get("/readyz").status_code == 200  # health is not limited


def test_proxy_headers_only_from_trusted_hops(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    for hops, expected in ((0, [200, 429]), (1, [200, 200])):
        app = make_app(store.url, RATE_LIMIT="1 per minute", TRUSTED_PROXIES=hops)
        client = app.test_client()
        codes = [client.get("/api/v1/screen?q=NSO",
                            headers={"X-Forwarded-For": address}).status_code
                 for address in ("203.0.113.1", "203.0.113.2")]
        assert codes == expected, hops


# 7: sessions ----------------------------------------------------------------------------------


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


@pytest.mark.parametrize("ending", ["logout", "password", "disable"])
def test_a_copied_session_cookie_is_refused_once_the_session_ends(hard_app: Flask,
                                                                  ending: str) -> None:
    client = hard_app.test_client()
    assert _sign_in(client, "carla").status_code == 302
    copied = _cookie(client)
    other = hard_app.test_client()  # a second device of the same user
    _sign_in(other, "carla")
    assert client.get("/curation/").status_code == 200
    store = hard_app.extensions["esgscreen"].store
    if ending == "logout":
        client.post("/logout")
    elif ending == "password":
        with store.write() as session:
            users.set_password(session, "carla", "a new password 2", audit.CLI)
    else:
        with store.write() as session:
            users.disable_user(session, "carla", audit.CLI)
    thief = hard_app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/curation/").status_code == 302
    assert other.get("/curation/").status_code == 302
    if ending == "password":
        assert _sign_in(hard_app.test_client(), "carla", "a new password 2").status_code == 302


def test_session_cookies_are_secure_over_https(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    with store.write() as session:
        users.create_user(session, "carla", PASSWORD, "curator", audit.CLI)
    proxied = {"X-Forwarded-Proto": "https"}
    form = {"username": "carla", "password": PASSWORD}
    behind = make_app(store.url, WTF_CSRF_ENABLED=False, TRUSTED_PROXIES=1).test_client()
    cookie = behind.post("/login", data=form, headers=proxied).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    direct = make_app(store.url, WTF_CSRF_ENABLED=False).test_client()
    assert "Secure" not in direct.post("/login", data=form, headers=proxied).headers[
        "Set-Cookie"]
    assert "Secure" in direct.post("/login", data=form,
                                   base_url="https://localhost").headers["Set-Cookie"]


# 9: the contract ------------------------------------------------------------------------------


def test_empty_changes_and_huge_texts_are_refused(hard_app: Flask) -> None:
    client = hard_app.test_client()
    curator = _key(hard_app, "curator")
    _problem(client.post("/api/v1/proposals", headers=curator,
                         json={"summary": "x", "changes": []}), 422, "changes")
    _problem(client.post("/api/v1/proposals", headers=curator,
                         json={"summary": "x" * (bounds.SUMMARY + 1),
                               "changes": [{"op": "retire_entity", "entity_id": "x"}]}),
             422, "summary")
    entity = {"id": "huge-co", "name": "Huge Co", "kind": "vendor",
              "description": "d" * (bounds.PARAGRAPH + 1)}
    body = _problem(client.post("/api/v1/proposals", headers=curator, json={
        "summary": "huge", "changes": [{"op": "upsert_entity", "entity": entity}]}), 422)
    assert "description" in json.dumps(body["errors"])


def test_the_document_says_what_is_sent(hard_app: Flask) -> None:
    client = hard_app.test_client()
    document = client.get("/openapi.json").get_json()
    header = document["components"]["headers"]["PAGINATION"]
    assert header["schema"] == {"type": "string"}
    page = client.get("/api/v1/entities?page_size=2")
    assert isinstance(json.loads(page.headers["X-Pagination"]), dict)
    errors = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(errors) == ["application/problem+json"]
    screen_422 = document["paths"]["/api/v1/screen"]["get"]["responses"]["422"]["content"]
    assert list(screen_422) == ["application/problem+json"]
    post = document["paths"]["/api/v1/proposals"]["post"]["requestBody"]["content"]
    changes = next(iter(post.values()))["schema"]
    assert "$ref" in changes


# a seeded mix of all of the above --------------------------------------------------------------

NASTY_TEXT = ["\x00", "a\x00b", "\x1b[31m", "¹", "١٢٣", str(2**31), str(2**63), "0", "-1",
              "9" * 40, "x" * 600, "\u202e", "%00", "1e999999", "NaN", "Infinity"]
NASTY_WEIGHTS: list[Any] = [1e308, -1, 0, "1e999999", True, None, [], {}, "12%", 10**30]


def test_a_seeded_mix_of_bad_inputs_never_fails_the_server(hard_app: Flask) -> None:
    client = hard_app.test_client()
    admin = _key(hard_app, "admin")
    rng = random.Random(15)
    gets = ["/api/v1/screen", "/api/v1/entities", "/api/v1/entities/nso-group",
            "/api/v1/changes", "/api/v1/audit", "/api/v1/proposals", "/", "/record",
            "/entities/nso-group", "/suggest", "/curation/"]
    params = ["q", "name", "isin", "lei", "ticker", "exchange", "as_of", "since", "action",
              "subject", "actor", "page", "page_size", "kind", "status", "policy"]
    for _ in range(150):
        path = rng.choice(gets)
        query = {rng.choice(params): rng.choice(NASTY_TEXT) for _ in range(rng.randint(1, 3))}
        response = client.get(path, query_string=query, headers=admin)
        assert response.status_code < 500, (path, query, response.data[:300])
        if path.startswith("/api/") and response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
    for _ in range(40):
        items = [{rng.choice(params[:6]): rng.choice(NASTY_TEXT),
                  "weight": rng.choice(NASTY_WEIGHTS)} for _ in range(rng.randint(1, 5))]
        response = client.post("/api/v1/screen", json={"items": items})
        assert response.status_code == 200, (items, response.data[:300])
        _strict_json(response)
    for proposal_id in (str(2**31), str(2**63), "¹", "١"):
        response = client.get(f"/api/v1/proposals/{proposal_id}", headers=admin)
        assert response.status_code == 404, (proposal_id, response.data[:200])
