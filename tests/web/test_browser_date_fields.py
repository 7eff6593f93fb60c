"""Date fields in a real browser whose locale is en-US while the page is French (issue 19): Chromium's date
picker would show mm/dd/yyyy; the page's date fields are text fields in the page's language, with the format
said beside them in French, and a day-first date typed as the hint says is read as that day."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.web.browser_conftest import (  # noqa: F401
    PASSWORD,
    LiveServer,
    browser,
    live_server,
)

pytestmark = pytest.mark.browser
TIMEOUT = 15_000


def test_a_french_page_in_an_english_browser_asks_for_dates_in_french(browser: Browser,  # noqa: F811
                                                                        live_server: LiveServer) -> None:  # noqa: F811
    from ctdata.web import i18n

    ctx = browser.new_context(base_url=live_server.url, locale="en-US")
    ctx.set_default_timeout(TIMEOUT)
    ctx.add_cookies([{"name": i18n.COOKIE, "value": "fr", "url": live_server.url}])  # French chosen on the switch
    page = ctx.new_page()
    page.goto("/login")
    page.locator("#f-username").fill("dest.cw")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    for path, fid in (("/cases", "#f-registered_from"), ("/screening", "#f-registration_date")):
        page.goto(path)
        field = page.locator(fid)
        expect(field).to_have_attribute("type", "text")
        expect(field).to_have_attribute("lang", "fr")
        expect(field).to_have_accessible_description(re.compile(r"jj/mm/aaaa ou aaaa-mm-jj"))
        assert page.evaluate(f"() => document.querySelector('{fid}').validity.valid")
    page.goto("/cases")
    page.locator("#f-registered_from").fill("31/01/2020")
    page.locator("#case-filters button[type=submit]").click()
    page.wait_for_url(re.compile(r"registered_from=31%2F01%2F2020"))
    expect(page.locator("#f-registered_from")).to_have_value("31/01/2020")  # read day first: no error at the field
    expect(page.locator("#f-registered_from")).not_to_have_attribute("aria-invalid", "true")
    ctx.close()
