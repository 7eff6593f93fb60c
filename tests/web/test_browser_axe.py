"""axe-core (WCAG 2.1 A and AA) in a real browser on every page of the case app, for each kind of user,
in English and in Arabic (right to left): zero violations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from tests.web.axe_check import describe, violations
from tests.web.browser_conftest import LiveServer, browser, live_server, login, server_environment  # noqa: F401

TIMEOUT = 15_000


def _setup(server: LiveServer) -> int:
    """An admin account and one screened case of the Thai office; its id."""
    from ctdata.cases import screening, service, users
    from ctdata.cases.access import SYSTEM, Actor
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.store.models import User
    from tests.cases.conftest import CASE, PERSON
    from tests.web.browser_conftest import PASSWORD

    db_url = f"sqlite:///{server.data_dir / 'ctdata.db'}"
    with server_environment(server.data_dir, db_url):
        eng = store_engine(db_url)
        with transaction(eng) as s:
            if s.query(User).filter_by(username="axe.admin").first() is None:
                users.create_user(s, SYSTEM, "axe.admin", PASSWORD, "admin")
            actor = Actor.of(s.query(User).filter_by(username="dest.cw").one())
            case = service.register_case(s, actor, PERSON, CASE)
            screening.screen(s, actor, case.id, {"actions": ["recruitment"], "purposes": ["forced_labour"]})
            case_id = case.id
        eng.dispose()
    return case_id


PAGES = {
    "dest.cw": ["/cases", "/screening", "/transfers/inbox", "/cases/{case}?tab=overview", "/cases/{case}?tab=journey",
                "/cases/{case}?tab=assistance", "/cases/{case}?tab=return", "/cases/{case}?tab=transfers",
                "/cases/{case}?tab=consent", "/cases/{case}?tab=audit", "/linkage"],
    "data.manager": ["/cases", "/data/import", "/data/quarantine", "/data/releases", "/indicators", "/linkage",
                     "/estimates"],
    "analyst": ["/cases", "/indicators", "/estimates", "/data/releases", "/linkage"],
    "axe.admin": ["/admin/users"],
}


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_every_page_has_no_wcag_violation(browser: Browser, live_server: LiveServer, locale: str) -> None:  # noqa: F811
    case_id = _setup(live_server)
    found: dict[str, str] = {}
    anon = browser.new_context(base_url=live_server.url, locale=locale)
    page = anon.new_page()
    page.goto("/login")
    if v := violations(page):
        found["/login"] = describe(v)
    anon.close()
    for user, paths in PAGES.items():
        ctx, page = login(browser, live_server, user, TIMEOUT, locale=locale) if locale != "ar" else _login_ar(
            browser, live_server, user)
        for path in paths:
            page.goto(path.format(case=case_id))
            page.wait_for_load_state("load")
            if v := violations(page):
                found[f"{user} {path}"] = describe(v)
        ctx.close()
    assert not found, "\n".join(f"{where}:\n{what}" for where, what in found.items())


def _login_ar(chrome: Browser, server: LiveServer, username: str):  # type: ignore[no-untyped-def]
    from tests.web.browser_conftest import PASSWORD

    ctx = chrome.new_context(base_url=server.url, locale="ar")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("اسم المستخدم").fill(username)
    page.get_by_label("كلمة المرور").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(re.compile(r"/cases"))
    return ctx, page
