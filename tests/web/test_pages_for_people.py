"""Issue 17 in a real browser: "not found" never reads as "cleared", entity pages on a phone,
partial rows, curation forms that guide, and the diff an approved proposal was approved with.

The pictures the README shows are saved into docs/ when ESGSCREEN_DOCS_SHOTS=1 (`make
screenshots`), otherwise beside the other screenshots, so a test run leaves the tree as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.web.conftest import EVIL_ID, SCREENSHOTS, LiveServer, shot
from tests.web.test_curation_pages import (  # noqa: F401 - curation_server is a fixture
    PASSWORD,
    browser_sign_in,
    curation_server,
)

pytestmark = pytest.mark.browser

Servers = Callable[..., LiveServer]
DOCS = (Path(__file__).resolve().parents[2] / "docs"
        if os.environ.get("ESGSCREEN_DOCS_SHOTS") == "1" else SCREENSHOTS)
CLEAR = re.compile(r"\bclear(?:ed)?\b", re.IGNORECASE)


def docs_shot(page, name: str, **options: object) -> None:
    """A picture for the README (kept in docs/ by `make screenshots`)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"), **options)


def said_clear(text: str) -> list[str]:
    """Where the text says "clear" as an action (the note "not … cleared" is the exception)."""
    text = text.replace("Not found is not the same as cleared", "")
    text = text.replace("not cleared", "")
    return CLEAR.findall(text)


def test_a_company_not_on_the_watchlist_is_never_called_clear(live_servers: Servers,
                                                              page) -> None:
    base = live_servers("sqlite").url
    page.goto(base + "/?q=Microsoft+Corporation")
    assert page.locator("#verdict").inner_text() == "Not on the watchlist"
    answer = page.locator("#answer")
    assert answer.locator(".action").inner_text() == "No action: not on the watchlist"
    assert said_clear(answer.inner_text()) == []
    assert page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Lookup").get_attribute("aria-current") == "page"
    docs_shot(page, "lookup-not-on-the-watchlist", full_page=False)

    page.get_by_role("link", name="Screening record for the file").click()
    page.get_by_role("heading", name="Microsoft Corporation", level=1).wait_for()
    record = page.locator("article.record").inner_text()
    assert "No action: not on the watchlist" in record
    assert said_clear(record) == []
    assert page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Lookup").get_attribute("aria-current") == "true"


def test_the_portfolio_counts_not_on_the_watchlist_apart_from_clear(
        live_servers: Servers, page, tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text(
        "Name,ISIN,Weight\n"
        "Microsoft Corporation,US5949181045,0.35\n"
        "Apple Inc.,US0378331005,0.35\n"
        "Alphabet Inc.,,0.35\n"
        "Battery Ventures,,0.7\n"
        "Cellebrite DI Ltd.,,1.25\n",
        encoding="utf-8",
    )
    page.goto(live_servers("sqlite").url + "/portfolio/")
    page.get_by_label("Holdings file").set_input_files(str(holdings))
    page.get_by_role("button", name="Screen holdings").click()
    page.get_by_role("heading", name="Portfolio results").wait_for()
    cards = {
        page.locator(".card").nth(n).locator(".card-label").inner_text():
            page.locator(".card").nth(n).locator(".card-number").inner_text()
        for n in range(page.locator(".card").count())
    }
    assert cards["not on the watchlist (no action, not cleared)"] == "3"
    assert cards["clear (on the watchlist, no open concern)"] == "1"  # Battery Ventures, green
    assert cards["to exclude"] == "1"
    not_listed = page.locator(".card-not_listed .card-weight").inner_text()
    assert not_listed == "weight 1.05"  # not 1.0499999999999998
    assert page.locator(".exposure tfoot").inner_text().split()[-1] == "3.00"
    rows = page.locator("table.results tbody tr")
    microsoft = rows.filter(has_text="Microsoft Corporation")
    assert microsoft.locator(".action").inner_text() == "No action: not on the watchlist"
    assert microsoft.locator(".badge").inner_text() == "No rating"
    assert said_clear(page.locator("table.results tbody").inner_text().replace(
        "on the watchlist, no open concern", "")) == ["Clear"]  # Battery Ventures only
    assert page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Portfolio").get_attribute("aria-current") == "true"
    docs_shot(page, "portfolio-results", full_page=False)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download results (CSV)").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.endswith(",watchlist_version,policy,screened_at")
    assert re.search(r",2,default,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", first)
    assert ",none (not on the watchlist)," in first and ",clear," not in first


def test_a_bad_isin_beside_a_good_name_is_screened_by_name_with_a_warning(
        live_servers: Servers, page, tmp_path: Path) -> None:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("Name,ISIN,Weight\nCellebrite DI Ltd.,IL0011794803,1.25\n"
                        "Microsoft Corporation,US5949181045,6.10\n", encoding="utf-8")
    page.goto(live_servers("sqlite").url + "/portfolio/")
    page.get_by_label("Holdings file").set_input_files(str(holdings))
    page.get_by_role("button", name="Screen holdings").click()
    page.get_by_role("heading", name="Portfolio results").wait_for()
    row = page.locator("table.results tbody tr").first
    assert row.locator(".action").inner_text() == "Exclude"  # screened by its name
    warning = row.locator(".row-warning").inner_text()
    assert warning.lower().startswith("warning isin:") and "check digit" in warning
    assert page.locator("#warnings-note").is_visible()
    assert page.locator(".card-exclude .card-weight").inner_text() == "weight 1.25"
    page.locator("section[aria-labelledby='holdings-title']").screenshot(
        path=str(DOCS / "portfolio-partial-row.png"))


@pytest.mark.parametrize("width", [360, 390, 414])
def test_entity_pages_fit_a_phone(live_servers: Servers, browser, width: int) -> None:
    base = live_servers("sqlite").url
    context = browser.new_context(viewport={"width": width, "height": 844},
                                  device_scale_factor=2 if width == 390 else 1)
    page = context.new_page()
    try:
        for entity_id in ("nso-group", "cellebrite", "sun-corporation", "hikvision",
                          "francisco-partners", "intellexa", EVIL_ID):
            page.goto(f"{base}/entities/{entity_id}")
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (
                entity_id, page.evaluate("document.documentElement.scrollWidth"))
            # Wide tables scroll inside their own box, never the page.
            for table in page.locator("table.data").all():
                assert table.evaluate("t => t.parentElement.classList.contains("
                                      "'table-scroll')"), entity_id
        page.goto(f"{base}/entities/nso-group")
        svg = page.locator("figure.diagram svg")
        drawn = float(svg.get_attribute("width"))
        shown = svg.evaluate("e => e.getBoundingClientRect().width")
        assert shown == pytest.approx(drawn, abs=1)  # labels at their drawn size, readable
        figure = page.locator("figure.diagram")
        assert figure.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls, the page not
        assert figure.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        # It opens with the entity itself in view, in the middle of the drawing.
        name = svg.locator("text", has_text="NSO Group Technologies").first
        frame = figure.bounding_box()
        box = name.bounding_box()
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
        if width == 390:
            page.locator("#ownership").scroll_into_view_if_needed()
            page.evaluate("document.querySelector('#ownership').scrollIntoView()")
            docs_shot(page, "entity-page-phone", full_page=False)
            page.evaluate("window.scrollTo(0, 0)")
            shot(page, "entity-phone-top", full_page=False)
    finally:
        context.close()


def test_a_form_with_three_mistakes_shows_three_messages_beside_their_fields(
        curation_server: str, page) -> None:  # noqa: F811
    base = curation_server
    browser_sign_in(page, base, "carol")
    page.goto(base + "/curation/propose/entity")
    page.locator("#id").fill("example-spyware")
    page.locator("#name").fill("Example Spyware Ltd")
    page.get_by_label("Kind").select_option("vendor")
    page.locator("#identifiers").fill("isin IL0011794803")  # mistake 1: check digit
    page.get_by_label("Flag", exact=True).select_option("targeted_spyware")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label("Status", exact=True).select_option("ongoing")
    page.locator("#flag_since").fill("2025-13")  # mistake 2: no 13th month
    page.locator("#flag_summary").fill("Sells spyware to governments, per a report.")
    page.locator("#evidence_url").fill("https://example.org/report")
    page.locator("#evidence_publisher").fill("Example Lab")
    page.get_by_label("Authority of the source").select_option("primary")
    page.locator("#evidence_date").fill("yesterday")  # mistake 3: not a date
    page.get_by_role("button", name="Submit for review").click()
    page.locator(".error-summary").wait_for()

    assert page.locator(".error-summary h2").inner_text() == (
        "3 things to fix before this can be submitted")
    errors = page.locator(".field-error")
    assert errors.count() == 3
    for field, words in (("identifiers", "Line 1: The ISIN's check digit is wrong: "
                                         "IL0011794803."),
                         ("flag_since", "'2025-13' is not a real date"),
                         ("evidence_date", "must be a date written 'YYYY'")):
        box = page.locator(f".field:has(#{field})")
        assert words in box.locator(".field-error").inner_text(), field
        control = page.locator(f"#{field}")
        assert control.get_attribute("aria-invalid") == "true"
        described = control.get_attribute("aria-describedby").split()
        assert box.locator(".field-error").get_attribute("id") in described
    assert page.locator("[aria-invalid]").count() == 3
    assert page.evaluate("document.activeElement.id") == "identifiers"  # the first, focused
    assert page.locator("#name").input_value() == "Example Spyware Ltd"  # what was typed kept
    for selector in ("#evidence_url", "#flag_summary", "#identifiers"):  # styled, not 21 px
        assert page.locator(selector).evaluate("e => e.getBoundingClientRect().height") > 36
    flag_options = page.get_by_label("Flag", exact=True).locator("option").all_inner_texts()
    assert "targeted_spyware" not in flag_options and any(
        "spyware" in option.lower() for option in flag_options)
    page.evaluate("document.querySelector('.field:has(#identifiers)').scrollIntoView();"
                  "window.scrollBy(0, -120)")
    docs_shot(page, "curation-form-errors", full_page=False)


def test_an_approved_proposal_shows_the_diff_it_was_approved_with(
        curation_server: str, page) -> None:  # noqa: F811
    base = curation_server
    browser_sign_in(page, base, "carol")
    urls = []
    for domain in ("first-nso.test", "second-nso.test"):
        page.goto(base + "/curation/entities/nso-group/identifier")
        page.get_by_label("Type").select_option("domain")
        page.get_by_label("Value").fill(domain)
        page.get_by_role("button", name="Submit for review").click()
        page.wait_for_url("**/curation/proposals/*")
        urls.append(page.url)
    assert "Proposed by carol on" in page.locator(".page-intro").inner_text()
    page.get_by_role("button", name="Sign out").click()

    browser_sign_in(page, base, "rita")
    for url in urls:
        page.goto(url)
        page.get_by_role("button", name="Approve and publish").click()
        page.locator(".flashes").wait_for()
    page.goto(urls[0])
    assert page.get_by_role("heading", name="What was approved").is_visible()
    diff = page.locator("pre.diff").inner_text()
    assert "value: first-nso.test" in diff and "second-nso.test" not in diff
    assert page.locator(".diff-add").count() >= 3
    assert "No difference" not in page.locator("main").inner_text()
    intro = page.locator(".page-intro").inner_text()
    assert "Proposed by carol" in intro and "Approved by rita" in intro and "user:" not in intro
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Curation").wait_for()
    docs_shot(page, "curation-approved-diff", full_page=False)
