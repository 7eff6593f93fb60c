"""axe-core (WCAG 2.1 A and AA) in a real browser on every page of the case app, for each kind of user
(caseworker, data manager, analyst, admin), in English, French, Spanish and Arabic (right to left), and on the
pages that show data errors (a form refused at its fields, a refused transfer, open return checks, a
quarantine, not found and not allowed, the offline screening with a refused draft, a name search refused to an
analyst, an account refused for an unknown agency and for a taken name): zero
violations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.ingest.helpers import record, write_records
from tests.web.axe_check import describe, violations
from tests.web.browser_conftest import (  # noqa: F401
    PASSWORD,
    LiveServer,
    browser,
    live_server,
    server_environment,
    wait_until,
)

TIMEOUT = 15_000
LANGUAGES = ["en-GB", "fr", "es", "ar"]


def _setup(server: LiveServer) -> int:
    """An admin account and one screened case of the Thai office; its id."""
    from ctdata.cases import returns, screening, service, users
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
            case = service.register_case(s, actor, {**PERSON, "citizenship": ["LA"]}, CASE)
            screening.screen(s, actor, case.id, {"actions": ["recruitment"], "purposes": ["forced_labour"]})
            returns.open_return(s, actor, case.id, {"requested_date": "2025-02-01", "receiving_office_country": "LA"})
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


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_page_has_no_wcag_violation(
    browser: Browser, live_server: LiveServer, tmp_path: Path, locale: str  # noqa: F811
) -> None:
    """Every page for each role, then the pages with data errors as a user meets them, in the same
    browser contexts (one sign-in per role and language keeps the run short)."""
    case_id = _setup(live_server)
    found: dict[str, str] = {}
    anon = browser.new_context(base_url=live_server.url, locale=locale)
    anon.set_default_timeout(TIMEOUT)
    page = anon.new_page()
    page.goto("/login")
    _audit(page, "/login", found)
    page.locator("#f-username").fill("dest.cw")
    page.locator("#f-password").fill("not the password")
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("main [role=alert]")).to_be_visible()
    _audit(page, "/login refused", found)
    # a page opened after the session ended: the sign-in page says so
    anon.add_cookies([{"name": "ctdata_session", "value": "an-ended-session", "url": live_server.url}])
    page.goto("/cases")
    expect(page.locator("main [role=status]")).to_be_visible()
    _audit(page, "/login after the session ended", found)
    anon.close()
    for user, paths in PAGES.items():
        ctx, page = _login(browser, live_server, user, locale)
        for path in paths:
            page.goto(path.format(case=case_id))
            page.wait_for_load_state("load")
            _audit(page, f"{user} {path}", found)
        if user in DATA_ERRORS:
            DATA_ERRORS[user](ctx, page, case_id, tmp_path / f"partner-{locale}.csv", found)
        ctx.close()
    assert not found, "\n".join(f"{where}:\n{what}" for where, what in found.items())


def _login(chrome: Browser, server: LiveServer, username: str, locale: str) -> tuple[BrowserContext, Page]:
    """Sign in whatever the page's language (the login form's fields by their ids)."""
    ctx = chrome.new_context(base_url=server.url, locale=locale)
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    page.locator("#f-username").fill(username)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases"))
    return ctx, page


def _audit(page: Page, where: str, found: dict[str, str]) -> None:
    if v := violations(page):
        found[where] = describe(v)


def _caseworker_errors(ctx: BrowserContext, page: Page, case_id: int, _file: Path, found: dict[str, str]) -> None:
    """A caseworker's refused forms, not found and not allowed, and the offline screening's refused draft."""
    # a form refused at its fields: there is no 31 February
    page.goto("/screening")
    page.locator("#f-given_name").fill("Nga")
    page.locator("#f-date_of_birth").fill("31/02/1994")
    page.locator("#f-actions-recruitment").check()
    page.locator("#register").click()
    expect(page.locator("#f-date_of_birth")).to_have_attribute("aria-invalid", "true")
    _audit(page, "screening refused at a field", found)
    # a journey step in the future, refused at its field in the tab
    page.goto(f"/cases/{case_id}?tab=journey")
    page.locator("#leg-date").fill("2999-01-01")
    page.locator("#tab-panel form button[type=submit]").click()
    expect(page.locator("#leg-date")).to_have_attribute("aria-invalid", "true")
    _audit(page, "journey step refused at a field", found)
    # a transfer refused for want of a consent to share
    page.goto(f"/cases/{case_id}?tab=transfers")
    page.locator("#tr-country").select_option("LA")
    page.locator("#tr-reason").fill("Reintegration at home.")
    page.locator("#tab-panel form button[type=submit]").click()
    expect(page.locator("#tab-panel [role=alert] a")).to_be_visible()
    _audit(page, "transfer refused", found)
    # a return refused while its checks are open, each named
    page.goto(f"/cases/{case_id}?tab=return")
    page.locator("#mark-travelled").click()
    expect(page.locator("#tab-panel [role=alert] li").first).to_be_visible()
    _audit(page, "return refused with open checks", found)
    # not found and not allowed
    for path, status in (("/cases/999999", 404), ("/screening/register", 405), ("/admin/users", 403)):
        response = page.goto(path)
        assert response is not None and response.status == status, path
        _audit(page, f"{status} {path}", found)
    # the offline screening: a draft kept on the device, refused by the server when the connection returns
    page.goto("/screening")
    wait_until(page, "async () => !!(await navigator.serviceWorker.ready).active && "
               "!!(await caches.match('/screening'))")
    ctx.set_offline(True)
    page.reload()
    page.locator("#f-given_name").fill("Kanya")
    page.locator("#f-date_of_birth").fill("30/02/2001")
    page.locator("#f-actions-recruitment").check()
    page.locator("#register").click()
    expect(page.locator("#offline-status")).to_be_visible()
    _audit(page, "offline screening queued", found)
    ctx.set_offline(False)
    expect(page.locator("#offline-status button")).to_be_visible()  # the refused draft, to load back
    _audit(page, "offline draft refused", found)


def _data_manager_errors(_ctx: BrowserContext, page: Page, _case: int, file: Path, found: dict[str, str]) -> None:
    """A data manager's import with a bad row, its quarantine, and the row refused at its field."""
    write_records(file, [record(0, agency="IOM"), record(1, agency="IOM", date_of_birth="31/02/1994")])
    page.goto("/data/import")
    page.locator("input[type=file]").set_input_files(str(file))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=alert]")).to_be_visible()
    _audit(page, "import with a quarantined row", found)
    page.goto("/data/quarantine")
    expect(page.locator("#quarantine")).to_be_visible()
    _audit(page, "quarantine with errors", found)
    page.locator("#quarantine a.button").first.click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    _audit(page, "quarantined row refused at its field", found)
    page.locator("#retry").click()  # retried as it is: still quarantined, said in the page's language
    expect(page.locator("main [role=alert]")).to_be_visible()
    _audit(page, "quarantined row retried and refused", found)
    page.locator("#q-date_of_birth").fill("28/02/1994")
    page.locator("#retry").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    _audit(page, "quarantined row loaded (after the redirect)", found)
    # a form opened in an earlier session (its CSRF token no longer the session's): the page says so
    page.goto("/data/releases")
    page.locator("#release-create input[name=csrf_token]").evaluate("e => e.value = 'from-an-earlier-session'")
    page.locator("#create-release").click()
    expect(page.locator("main h1")).to_be_visible()
    _audit(page, "expired form", found)


def _analyst_errors(_ctx: BrowserContext, page: Page, _case: int, _file: Path, found: dict[str, str]) -> None:
    """A name search by a role that sees no names: the list says why, in the page's language."""
    page.goto("/cases?q=Nga")
    expect(page.locator("main [role=status]")).to_be_visible()
    _audit(page, "analyst's name search refused", found)


def _admin_errors(_ctx: BrowserContext, page: Page, _case: int, _file: Path, found: dict[str, str]) -> None:
    """An account refused: an agency nobody registered, then a user name already taken."""
    page.goto("/admin/users")
    page.locator("#add-user summary").click()  # the form is folded until asked for
    page.locator("#nu-username").fill("kim")
    page.locator("#nu-role").select_option("caseworker")
    page.locator("#nu-office").select_option("TH")
    page.locator("#nu-agency").fill("IMO")
    page.locator("#nu-password").fill("a-long-enough-password")
    page.locator("#add-user-button").click()
    expect(page.locator("main [role=alert]")).to_be_visible()
    _audit(page, "account refused: unknown agency", found)
    page.locator("#nu-username").fill("dest.cw")
    page.locator("#nu-agency").fill("IOM")
    page.locator("#nu-password").fill("a-long-enough-password")
    page.locator("#add-user-button").click()
    expect(page.locator("main [role=alert]")).to_be_visible()
    _audit(page, "account refused: the name is taken", found)


DATA_ERRORS = {"dest.cw": _caseworker_errors, "data.manager": _data_manager_errors, "analyst": _analyst_errors,
               "axe.admin": _admin_errors}
