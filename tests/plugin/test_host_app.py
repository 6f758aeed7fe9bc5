"""esgscreen mounted in a host Flask app under /esg: the host keeps its routes, login, session
and error pages; screening, the pages, the docs and curation all work under the prefix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, session
from flask.testing import FlaskClient

from esgscreen import ESGScreen
from esgscreen.service.loading import load_directory
from esgscreen.store import audit, keys, users
from esgscreen.store.db import Store
from tests.conftest import _CREATED_APPS, WATCHLIST_DIR
from tests.web.conftest import csrf_token
from tests.web.test_curation_pages import NEW_ENTITY

PASSWORD = "a long enough password"


def host_app(database_url: str) -> Flask:
    """A small portfolio app of its own, with esgscreen mounted in it."""
    app = Flask("portfolio_host")
    app.config.update(
        TESTING=True,
        SECRET_KEY="the host's secret",
        ESGSCREEN_DATABASE_URL=database_url,
        ESGSCREEN_PUBLIC_READ=False,
        ESGSCREEN_VERSION_CHECK_INTERVAL=0.0,
        ESGSCREEN_SETTLE_SNAPSHOTS=False,
        ESGSCREEN_LOGIN_RATE_LIMIT="",
    )

    @app.get("/")
    def home() -> str:
        return "Host portfolio home"

    @app.route("/login", methods=["GET", "POST"])
    def login() -> str:
        session["user_id"] = 1  # the host's own user 1, not esgscreen's
        return "host signed in"

    @app.get("/whoami")
    def whoami() -> str:
        return f"host user {session.get('user_id')}"

    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return "host's own 404 page", 404

    ext = ESGScreen()
    ext.init_app(app)
    _CREATED_APPS.append(app)
    return app


@pytest.fixture
def host(tmp_path: Path) -> Flask:
    url = f"sqlite:///{tmp_path / 'esgscreen.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    with store.write() as db:
        for name, role in (("carol", "curator"), ("rita", "reviewer")):
            users.create_user(db, name, PASSWORD, role, audit.CLI)
    store.dispose()
    return host_app(url)


def api_key(app: Flask, role: str) -> str:
    with app.extensions["esgscreen"].store.write() as db:
        return keys.create_key(db, f"host {role}", role, audit.CLI)[1]


def sign_in(client: FlaskClient, username: str) -> None:
    token = csrf_token(client, "/esg/login")
    response = client.post("/esg/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": token, "next": "/esg/curation/"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"] == "/esg/curation/"


def local_links(page: str) -> list[str]:
    return re.findall(r'(?:href|src|action|data-suggest-url)="(/[^"]*)"', page)


def test_the_host_keeps_its_routes_login_session_and_errors(host: Flask) -> None:
    client = host.test_client()
    home = client.get("/")
    assert home.get_data(as_text=True) == "Host portfolio home"
    assert "Content-Security-Policy" not in home.headers  # esgscreen's headers stay its own
    assert client.get("/nowhere").get_data(as_text=True) == "host's own 404 page"
    client.post("/login")
    # The host's signed-in user 1 is not esgscreen's user 1: its pages still ask for a sign-in.
    response = client.get("/esg/curation/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/esg/login?next=")
    sign_in(client, "carol")
    assert client.get("/whoami").get_data(as_text=True) == "host user 1"
    assert "Signed in as <strong>carol</strong>" in client.get("/esg/").get_data(as_text=True)


def test_screening_under_the_prefix(host: Flask) -> None:
    client = host.test_client()
    denied = client.get("/esg/api/v1/screen?q=Cellebrite")
    assert denied.status_code == 401 and denied.mimetype == "application/problem+json"
    headers = {"Authorization": f"Bearer {api_key(host, 'screener')}"}
    answer = client.get("/esg/api/v1/screen?q=Cellebrite", headers=headers).get_json()
    assert answer["status"] == "match" and answer["matches"][0]["entity"]["id"] == "cellebrite"
    bad = client.get("/esg/api/v1/screen?isin=IL0011794801", headers=headers)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    batch = client.post("/esg/api/v1/screen", headers=headers, json={"items": [
        {"ref": "a", "isin": "IL0011794802"}, {"ref": "b", "name": "Microsoft Corporation"}]})
    assert [r["status"] for r in batch.get_json()["results"]] == ["match", "no_match"]
    assert client.get("/esg/healthz").get_json() == {"status": "ok"}
    exported = client.get("/esg/api/v1/exports/1.csv", headers=headers)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    yente = client.post("/esg/yente/match/default", headers=headers, json={"queries": {
        "q": {"schema": "Company", "properties": {"name": ["Cellebrite"]}}}})
    assert yente.get_json()["responses"]["q"]["results"][0]["match"] is True
    spec = client.get("/esg/openapi.json").get_json()
    assert "/esg/api/v1/screen" in spec["paths"]


def test_pages_and_docs_link_only_under_the_prefix(host: Flask) -> None:
    client = host.test_client()
    sign_in(client, "carol")
    for path in ("/esg/", "/esg/?q=Cellebrite", "/esg/entities/cellebrite",
                 "/esg/record?q=Cellebrite", "/esg/portfolio/", "/esg/curation/", "/esg/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response.headers, path
        links = local_links(response.get_data(as_text=True))
        assert links, path
        outside = [link for link in links if not link.startswith("/esg/")]
        assert not outside, (path, outside)
        for link in links:
            if "/static/" in link or "/docs/assets/" in link or "openapi.json" in link:
                with client.get(link) as loaded:
                    assert loaded.status_code == 200, link
    suggestions = client.get("/esg/suggest?q=Celle")
    assert suggestions.status_code == 200 and "Cellebrite" in suggestions.get_data(as_text=True)


def test_curation_under_the_prefix(host: Flask) -> None:
    carol = host.test_client()
    sign_in(carol, "carol")
    form = {**NEW_ENTITY, "csrf_token": csrf_token(carol, "/esg/curation/propose/entity")}
    proposed = carol.post("/esg/curation/propose/entity", data=form)
    assert proposed.status_code == 303, proposed.get_data(as_text=True)[:1000]
    proposal_url = proposed.headers["Location"]
    assert proposal_url.startswith("/esg/curation/proposals/")

    rita = host.test_client()
    sign_in(rita, "rita")
    assert "Add Example Spyware" in rita.get("/esg/curation/").get_data(as_text=True)
    approve = proposal_url + "/approve"
    approved = rita.post(approve, data={"csrf_token": csrf_token(rita, proposal_url)})
    assert approved.status_code == 303 and approved.headers["Location"] == proposal_url
    assert "published as watchlist version 2" in rita.get(proposal_url).get_data(as_text=True)
    headers = {"Authorization": f"Bearer {api_key(host, 'screener')}"}
    screened = rita.get("/esg/api/v1/screen?lei=5493001KJTIIGC8Y1R12", headers=headers)
    assert screened.get_json()["matches"][0]["entity"]["id"] == "example-spyware"
    signed_out = rita.post("/esg/logout", data={"csrf_token": csrf_token(rita, "/esg/")})
    assert signed_out.headers["Location"] == "/esg/login"


def test_two_forms_and_a_default_prefix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'direct.sqlite3'}"
    app = Flask("direct_host")
    app.config.update(ESGSCREEN_DATABASE_URL=url, ESGSCREEN_URL_PREFIX="/screening",
                      ESGSCREEN_SETTLE_SNAPSHOTS=False)
    ESGScreen(app)
    _CREATED_APPS.append(app)
    assert app.url_map.bind("").match("/screening/api/v1/screen")[0] == "screen.Screen"
    assert app.extensions["esgscreen"].settings.database_url == url
