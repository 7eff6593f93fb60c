"""In a real browser, in French: a data manager imports partner data with a bad row, fixes the row in the
quarantine and retries it, and makes a release draft that only a second data manager may approve (four
eyes), then withdraws it; an admin adds an account, disables it and resets a password, which ends the data
manager's session (the sign-in page says so). Every page is French, none of its lines English, the row
reasons and service messages included; a reload after a form repeats nothing (issue 19)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.ingest.helpers import record, write_records
from tests.web.browser_conftest import PASSWORD, USERS, LiveServer, browser, live_server, server_environment  # noqa: F401
from tests.web.test_browser_day_fr import _is_english, _lines, _login_fr


def _fr(msgid: str, **params: object) -> str:
    from ctdata.web.i18n import translations

    text = translations("fr").gettext(msgid)
    return text % params if params else text


def _accounts(server: LiveServer) -> None:
    """A second data manager of the same agency and an admin (the live server makes neither)."""
    from ctdata.cases import users
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.store.models import User

    db_url = f"sqlite:///{server.data_dir / 'ctdata.db'}"
    with server_environment(server.data_dir, db_url):
        eng = store_engine(db_url)
        with transaction(eng) as s:
            for name, role, agency in (("second.manager", "data_manager", "IOM"), ("fr.admin", "admin", None)):
                if s.query(User).filter_by(username=name).first() is None:
                    users.create_user(s, SYSTEM, name, PASSWORD, role, None, agency)
        eng.dispose()


def _check_french(page: Page, step: str, signed_in: bool = True) -> None:
    """As the French day's check (lang, sign-out button, no English line in the main part), where the
    lines that are user names (an account called "analyst") and the template's column names (the file's
    headers, which label the quarantined row's fields) are data, not words of the page."""
    from ctdata.standard.template import TABLES

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    if signed_in:
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    names = set(USERS) | {"second.manager", "fr.admin", "kim.fr"} | {c.name for t in TABLES.values() for c in t}
    english = [line for line in _lines(page.locator("main")) if _is_english(line) and line not in names]
    assert not english, f"{step}: English on the French page: {english}"


def _go(page: Page, link: str, heading: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_release_four_eyes_and_user_administration_in_french(
    browser: Browser, live_server: LiveServer, tmp_path: Path  # noqa: F811
) -> None:
    _accounts(live_server)
    rows = [record(i, agency="IOM", sex="female", citizenship="UA", date_of_birth="1990-01-01") for i in range(40)]
    rows.append(record(40, agency="IOM", sex="robot", citizenship="UA", date_of_birth="31/02/1994"))
    path = write_records(tmp_path / "partner.csv", rows)
    contexts: list[BrowserContext] = []
    try:
        ctx, page = _login_fr(browser, live_server, "data.manager")
        contexts.append(ctx)
        _go(page, _fr("Import"), _fr("Import a file"))
        page.locator("#f-file").set_input_files(str(path))
        page.locator("#import").click()
        expect(page.locator("main [role=alert]")).to_contain_text("41", timeout=60_000)  # one row quarantined
        expect(page.locator("#import-result")).to_be_visible()
        _check_french(page, "import")
        page.reload()  # posted, then shown after a redirect: a reload imports nothing again, nor says it did
        expect(page.locator("#import-result")).to_have_count(0)
        _check_french(page, "import reloaded")

        _go(page, _fr("Quarantine"), _fr("Quarantine"))
        expect(page.locator("#quarantine")).to_contain_text("robot")
        expect(page.locator("#quarantine")).to_contain_text("31 février 1994")
        _check_french(page, "quarantine")
        page.locator("#quarantine a.button").first.click()
        expect(page.locator("#q-sex")).to_have_attribute("aria-invalid", "true")
        _check_french(page, "quarantined row")
        page.locator("#q-sex").fill("licorne")
        page.locator("#retry").click()
        expect(page.locator("main [role=alert]")).to_contain_text(_fr("Still quarantined"))
        expect(page.locator("#q-sex")).to_have_value("licorne")  # what was typed is kept
        _check_french(page, "retry refused")
        page.locator("#q-sex").fill("female")
        page.locator("#q-date_of_birth").fill("28/02/1994")
        page.locator("#retry").click()
        expect(page.get_by_role("status")).to_contain_text(_fr("Loaded"))
        _check_french(page, "row loaded")
        page.reload()  # the retry is not posted again, and its message is not shown again
        expect(page.get_by_role("status")).to_have_count(0)
        expect(page.locator("#retry-form")).to_have_count(0)

        _go(page, _fr("Releases"), _fr("Releases"))
        page.locator("#f-k").fill("5")
        page.locator("#create-release").click()
        row = page.locator("#releases tbody tr").first
        expect(row).to_contain_text(_fr("Your draft: another data manager approves it."), timeout=60_000)
        expect(row.get_by_role("button")).to_have_count(0)  # the creator cannot approve
        page.reload()  # the draft was posted, then shown at its own address: a reload makes no second draft
        expect(page.locator("#releases tbody tr")).to_have_count(1)
        _check_french(page, "draft")

        ctx2, other = _login_fr(browser, live_server, "second.manager")
        contexts.append(ctx2)
        _go(other, _fr("Releases"), _fr("Releases"))
        other.locator("#releases tbody tr").first.locator("form[action$='/approve'] button").click()
        expect(other.get_by_role("status")).to_be_visible()
        expect(other.locator("#releases tbody tr").first).to_contain_text("second.manager")
        _check_french(other, "approved")

        page.goto("/data/releases")
        first = page.locator("#releases tbody tr").first
        expect(first).to_contain_text(_fr("Approved by %(user)s", user="second.manager"))
        first.locator("input[name=reason]").fill("mauvaise année")
        first.locator("form[action$='/withdraw'] button").click()
        expect(page.locator("#releases tbody tr").first).to_contain_text("mauvaise année")
        _check_french(page, "withdrawn")

        ctx3, admin = _login_fr(browser, live_server, "fr.admin")
        contexts.append(ctx3)
        _go(admin, _fr("Users"), _fr("Users"))
        admin.locator("#add-user summary").click()
        admin.locator("#nu-username").fill("kim.fr")
        admin.locator("#nu-role").select_option("analyst")
        admin.locator("#nu-password").fill("un-mot-de-passe-assez-long")
        admin.locator("#add-user-button").click()
        kim = admin.locator("#user-kim\\.fr")
        expect(kim).to_be_visible()
        _check_french(admin, "user added")
        kim.locator("form[action$='/disable'] button").click()
        expect(admin.locator("#user-kim\\.fr form[action$='/enable'] button")).to_be_visible()
        _check_french(admin, "user disabled")
        admin.locator("#password-data\\.manager").fill("encore-un-mot-de-passe")
        admin.locator("#user-data\\.manager form[action$='/reset-password'] button").click()
        expect(admin.get_by_role("status")).to_be_visible()
        _check_french(admin, "password reset")
        admin.reload()  # the reset is not posted again
        expect(admin.get_by_role("status")).to_have_count(0)

        # the reset ended the data manager's session: the next page is the sign-in, which says why, in French
        page.goto("/data/releases")
        expect(page.get_by_role("heading", level=1)).to_have_text(_fr("Sign in"))
        expect(page.get_by_role("status")).to_contain_text(_fr("Your session has ended"))
        _check_french(page, "session ended", signed_in=False)
    finally:
        for c in contexts:
            c.close()
