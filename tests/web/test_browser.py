"""The pages in a real browser (headless Chromium through Playwright).

Each test's tab fails on any script dialog, page error or CSP violation (see ``page`` in
conftest). Screenshots land in artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import BACKENDS
from tests.web.conftest import EVIL_ALIAS, EVIL_ID, EVIL_NAME, LiveServer, shot

pytestmark = pytest.mark.browser

Servers = Callable[..., LiveServer]


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_gives_the_verdict_in_words(live_servers: Servers, page, backend: str) -> None:
    base = live_servers(backend).url
    page.goto(base + "/")
    page.get_by_label("Company name or identifier").fill("Cellebrite")
    page.get_by_label("Policy").select_option("default")
    page.get_by_role("button", name="Screen", exact=True).click()
    verdict = page.locator("#verdict")
    assert verdict.inner_text() == "Match: Cellebrite DI Ltd. is on the watchlist"
    answer = page.locator("#answer")
    assert answer.locator(".fact .badge").first.inner_text() == "Red"
    assert "exclusion grade" in answer.inner_text()
    assert answer.locator(".action").inner_text() == "Exclude"
    assert "matches the trading name" in answer.locator(".explanation").inner_text()
    shot(page, f"lookup-match-{backend}", full_page=False)

    page.get_by_label("Company name or identifier").fill("Microsoft Corporation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=Microsoft+Corporation*")
    assert page.locator("#verdict").inner_text() == "Not on the watchlist"
    assert "Not found is not the same as cleared" in page.locator("#answer").inner_text()
    edge = page.locator("#answer").evaluate("e => getComputedStyle(e).borderLeftColor")
    background = page.locator("#answer").evaluate("e => getComputedStyle(e).backgroundColor")
    assert edge == "rgb(138, 150, 163)" and background == "rgb(251, 252, 253)"  # grey, not green
    shot(page, f"lookup-not-found-{backend}", full_page=False)


def test_autocomplete_suggests_and_chooses_by_keyboard(live_servers: Servers, page) -> None:
    page.goto(live_servers("sqlite").url + "/")
    box = page.get_by_role("combobox", name="Company name or identifier")
    box.press_sequentially("Sun Co", delay=20)
    listbox = page.get_by_role("listbox")
    option = listbox.get_by_role("option").first
    # The list follows each keystroke: wait for the answer to the whole text, not the first.
    expect(option).to_contain_text("Sun Corporation")
    assert "Orange" in option.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    shot(page, "lookup-autocomplete", full_page=False)
    box.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    box.press("Enter")
    page.wait_for_url("**/?q=Sun+Corporation*")
    assert page.locator("#verdict").inner_text() == "Match: Sun Corporation is on the watchlist"


@pytest.mark.parametrize("backend", BACKENDS)
def test_entity_page_with_diagram_and_evidence(live_servers: Servers, page,
                                               backend: str) -> None:
    page.goto(live_servers(backend).url + "/entities/nso-group")
    assert page.get_by_role("heading", level=1).inner_text() == "NSO Group Technologies Ltd."
    diagram = page.locator("figure.diagram svg")
    assert diagram.is_visible()
    assert diagram.get_attribute("role") == "img"
    assert "Ownership diagram of NSO Group Technologies Ltd." in diagram.locator(
        "title").first.text_content()
    labels = diagram.locator("g.edge-label text").all_text_contents()
    assert "majority (reported)," in labels and "until 2021-07" in labels  # Novalpina's ended
    critical = page.locator("#sev-critical")
    assert critical.text_content().startswith("Critical severity")
    evidence = page.locator("#flags .evidence a").first
    assert evidence.get_attribute("href").startswith("http")
    assert evidence.get_attribute("rel") == "noopener noreferrer"
    assert page.locator(".timeline .event-version").count() >= 1
    shot(page, f"entity-nso-group-{backend}", full_page=False)
    page.locator("#ownership").screenshot(path=str(shot_path(f"entity-diagram-{backend}")))

    if backend == "sqlite":  # the README's picture: header, evidence and diagram at once
        page.goto(live_servers(backend).url + "/entities/sun-corporation")
        height = page.locator("#ownership").evaluate(
            "e => e.getBoundingClientRect().bottom + window.scrollY")
        page.screenshot(path=str(shot_path("entity-sun-corporation")),
                        full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height + 24})
        page.goto(live_servers(backend).url + "/entities/nso-group")

    # The owners' boxes link to their own pages.
    diagram.locator("a", has_text="Novalpina Capital").click()
    page.wait_for_url("**/entities/novalpina-capital*")
    assert "Novalpina" in page.get_by_role("heading", level=1).inner_text()


def test_portfolio_upload_sort_and_download(live_servers: Servers, page,
                                            tmp_path: Path) -> None:
    base = live_servers("sqlite").url
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(
        "Name,ISIN,Ticker,Exchange,Weight\n"
        "Microsoft Corporation,US5949181045,,,6.10\n"
        "Cellebrite DI Ltd.,,CLBT,XNAS,1.25\n"
        "Sun Corporation,JP3336450006,,,0.40\n"
        "Francisco Partners,,,,2\n"
        "Bad Row,,,,lots\n",
        encoding="utf-8",
    )
    page.goto(base + "/portfolio/")
    page.get_by_label("Holdings file (CSV or .xlsx)").set_input_files(str(holdings))
    page.get_by_role("button", name="Screen holdings").click()
    page.get_by_role("heading", name="Portfolio results").wait_for()
    table = page.locator("table.results")
    rows = table.locator("tbody tr")
    assert rows.count() == 5
    assert "weight must be a number" in rows.nth(4).inner_text()
    assert "Exposure by weight" in page.locator(".summary").inner_text()

    action = table.get_by_role("button", name="Action")
    action.click()
    assert action.locator("xpath=..").get_attribute("aria-sort") == "ascending"
    assert rows.first.locator(".action").inner_text() == "Exclude"
    shot(page, "portfolio-results")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download results (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "holdings-screened-v2-default.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [row["line"] for row in lines] == ["2", "3", "4", "5", "6"]
    assert lines[1]["entity_id"] == "cellebrite" and lines[1]["action"] == "exclude"
    assert lines[0]["verdict"] == "Not on the watchlist"


def test_names_with_markup_show_as_text(live_servers: Servers, page) -> None:
    base = live_servers("sqlite").url
    page.goto(f"{base}/entities/{EVIL_ID}")
    assert page.get_by_role("heading", level=1).inner_text() == EVIL_NAME
    assert EVIL_ALIAS in page.locator(".aka").inner_text()
    assert "Report <b onclick=alert(3)>bold</b>" in page.locator("#flags").inner_text()
    assert page.locator("main script, main img, main b[onclick]").count() == 0
    shot(page, "entity-markup-name", full_page=False)
    page.goto(base + "/")
    page.get_by_label("Company name or identifier").fill(EVIL_NAME)
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=*")
    assert EVIL_NAME in page.locator("#verdict").inner_text()
    # Typing markup into the box shows it back as text in the suggestions, too.
    page.get_by_label("Company name or identifier").fill("")
    page.get_by_label("Company name or identifier").press_sequentially("<scr", delay=20)
    option = page.get_by_role("option").first
    option.wait_for()
    assert EVIL_NAME in option.inner_text()


def test_main_path_by_keyboard_alone(live_servers: Servers, page) -> None:
    page.goto(live_servers("sqlite").url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    assert skip.evaluate("e => e.getBoundingClientRect().top") >= 0  # shown when focused
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.locator("#q").evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.type("NSO Group")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=NSO+Group*")
    assert page.locator("#verdict").inner_text().startswith("Match: NSO Group")
    shot(page, "keyboard-result", full_page=False)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("Full record"):
            break
    focused = page.locator(":focus")
    assert focused.inner_text().startswith("Full record")
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    page.wait_for_url("**/entities/nso-group*")
    assert page.get_by_role("heading", level=1).inner_text() == "NSO Group Technologies Ltd."


def test_screening_record_prints_and_reproduces(live_servers: Servers, page) -> None:
    base = live_servers("sqlite").url
    page.goto(base + "/?q=Sun+Corporation&policy=no-spyware")
    page.get_by_role("link", name="Screening record for the file").click()
    page.get_by_role("heading", name="Sun Corporation", level=1).wait_for()
    facts = page.locator(".record-facts").inner_text()
    assert "Watchlist version\n2" in facts.replace("\t", "\n")
    assert "No spyware links" in facts
    reproduce = page.locator("a.reproduce").get_attribute("href")
    assert reproduce.endswith("/record?q=Sun+Corporation&policy=no-spyware&as_of=2")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".record-actions").is_visible()
    assert page.locator(".evidence-url").first.is_visible()  # full URLs on paper
    shot(page, "record-print")
    page.emulate_media(media="screen")
    page.goto(reproduce)
    assert page.locator(".record-verdict").inner_text() == "On the watchlist: Sun Corporation"


def test_sign_in_when_reading_is_not_public(live_servers: Servers, page) -> None:
    live = live_servers("sqlite", public=False)
    from esgscreen.store import audit, users

    with live.app.extensions["esgscreen"].store.write() as session:
        if not any(u.username == "browser-officer" for u in users.list_users(session)):
            users.create_user(session, "browser-officer", "a long enough password", "screener",
                              audit.CLI)
    page.goto(live.url + "/entities/cellebrite")
    page.wait_for_url("**/login?next=**")
    page.get_by_label("Username").fill("browser-officer")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    shot(page, "sign-in-wrong-password", full_page=False)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/entities/cellebrite")
    assert "Signed in as browser-officer" in page.locator(".account").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


def shot_path(name: str) -> Path:
    from tests.web.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
