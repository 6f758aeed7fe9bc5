"""The pages through Flask's test client: answers in words, escaping, headers, sign-in, CSRF,
uploads. Tests taking ``seeded_app`` run on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from esgscreen.core.model import Entity, Evidence, Flag
from esgscreen.store import audit, repository, users
from esgscreen.store.db import Store
from esgscreen.web import CONTENT_SECURITY_POLICY
from esgscreen.web.auth import login_required
from tests.conftest import make_app
from tests.factories import TAXONOMY
from tests.web.conftest import EVIL_ALIAS, EVIL_ID, EVIL_NAME, csrf_token

PASSWORD = "correct horse battery"


def private(app: Flask, **config: object) -> Flask:
    """Another app on the same database, with PUBLIC_READ off."""
    return make_app(app.config["DATABASE_URL"], PUBLIC_READ=False, **config)


def make_user(app: Flask, username: str = "officer", role: str = "screener") -> None:
    with app.extensions["esgscreen"].store.write() as session:
        users.create_user(session, username, PASSWORD, role, audit.CLI)


def sign_in(client: FlaskClient, username: str = "officer", password: str = PASSWORD,
            next_url: str = "/") -> object:
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "next": next_url, "csrf_token": token})


def upload(client: FlaskClient, data: bytes, filename: str = "holdings.csv",
           policy: str = "default") -> object:
    token = csrf_token(client, "/portfolio/")
    return client.post("/portfolio/", data={"holdings": (io.BytesIO(data), filename),
                                            "policy": policy, "csrf_token": token},
                       content_type="multipart/form-data")


def events(app: Flask, action: str) -> list:
    with app.extensions["esgscreen"].store.read() as session:
        return audit.list_events(session, action=action)


# the lookup --------------------------------------------------------------------------------


def test_lookup_says_the_verdict_rating_and_action_in_words(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    page = client.get("/?q=Cellebrite").get_data(as_text=True)
    assert "Match:</span> Cellebrite DI Ltd. is on the watchlist" in page
    assert '<span class="badge rating-red">Red</span>' in page
    assert "exclusion grade" in page
    assert '<span class="action action-exclude">Exclude</span>' in page
    assert "matches the trading name" in page  # the one-line explanation
    assert 'href="/entities/cellebrite' in page

    stricter = client.get("/?q=Sun+Corporation&policy=no-spyware").get_data(as_text=True)
    assert '<option value="no-spyware" selected>' in stricter
    assert "action-exclude" in stricter


def test_not_on_the_watchlist_is_plain_and_not_green(bundled_client: FlaskClient) -> None:
    response = bundled_client.get("/?q=Microsoft+Corporation")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not on the watchlist" in page
    assert "Not found is not the same as cleared" in page
    assert "answer-no_match" in page
    answer = page.split('id="answer"')[1]
    assert "rating-green" not in answer
    assert "No action: not on the watchlist" in answer
    assert ">Clear<" not in answer and "action-clear" not in answer


def test_the_record_of_a_company_not_on_the_watchlist_never_says_clear(
        bundled_client: FlaskClient) -> None:
    page = bundled_client.get("/record?q=Microsoft+Corporation").get_data(as_text=True)
    record = page.split('class="record"')[1]
    assert "No action: not on the watchlist" in record
    assert ">Clear<" not in record and "action-clear" not in record


@pytest.mark.parametrize("query", ["Cellebrite", "Cognite", "Candiru Software",
                                   "Microsoft Corporation", "IL0011794802"])
def test_page_verdict_agrees_with_the_api(bundled_client: FlaskClient, query: str) -> None:
    api = bundled_client.get("/api/v1/screen", query_string={"q": query}).get_json()
    page = bundled_client.get("/", query_string={"q": query}).get_data(as_text=True)
    words = {"match": "Match:", "possible_match": "Possible match:",
             "no_match": "Not on the watchlist"}
    verdict = re.search(r'<h2 id="verdict".*?</h2>', page, re.S).group(0)
    assert words[api["status"]] in verdict
    if api["status"] == "no_match":  # the API says clear; a person reads "no action"
        assert api["action"] == "clear"
        assert '<span class="action action-not-listed">No action: not on the watchlist' in page
    else:
        assert f'<span class="action action-{api["action"]}">' in page
    if api["status"] == "possible_match":
        assert "Not confirmed" in page and "Candidates" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=US0378331006", "not a valid identifier: the ISIN check digit does not match"),
        ("q=Cellebrite&as_of=999", "There is no watchlist version 999"),
        ("q=Cellebrite&as_of=yesterday", "as_of must be a version number"),
        ("q=Cellebrite&policy=nope", "Unknown policy"),
        ("q=" + "x" * 501, "longer than 500 characters"),
    ],
)
def test_bad_input_is_a_message_on_the_page(bundled_client: FlaskClient, query: str,
                                            message: str) -> None:
    response = bundled_client.get("/?" + query)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_suggestions_for_autocomplete(bundled_client: FlaskClient) -> None:
    found = bundled_client.get("/suggest?q=cell").get_json()
    assert found and found[0]["id"] == "cellebrite"
    assert {"id", "name", "rating", "kind"} <= set(found[0])
    assert bundled_client.get("/suggest?q=c").get_json() == []


# the entity and the record ------------------------------------------------------------------


def test_entity_page_has_everything(bundled_client: FlaskClient) -> None:
    page = bundled_client.get("/entities/sun-corporation").get_data(as_text=True)
    assert "<h1>Sun Corporation</h1>" in page
    assert "<svg" in page and 'class="ownership-diagram"' in page
    assert ">47%</text>" in page
    assert 'href="/entities/cellebrite"' in page  # the owned box links to its entity
    assert 'href="https://www.accessnow.org/' in page  # evidence as links
    assert "JP3336450006" in page and "High" in page  # identifier with its confidence
    assert 'lang="ja"' in page  # alias in another script
    assert 'class="timeline"' in page and "Watchlist version 1" in page


def test_unknown_entity_is_an_html_404(bundled_client: FlaskClient) -> None:
    response = bundled_client.get("/entities/no-such-company")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "There is no entity" in response.get_data(as_text=True)


def test_record_names_version_time_and_reproduces(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    page = client.get("/record?q=Sun+Corporation&policy=no-spyware").get_data(as_text=True)
    assert "Screening record" in page or "screening record" in page
    assert "Checked at" in page and " UTC" in page
    assert "<dt>Watchlist version</dt><dd>2" in page
    assert "No spyware links" in page
    assert "http://localhost/record?q=Sun+Corporation&amp;policy=no-spyware&amp;as_of=2" in page
    assert 'href="https://www.accessnow.org/' in page
    old = client.get("/record?q=Sun+Corporation&as_of=1").get_data(as_text=True)
    assert "<dt>Watchlist version</dt><dd>1" in old


# escaping and headers ---------------------------------------------------------------------


def test_markup_in_an_entity_shows_as_text(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    entity = client.get(f"/entities/{EVIL_ID}").get_data(as_text=True)
    lookup = client.get("/", query_string={"q": EVIL_NAME}).get_data(as_text=True)
    record = client.get("/record", query_string={"q": EVIL_NAME}).get_data(as_text=True)
    assert "Match:</span> &lt;script&gt;" in lookup
    for page in (entity, lookup, record):
        assert "<script>alert(1)" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Evil Holdings" in page
        assert "<b onclick" not in page
    assert "<img src=x" not in entity
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in entity
    assert client.get("/suggest?q=evil").get_json()[0]["aliases"] == [EVIL_ALIAS]
    query = client.get("/", query_string={"q": '"><script>alert(9)</script>'})
    assert "<script>alert(9)" not in query.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/?q=NSO", "/entities/nso-group", "/record?q=NSO",
                                  "/portfolio/", "/login", "/entities/none"])
def test_pages_carry_a_csp_and_no_inline_code(bundled_client: FlaskClient, path: str) -> None:
    response = bundled_client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    page = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", page), "inline event handler"
    assert not re.search(r"<style|\sstyle\s*=", page), "inline style"


def test_api_docs_run_under_the_csp_and_json_keeps_its_own_headers(
        bundled_client: FlaskClient) -> None:
    docs = bundled_client.get("/docs")
    assert docs.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    page = docs.get_data(as_text=True)
    assert "http" not in re.sub(r'href="[^"]*"', "", page.split("<noscript>")[0]), \
        "the docs load nothing from another site"
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page):
        with bundled_client.get(asset) as loaded:
            assert loaded.status_code == 200, asset
    api = bundled_client.get("/api/v1/screen?q=NSO")
    assert api.mimetype == "application/json"
    assert "Content-Security-Policy" not in api.headers
    assert api.headers["X-Content-Type-Options"] == "nosniff"


# sign-in ------------------------------------------------------------------------------------


def test_pages_ask_for_a_sign_in_when_not_public(seeded_app: Flask) -> None:
    app = private(seeded_app)
    make_user(app)
    client = app.test_client()
    for path in ("/", "/?q=NSO", "/entities/nso-group", "/record?q=NSO", "/portfolio/",
                 "/suggest?q=ns"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")

    wrong = sign_in(client, password="not the password")
    assert wrong.status_code == 200
    assert "Wrong username or password." in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302

    right = sign_in(client, next_url="/entities/nso-group")
    assert right.status_code == 302 and right.headers["Location"] == "/entities/nso-group"
    page = client.get("/?q=NSO").get_data(as_text=True)
    assert "Signed in as <strong>officer</strong>" in page
    assert "Match:" in page

    failed, = events(app, "user.sign_in_failed")
    signed, = events(app, "user.sign_in")
    assert failed.actor == "user:officer" and signed.actor.startswith("user:")
    assert signed.remote_addr == "127.0.0.1"

    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert out.status_code == 302
    assert client.get("/").status_code == 302
    assert events(app, "user.sign_out")


def test_sign_in_only_returns_to_local_pages(seeded_app: Flask) -> None:
    app = private(seeded_app)
    make_user(app)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = sign_in(app.test_client(), next_url=target)
        assert response.headers["Location"] == "/", target


def test_roles_below_the_page_get_403(seeded_app: Flask) -> None:
    app = private(seeded_app)
    app.add_url_rule("/curation-test", "curation_test",
                     login_required(role="curator")(lambda: "curation page"))
    make_user(app, "screener1", "screener")
    make_user(app, "curator1", "curator")
    client = app.test_client()
    assert client.get("/curation-test").status_code == 302
    sign_in(client, "screener1")
    assert client.get("/curation-test").status_code == 403
    other = app.test_client()
    sign_in(other, "curator1")
    assert other.get("/curation-test").get_data(as_text=True) == "curation page"
    # Public reading never opens a curator page.
    public = make_app(app.config["DATABASE_URL"])
    public.add_url_rule("/curation-test", "curation_test",
                        login_required(role="curator")(lambda: "curation page"))
    assert public.test_client().get("/curation-test").status_code == 302


def test_sign_in_attempts_are_limited(seeded_app: Flask) -> None:
    app = private(seeded_app, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [sign_in(client, "nobody", "wrong password").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# CSRF ------------------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused(bundled_client: FlaskClient) -> None:
    response = bundled_client.post(
        "/portfolio/", data={"holdings": (io.BytesIO(b"name\nNSO\n"), "h.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert bundled_client.post("/login", data={"username": "a", "password": "b"}
                               ).status_code == 400
    assert bundled_client.post("/logout").status_code == 400


def test_the_json_api_needs_no_csrf_token(bundled_client: FlaskClient) -> None:
    response = bundled_client.post("/api/v1/screen", json={"items": [{"ref": 1, "name": "NSO"}]})
    assert response.status_code == 200
    assert response.get_json()["results"][0]["status"] == "match"


# portfolio -------------------------------------------------------------------------------------


def test_upload_screens_and_download_recomputes(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    data = (b"Name;ISIN;Weight\nCellebrite DI Ltd.;;1,5\nMicrosoft Corporation;US5949181045;3\n"
            b"Bad;US0378331005;lots\n")
    response = upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 holdings screened against watchlist version 2" in page
    assert page.count('<tr class="row-') == 3
    assert "weight must be a number; the holding is screened without it" in page
    assert 'data-sortable' in page
    packed = re.search(r'name="holdings" value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    download = client.post("/portfolio/download",
                           data={"holdings": packed, "policy": "default", "as_of": "2",
                                 "filename": "holdings.csv", "csrf_token": token},
                           content_type="multipart/form-data")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "holdings-screened-v2-default.csv" in download.headers["Content-Disposition"]
    lines = download.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("line,name,isin")
    assert lines[1].startswith("2,Cellebrite DI Ltd.,")
    assert ",match,red,exclude,cellebrite," in lines[1]
    assert ",no_match,no rating,none (not on the watchlist)," in lines[2]
    assert ",clear," not in lines[2]
    assert "weight: weight must be a number; the holding is screened without it." in lines[3]


@pytest.mark.parametrize(
    ("data", "filename", "status", "message"),
    [
        (b"PK\x03\x04binary spreadsheet", "holdings.xlsx", 422, "workbook could not be read"),
        (b"\xd0\xcf\x11\xe0\x00\x00old", "holdings.xls", 422, "neither a CSV text file"),
        ("name\nSoci\u00e9t\u00e9\n".encode("cp1252"), "h.csv", 422, "not UTF-8"),
        (b"company_id,sector\n1,tech\n", "h.csv", 422, "No column to screen by"),
        (b"", "empty.csv", 422, "The file is empty."),
    ],
)
def test_unusable_uploads_get_a_clear_message(bundled_client: FlaskClient, data: bytes,
                                              filename: str, status: int, message: str) -> None:
    response = upload(bundled_client, data, filename)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "The file could not be screened" in page
    assert message in page
    assert filename in page


def test_upload_without_a_file_or_too_large(bundled_app: Flask) -> None:
    client = bundled_app.test_client()
    token = csrf_token(client, "/portfolio/")
    response = client.post("/portfolio/", data={"csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV or .xlsx file" in response.get_data(as_text=True)

    small = make_app(bundled_app.config["DATABASE_URL"], MAX_CONTENT_LENGTH=2048)
    client = small.test_client()
    response = upload(client, b"name\n" + b"Some Company\n" * 400)
    assert response.status_code == 413
    assert "larger than this service accepts" in response.get_data(as_text=True)


# graded evidence, weak sources, review due ----------------------------------------------------


def graded_app(store: Store) -> Flask:
    low = Evidence("https://blog.example/copy", "A blog", "2025-10", "Copy", "low")
    press = Evidence("https://news.example/story", "Example News", "2025-09", "Story",
                     "established")
    filing = Evidence("https://regulator.example/notice", "Example Regulator", "2025-08",
                      "Notice", "primary")
    old = Evidence("https://news.example/2011", "Old News", "2011-08-27", "Old story",
                   "established")
    entity = Entity("graded-vendor", "Gradedvendor Systems Ltd", "vendor", flags=(
        Flag("targeted_spyware", "critical", "ongoing", "2025", "Well sourced.",
             (low, press, filing)),
        Flag("sanctions", "high", "ongoing", "2025", "Copies only.", (low,)),
        Flag("litigation", "medium", "ongoing", "2011", "An old case.", (old,)),
    ))
    with store.write() as session:
        repository.publish(session, [entity], list(TAXONOMY), summary="t", author="tests")
    return make_app(store.url)


def flag_articles(page: str) -> dict[str, str]:
    """Each flag's <article> on a page, by its summary."""
    articles = re.findall(r'<article class="flag .*?</article>', page, re.S)
    return {re.search(r'class="flag-summary">([^<]*)<', a).group(1): a for a in articles}


def test_entity_page_grades_each_source_primary_first(store: Store) -> None:
    client = graded_app(store).test_client()
    for path in ("/entities/graded-vendor", "/record?q=Gradedvendor+Systems+Ltd"):
        flags = flag_articles(client.get(path).get_data(as_text=True))
        spyware = flags["Well sourced."]
        assert spyware.index("Primary source") < spyware.index("Established outlet") < (
            spyware.index("Low authority"))
        assert spyware.index("regulator.example") < spyware.index("blog.example")
        assert "Weakly sourced" not in spyware and "Review due" not in spyware
        weak = flags["Copies only."]
        assert "Weakly sourced" in weak
        assert "counts as medium severity in the rating" in weak
        old = flags["An old case."]
        assert "Review due" in old and "no evidence newer than 2011-08-27" in old


def test_curators_see_the_flags_due_a_review(store: Store) -> None:
    app = graded_app(store)
    make_user(app, "cody", "curator")
    client = app.test_client()
    sign_in(client, "cody", next_url="/curation/review-due")
    page = client.get("/curation/review-due").get_data(as_text=True)
    assert "Flags due a review" in page and "more than 3 years" in page
    assert 'href="/entities/graded-vendor"' in page and "2011-08-27" in page
    assert "litigation" in page and "targeted_spyware" not in page
    assert 'href="/curation/entities/graded-vendor/evidence"' in page
    queue = client.get("/curation/").get_data(as_text=True)
    assert 'href="/curation/review-due"' in queue
    make_user(app, "sam")
    screener = app.test_client()
    sign_in(screener, "sam")
    assert screener.get("/curation/review-due").status_code == 403


def test_an_xlsx_workbook_with_figi_and_domain_columns_is_screened(
        bundled_client: FlaskClient) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Company", "FIGI", "Website", "Weight"])
    workbook.active.append(["Cellebrite DI Ltd.", None, None, 1.25])
    workbook.active.append([None, None, "microsoft.com", 0.35])
    workbook.active.append(["Alphabet Inc.", None, None, 0.7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(bundled_client, buffer.getvalue(), "holdings.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    assert "<strong>holdings.xlsx</strong>: 3 holdings screened" in page
    assert '<span class="action action-exclude">Exclude</span>' in page
    assert page.count("No action: not on the watchlist") == 2
    assert "DOMAIN microsoft.com" in page  # a holding given by its domain alone
    assert '<p class="card-weight">weight 1.05</p>' in page
