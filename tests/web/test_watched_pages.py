"""Watching from the pages: keep an uploaded portfolio watched, see on lookup and entity pages
which of one's own holdings a company affects, and the review page's consequences."""

from __future__ import annotations

import html
import re

from flask import Flask

from esgscreen.service import curation
from esgscreen.store import audit, users
from tests.api.test_watches import APPLE_ISIN_TO_NSO
from tests.web.conftest import csrf_token
from tests.web.test_pages import PASSWORD, sign_in, upload

CSV = b"name,isin,weight\nSun Corporation,JP3336450006,2.5\nApple Inc.,US0378331005,7\n"


def _users(app: Flask) -> None:
    with app.extensions["esgscreen"].store.write() as session:
        for name, role in (("sam", "screener"), ("tess", "screener"), ("rita", "reviewer")):
            users.create_user(session, name, PASSWORD, role, audit.CLI)


def _watch_uploaded(app: Flask, username: str) -> None:
    client = app.test_client()
    sign_in(client, username)
    page = upload(client, CSV).get_data(as_text=True)
    form = page[page.index('action="/portfolio/watch"'):]
    packed = re.search(r'name="holdings" value="([^"]+)"', form).group(1)
    response = client.post("/portfolio/watch", data={
        "holdings": packed, "policy": "default", "name": "Pension fund",
        "csrf_token": csrf_token(client, "/portfolio/")})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert "Watching 2 holdings as" in client.get("/portfolio/").get_data(as_text=True)


def test_entity_and_lookup_pages_show_the_users_affected_holdings(app: Flask) -> None:
    _users(app)
    _watch_uploaded(app, "sam")
    sam = app.test_client()
    sign_in(sam, "sam")
    page = sam.get("/entities/cellebrite").get_data(as_text=True)
    assert "In your watched portfolios (1)" in page
    section = page[page.index('id="watched"'):]
    assert "Sun Corporation" in section and "through Cellebrite" in section
    assert "Pension fund" in section
    lookup = sam.get("/?q=Sun+Corporation").get_data(as_text=True)
    assert "In your watched portfolios (1)" in lookup
    assert "In your watched portfolios" not in sam.get("/entities/nso-group").get_data(
        as_text=True)
    tess = app.test_client()
    sign_in(tess, "tess")
    assert "In your watched portfolios" not in tess.get("/entities/cellebrite").get_data(
        as_text=True)


def test_the_review_page_shows_what_approving_would_change(app: Flask) -> None:
    _users(app)
    _watch_uploaded(app, "sam")
    proposal = curation.submit(app.extensions["esgscreen"].store, "NSO's ISIN",
                               [APPLE_ISIN_TO_NSO], audit.CLI)
    rita = app.test_client()
    sign_in(rita, "rita")
    raw = rita.get(f"/curation/proposals/{proposal.id}").get_data(as_text=True)
    page = html.unescape(re.sub(r"<[^>]+>", "", raw))
    assert "What approving would change" in page
    assert "This ISIN (US0378331005) is held as 'Apple Inc.' in 1 watched portfolio," in page
    assert "1 holding in 1 of 1 watched portfolio would change verdict" in page
