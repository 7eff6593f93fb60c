"""A caseworker records a perpetrator on the case page in a real browser (Debian's Chromium, headless);
the analyst's view of the same tab shows the perpetrator without a name or a number."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.web.browser_conftest import LiveServer, browser, live_server, login, server_environment  # noqa: F401

TIMEOUT = 10_000
NAME, PHONE = "Dravosh Kellin", "+66 81 777 4040"


def _register_case(server: LiveServer, username: str) -> int:
    from ctdata.cases import service
    from ctdata.cases.access import Actor
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.store.models import User
    from tests.cases.conftest import CASE, PERSON

    db_url = f"sqlite:///{server.data_dir / 'ctdata.db'}"
    with server_environment(server.data_dir, db_url):
        eng = store_engine(db_url)
        with transaction(eng) as s:
            actor = Actor.of(s.query(User).filter_by(username=username).one())
            cid = service.register_case(s, actor, PERSON, CASE).id
        eng.dispose()
    return cid


def test_caseworker_records_a_perpetrator(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    cid = _register_case(live_server, "dest.cw")
    ctx, page = login(browser, live_server, "dest.cw", TIMEOUT)
    page.goto(f"{live_server.url}/cases/{cid}")
    page.get_by_role("tab", name="Perpetrators").click()
    expect(page.locator("#tab-panel h2").first).to_have_text("Perpetrators")
    page.locator("#f-roles-recruiter").check()
    page.locator("#f-roles-exploiter").check()
    page.get_by_label("Sex", exact=True).select_option("male")
    page.get_by_label("Age", exact=True).select_option("30-38")
    page.get_by_label("Citizenship", exact=True).select_option("TH")
    page.get_by_label("Relation to the person", exact=True).select_option("friend_acquaintance")
    page.get_by_label("The person paid them money", exact=True).select_option("yes")
    page.locator("#f-means_of_control-debt_bondage").check()
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label("Phone number", exact=True).fill(PHONE)
    page.get_by_role("button", name="Record perpetrator").click()
    expect(page.locator("#tab-panel")).to_contain_text("Perpetrator recorded.")
    row = page.locator("#perpetrator-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Recruiter, Exploiter")
    expect(row).to_contain_text("Friend or acquaintance")
    expect(row).to_contain_text("Debt bondage")
    expect(row).to_contain_text(NAME)
    expect(row).to_contain_text(PHONE)
    ctx.close()

    ctx, page = login(browser, live_server, "analyst", TIMEOUT)
    page.goto(f"{live_server.url}/cases/{cid}?tab=perpetrators")
    expect(page.locator("#perpetrator-list tbody tr")).to_contain_text("Recruiter, Exploiter")
    body = page.content()
    assert NAME not in body and PHONE not in body and "Kellin" not in body
    expect(page.get_by_role("button", name="Record perpetrator")).to_have_count(0)
    ctx.close()


def test_caseworker_names_a_perpetrator_while_screening(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    """The screening form's first perpetrator block, filled in Chromium, is on the registered case's tab;
    the second block, left blank, adds no one."""
    ctx, page = login(browser, live_server, "dest.cw", TIMEOUT)
    page.goto(f"{live_server.url}/screening")
    page.get_by_label("Given name", exact=True).fill("Mali")
    page.get_by_label("Family name", exact=True).fill("Sorn")
    page.locator("#f-actions-recruitment").check()
    page.locator("#f-purposes-forced_labour").check()
    page.get_by_label("Age when the exploitation began", exact=True).fill("15")
    block = page.locator("#screening-perpetrators fieldset.perpetrator-block").first
    expect(block.locator("legend").first).to_have_text("Person 1")
    block.locator("#f-p1-roles-recruiter").check()
    block.get_by_label("Sex", exact=True).select_option("female")
    block.get_by_label("Age", exact=True).select_option("30-38")
    block.get_by_label("Citizenship", exact=True).select_option("TH")
    block.get_by_label("Relation to the person", exact=True).select_option("family_intimate_partner")
    block.get_by_label("The person paid them money", exact=True).select_option("no")
    block.locator("#f-p1-means_of_control-debt_bondage").check()
    block.get_by_label("Alias or nickname", exact=True).fill("Auntie Noi")
    page.get_by_role("button", name="Register case").click()
    page.wait_for_url(re.compile(r"/cases/\d+\?registered=1"))
    page.get_by_role("tab", name="Perpetrators").click()
    row = page.locator("#perpetrator-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Recruiter")
    expect(row).to_contain_text("Debt bondage")
    expect(row).to_contain_text("Auntie Noi")
    ctx.close()
