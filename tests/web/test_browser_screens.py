"""The main pages in each language, in a real browser: `lang`/`dir` as chosen, and a screenshot of each
(written to $CTDATA_SCREENSHOTS when set; `docs/screens` holds the ones looked at). The portal's home page
and dashboard are photographed by test_browser_portal_languages.py into the same folder."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.web.browser_conftest import PASSWORD, LiveServer, browser, live_server, server_environment  # noqa: F401

TIMEOUT = 15_000
DIRECTION = {"en": "ltr", "fr": "ltr", "es": "ltr", "ar": "rtl"}


def _a_case(server: LiveServer) -> int:
    from ctdata.cases import journeys, screening, service
    from ctdata.cases.access import Actor
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.store.models import User
    from tests.cases.conftest import CASE, PERSON

    db_url = f"sqlite:///{server.data_dir / 'ctdata.db'}"
    with server_environment(server.data_dir, db_url):
        eng = store_engine(db_url)
        with transaction(eng) as s:
            actor = Actor.of(s.query(User).filter_by(username="dest.cw").one())
            case = service.register_case(s, actor, {**PERSON, "citizenship": ["LA"]}, CASE)
            screening.screen(s, actor, case.id, {"actions": ["recruitment"], "means": ["deception"],
                                                 "purposes": ["forced_labour"], "age_at_exploitation": 24})
            journeys.add_leg(s, actor, case.id, {"from_country": "LA", "to_country": "TH",
                                                 "departure_date": "2023-11-02", "crossing": "unofficial"})
            case_id = case.id
        eng.dispose()
    return case_id


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
def test_main_pages_in_each_language(browser: Browser, live_server: LiveServer, lang: str) -> None:  # noqa: F811
    case_id = _a_case(live_server)
    ctx = browser.new_context(base_url=live_server.url, locale=lang, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", DIRECTION[lang])
    page.screenshot(path=str(live_server.shots / f"{lang}-login.png"))
    page.locator("#f-username").fill("dest.cw")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases"))
    for name, path in (("cases", "/cases"), ("screening", "/screening"), ("case", f"/cases/{case_id}"),
                       ("case-journey", f"/cases/{case_id}?tab=journey")):
        page.goto(path)
        expect(html).to_have_attribute("lang", lang)
        page.screenshot(path=str(live_server.shots / f"{lang}-{name}.png"), full_page=name != "screening")
    ctx.close()
    # an analyst's indicators: the analytics labels in the language
    ctx = browser.new_context(base_url=live_server.url, locale=lang, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    page.locator("#f-username").fill("analyst")
    page.locator("#f-password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases"))
    page.goto("/indicators")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#indicators")).to_be_visible()
    page.screenshot(path=str(live_server.shots / f"{lang}-indicators.png"), full_page=True)
    ctx.close()
