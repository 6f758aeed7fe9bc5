"""The curation pages: propose, add evidence, close a flag, review queue, approve and reject,
through the Flask client on both backends and in a real browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from esgscreen.service.loading import load_directory
from esgscreen.store import audit, repository, users
from esgscreen.store.db import Store
from tests.conftest import WATCHLIST_DIR, make_app
from tests.web.conftest import _start, csrf_token, shot, web_config

PASSWORD = "a long enough password"


def make_users(app: Flask) -> None:
    with app.extensions["esgscreen"].store.write() as session:
        for name, role in (("carol", "curator"), ("cody", "curator"), ("rita", "reviewer"),
                           ("sam", "screener")):
            users.create_user(session, name, PASSWORD, role, audit.CLI)


def sign_in(client: FlaskClient, username: str) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/curation/"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


@pytest.fixture
def curation_app(store: Store) -> Flask:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    app = make_app(store.url, LOGIN_RATE_LIMIT="")
    make_users(app)
    return app


NEW_ENTITY = {
    "summary": "Add Example Spyware",
    "id": "example-spyware",
    "name": "Example Spyware Ltd",
    "kind": "vendor",
    "country": "CY",
    "aliases": "ExSpy\nExample Spy",
    "identifiers": "lei 5493001KJTIIGC8Y1R12",
    "identifier_confidence": "medium",
    "identifier_source": "https://example.org/registry",
    "flag_code": "targeted_spyware",
    "flag_severity": "critical",
    "flag_status": "ongoing",
    "flag_since": "2025-06",
    "flag_summary": "Sells spyware to governments, per a forensic report.",
    "evidence_url": "https://example.org/report",
    "evidence_publisher": "Example Lab",
    "evidence_authority": "primary",
    "evidence_date": "2025-06-01",
}


def test_pages_need_a_signed_in_curator(curation_app: Flask) -> None:
    client = curation_app.test_client()
    response = client.get("/curation/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    sign_in(client, "sam")
    assert client.get("/curation/").status_code == 403
    assert client.get("/curation/propose/entity").status_code == 403


def test_propose_review_and_approve_through_the_forms(curation_app: Flask) -> None:
    carol = curation_app.test_client()
    sign_in(carol, "carol")
    form = {**NEW_ENTITY, "csrf_token": csrf_token(carol, "/curation/propose/entity")}
    response = carol.post("/curation/propose/entity", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    proposal_url = response.headers["Location"]
    page = carol.get(proposal_url).get_data(as_text=True)
    assert "Example Spyware Ltd" in page and "diff-add" in page
    assert "This is your proposal" in page and "Approve and publish" not in page
    proposal_id = int(re.search(r"/proposals/(\d+)", proposal_url).group(1))
    own = carol.post(f"/curation/proposals/{proposal_id}/approve",
                     data={"csrf_token": csrf_token(carol, proposal_url)})
    assert own.status_code == 403  # a curator may not approve at all

    rita = curation_app.test_client()
    sign_in(rita, "rita")
    queue = rita.get("/curation/").get_data(as_text=True)
    assert "Add Example Spyware" in queue
    approved = rita.post(f"/curation/proposals/{proposal_id}/approve",
                         data={"csrf_token": csrf_token(rita, proposal_url)})
    assert approved.status_code == 303
    assert "published as watchlist version 2" in rita.get(proposal_url).get_data(as_text=True)
    with curation_app.extensions["esgscreen"].store.read() as session:
        entity = repository.load_watchlist(session).entities["example-spyware"]
    assert entity.flags[0].evidence[0].publisher == "Example Lab"
    assert entity.flags[0].evidence[0].authority == "primary"
    screened = rita.get("/api/v1/screen?lei=5493001KJTIIGC8Y1R12").get_json()
    assert screened["matches"][0]["entity"]["id"] == "example-spyware"


def test_bad_proposals_are_explained_and_nothing_is_recorded(curation_app: Flask) -> None:
    carol = curation_app.test_client()
    sign_in(carol, "carol")
    token = csrf_token(carol, "/curation/propose/entity")
    bad = {**NEW_ENTITY, "identifiers": "isin IL0011794801", "csrf_token": token}
    response = carol.post("/curation/propose/entity", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "check digit" in page or "checksum" in page
    assert 'value="Example Spyware Ltd"' in page  # what was typed is kept
    no_evidence = {**NEW_ENTITY, "evidence_url": "", "evidence_publisher": "",
                   "csrf_token": token}
    assert carol.post("/curation/propose/entity", data=no_evidence).status_code == 422
    ungraded = {**NEW_ENTITY, "evidence_authority": "", "csrf_token": token}
    response = carol.post("/curation/propose/entity", data=ungraded)
    assert response.status_code == 422
    assert "authority: is required" in response.get_data(as_text=True)
    taken = {**NEW_ENTITY, "id": "nso-group", "csrf_token": token}
    assert "already an entity" in carol.post("/curation/propose/entity",
                                             data=taken).get_data(as_text=True)
    no_token = carol.post("/curation/propose/entity", data=NEW_ENTITY)
    assert no_token.status_code == 400
    with curation_app.extensions["esgscreen"].store.read() as session:
        from esgscreen.store import proposals

        assert proposals.list_proposals(session) == []


def test_add_evidence_close_flag_and_reject(curation_app: Flask) -> None:
    cody = curation_app.test_client()
    sign_in(cody, "cody")
    page = cody.get("/curation/entities/sandvine/evidence").get_data(as_text=True)
    flag_value = re.search(r'<option value="([a-z_]+\|[0-9-]*)"', page).group(1)
    response = cody.post("/curation/entities/sandvine/evidence", data={
        "flag": flag_value, "evidence_url": "https://example.org/new",
        "evidence_publisher": "Example Lab", "evidence_authority": "established",
        "evidence_date": "2026-02",
        "csrf_token": csrf_token(cody, "/curation/entities/sandvine/evidence")})
    assert response.status_code == 303
    evidence_url = response.headers["Location"]
    assert "https://example.org/new" in cody.get(evidence_url).get_data(as_text=True)

    page = cody.get("/curation/entities/nso-group/close").get_data(as_text=True)
    open_flag = re.search(r'<option value="([a-z_]+\|[0-9-]*)"', page).group(1)
    no_reason = cody.post("/curation/entities/nso-group/close", data={
        "flag": open_flag, "csrf_token": csrf_token(cody, "/curation/entities/nso-group/close")})
    assert no_reason.status_code == 422
    closed = cody.post("/curation/entities/nso-group/close", data={
        "flag": open_flag, "summary": "Listing lifted (test)",
        "csrf_token": csrf_token(cody, "/curation/entities/nso-group/close")})
    assert closed.status_code == 303
    assert "status: concluded" in cody.get(closed.headers["Location"]).get_data(as_text=True)

    rita = curation_app.test_client()
    sign_in(rita, "rita")
    token = csrf_token(rita, closed.headers["Location"])
    proposal_id = closed.headers["Location"].rsplit("/", 1)[1]
    rejected = rita.post(f"/curation/proposals/{proposal_id}/reject",
                         data={"reason": "No source given", "csrf_token": token})
    assert rejected.status_code == 303
    page = rita.get(closed.headers["Location"]).get_data(as_text=True)
    assert "No source given" in page and "proposal-rejected" in page
    assert cody.get("/curation/entities/no-such/evidence").status_code == 404


# in the browser -----------------------------------------------------------------------


@pytest.fixture
def curation_server(tmp_path) -> Iterator[str]:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'curation.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    store.dispose()
    from esgscreen.app import create_app

    app = create_app(web_config(url, LOGIN_RATE_LIMIT=""))
    make_users(app)
    live = _start(app)
    yield live.url
    live.server.shutdown()
    live.server.server_close()
    app.extensions["esgscreen"].store.dispose()


def browser_sign_in(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(base + "/login?next=/curation/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/curation/")


@pytest.mark.browser
def test_four_eyes_in_the_browser(curation_server: str, page) -> None:  # noqa: ANN001
    base = curation_server
    browser_sign_in(page, base, "carol")
    page.get_by_role("link", name="Propose a new entity").click()
    for field in ("summary", "id", "name", "country", "aliases", "identifiers", "flag_since",
                  "flag_summary", "evidence_url", "evidence_publisher"):
        page.locator(f"#{field}").fill(NEW_ENTITY[field])  # each field has its <label for>
    page.get_by_label("Kind").select_option("vendor")
    page.get_by_label("Flag", exact=True).select_option("targeted_spyware")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label("Authority of the source").select_option("primary")
    shot(page, "curation-propose-entity")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/curation/proposals/*")
    assert "waiting for a second person" in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Approve and publish").count() == 0
    page.get_by_role("button", name="Sign out").click()

    browser_sign_in(page, base, "rita")
    page.get_by_role("link", name="Add Example Spyware").click()
    assert page.locator(".diff-add").count() > 5
    shot(page, "curation-review-diff")
    page.get_by_role("button", name="Approve and publish").click()
    assert "published as watchlist version 2" in page.locator(".flashes").inner_text()
    page.goto(base + "/?q=Example+Spyware+Ltd")
    assert page.locator("#verdict").inner_text().startswith("Match: Example Spyware Ltd")
