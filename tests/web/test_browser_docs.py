"""The API documentation (Swagger UI) in a real browser, with every other host unreachable.

Debian's Chromium (headless) loads /api/v1/docs from a live server; any request to a
host other than the server is aborted and recorded. The page must draw the operations
from the vendored Swagger UI, offer the bearer scheme (Authorize), and break no rule
of its Content-Security-Policy.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.web.browser_conftest import LiveServer, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_swagger_ui_works_offline(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    page = browser.new_page()
    outside: list[str] = []
    problems: list[str] = []
    own = urlparse(live_server.url).netloc

    def only_own_host(route: Route) -> None:
        if urlparse(route.request.url).netloc == own or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_own_host)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator("button.authorize")).to_be_visible()
    assert page.locator(".opblock").count() > 10
    assert not outside, outside
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    page.screenshot(path=str(live_server.shots / "api-docs.png"))
    page.close()
