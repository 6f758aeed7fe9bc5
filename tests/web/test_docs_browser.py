"""/docs in a real browser: Swagger UI renders the service's own document offline, under the
pages' Content-Security-Policy (the page fixture fails on any violation or failed load)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.web.conftest import LiveServer, shot


@pytest.mark.browser
def test_docs_render_offline_under_the_csp(live_servers: Callable[..., LiveServer],
                                           page) -> None:
    live = live_servers("sqlite")
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((live.url, "data:")) else None)
    response = page.goto(live.url + "/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector('.opblock-summary-path[data-path="/api/v1/screen"]', timeout=15_000)
    assert page.locator(".opblock-summary-operation-id >> text=screenPortfolio").count() == 1
    shot(page, "api-docs")
    assert not outside, outside
