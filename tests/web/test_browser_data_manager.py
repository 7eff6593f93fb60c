"""In a real browser (Debian's Chromium, headless): a data manager imports a file with a bad row and
fixes it in the quarantine; a caseworker's bad date of birth is marked at its field, which has the
focus, and an empty form asks before registering (issue 19)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.ingest.helpers import record, write_records
from tests.web.browser_conftest import LiveServer, browser, live_server, login  # noqa: F401

TIMEOUT = 15_000


def test_data_manager_imports_a_file_and_fixes_its_bad_row(
    browser: Browser, live_server: LiveServer, tmp_path: Path  # noqa: F811
) -> None:
    rows = [record(i, agency="IOM") for i in range(4)] + [record(4, agency="IOM", date_of_birth="31/02/1994")]
    path = write_records(tmp_path / "partner.csv", rows)
    ctx, page = login(browser, live_server, "data.manager", TIMEOUT)
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File to import").set_input_files(str(path))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("4 loaded")
    expect(page.get_by_role("alert")).to_contain_text("1 quarantined")
    page.screenshot(path=str(live_server.shots / "import-result.png"), full_page=True)
    page.get_by_role("link", name="Review the quarantined rows").click()
    expect(page.locator("#quarantine")).to_contain_text("there is no 31 February 1994")
    page.locator("#quarantine a.button").first.click()
    field = page.get_by_label("date_of_birth")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("31/02/1994")
    expect(page.locator("#q-date_of_birth-error")).to_contain_text("There is no 31 February 1994")
    page.screenshot(path=str(live_server.shots / "quarantine-row.png"), full_page=True)
    field.fill("28/02/1994")
    page.get_by_role("button", name="Retry with these values").click()
    expect(page.get_by_role("status").filter(has_text="Loaded")).to_be_visible()
    page.get_by_role("link", name="Back to the quarantine").click()
    expect(page.locator("#quarantine-empty")).to_be_visible()
    ctx.close()


def test_caseworker_bad_date_is_marked_and_focused(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    ctx, page = login(browser, live_server, "dest.cw", TIMEOUT)
    page.goto("/screening")
    page.get_by_label("Given name").fill("Nga")
    page.get_by_label("Date of birth").fill("31/02/1994")
    page.get_by_label("Recruitment").check()
    page.get_by_role("button", name="Register case").click()
    dob = page.get_by_label("Date of birth")
    expect(dob).to_have_attribute("aria-invalid", "true")
    expect(dob).to_be_focused()
    expect(page.locator("#f-date_of_birth-error")).to_contain_text("There is no 31 February 1994")
    expect(page.get_by_label("Given name")).to_have_value("Nga")
    expect(page.get_by_label("Recruitment")).to_be_checked()
    page.screenshot(path=str(live_server.shots / "screening-bad-date.png"), full_page=True)
    dob.fill("31/01/1994")
    page.get_by_role("button", name="Register case").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nga")
    # an empty form asks first
    page.goto("/screening")
    page.get_by_role("button", name="Register case").click()
    expect(page.locator("#confirm-blank")).to_contain_text("No name is recorded")
    expect(page.get_by_role("button", name="Register it as it is")).to_be_focused()
    ctx.close()
