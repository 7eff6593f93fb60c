"""The case list of a busy office in a real browser (Debian's Chromium, headless), issue 19.

Sixty cases of the Myanmar office: the list says "1–50 of 60", the next page says
"51–60 of 60" and the address bar keeps the page, a filter narrows the list and resets
the page; without JavaScript the same links and form work as plain GET requests.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.browser_conftest import PASSWORD, LiveServer, browser, live_server, login, server_environment  # noqa: F401

TIMEOUT = 10_000
N = 60


def _register_cases(server: LiveServer, username: str, office: str, n: int) -> None:
    """Register n cases through the case services, with the server's own store and keys."""
    from ctdata.cases import service
    from ctdata.cases.access import Actor
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.store.models import User
    from tests.cases.conftest import CASE, PERSON

    db_url = f"sqlite:///{server.data_dir / 'ctdata.db'}"
    with server_environment(server.data_dir, db_url):
        eng = store_engine(db_url)
        with transaction(eng) as s:
            user = s.query(User).filter_by(username=username).one()
            actor = Actor.of(user)
            for i in range(n):
                date = f"{2022 + i % 2}-{1 + i % 12:02d}-10"
                service.register_case(s, actor, PERSON, {**CASE, "office_country": office, "registration_date": date})
        eng.dispose()


def _login(chrome: Browser, server: LiveServer, username: str, **kw: object) -> tuple[BrowserContext, Page]:
    return login(chrome, server, username, TIMEOUT, **kw)  # type: ignore[no-any-return]


def _shot(page: Page, server: LiveServer, name: str) -> None:
    page.screenshot(path=str(Path(server.shots) / f"{name}.png"), full_page=True)


def test_busy_office_pages_and_filters_its_cases(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    server = live_server
    _register_cases(server, "other.cw", "MM", N)
    ctx, page = _login(browser, server, "other.cw")
    page.goto("/cases")
    caption = page.locator("#case-caption")
    expect(caption).to_have_text(f"1–50 of {N} cases")
    expect(page.locator("#case-rows tbody tr")).to_have_count(50)
    _shot(page, server, "case-list-1")

    page.get_by_role("link", name="Next").click()  # HTMX swaps the rows and sets the address
    expect(caption).to_have_text(f"51–{N} of {N} cases")
    expect(page.locator("#case-rows tbody tr")).to_have_count(N - 50)
    expect(page).to_have_url(re.compile(r"/cases\?page=2$"))
    expect(page.get_by_role("link", name="Next")).to_have_count(0)
    page.reload()  # the address holds the page
    expect(caption).to_have_text(f"51–{N} of {N} cases")

    page.get_by_label("Year registered", exact=True).fill("2023")
    page.get_by_label("Year registered", exact=True).dispatch_event("change")
    expect(caption).to_have_text(f"1–{N // 2} of {N // 2} cases")  # a filter starts again at page 1
    expect(page).to_have_url(re.compile(r"year=2023"))
    page.get_by_label("Order", exact=True).select_option("registered")
    first_date = page.locator("#case-rows tbody tr").first.locator('[data-label="Registered"] time')
    expect(first_date).to_have_text("10 Feb 2023")  # as the page's language writes it; the ISO date stays
    expect(first_date).to_have_attribute("datetime", "2023-02-10")
    page.get_by_label("Status", exact=True).select_option("closed")
    expect(page.locator("#no-cases")).to_have_text("No cases.")
    _shot(page, server, "case-list-filtered")
    ctx.close()

    ctx, page = _login(browser, server, "other.cw", java_script_enabled=False)
    page.goto("/cases")
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("#case-caption")).to_have_text(f"51–{N} of {N} cases")
    page.get_by_label("Year registered", exact=True).fill("2022")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"year=2022"))
    expect(page.locator("#case-caption")).to_have_text(f"1–{N // 2} of {N // 2} cases")
    ctx.close()
