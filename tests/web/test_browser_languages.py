"""In a real browser (Debian's Chromium, headless): a French caseworker's screening form, and an Arabic
page laid out right to left, with the language chosen by the browser and by the language switch."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.browser_conftest import PASSWORD, LiveServer, browser, live_server  # noqa: F401

TIMEOUT = 15_000


def test_arabic_page_reads_right_to_left(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    ctx = browser.new_context(base_url=live_server.url, locale="ar-EG")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expect(page.get_by_role("heading", level=1)).to_have_text("تسجيل الدخول")
    # the form starts on the right: the label's right edge is near the page's right edge
    box = page.get_by_label("اسم المستخدم").bounding_box()
    width = page.viewport_size["width"]
    assert box and width - (box["x"] + box["width"]) < box["x"]
    page.screenshot(path=str(live_server.shots / "ar-login.png"), full_page=True)
    page.get_by_label("اسم المستخدم").fill("dest.cw")
    page.get_by_label("كلمة المرور").fill(PASSWORD)
    page.get_by_role("button", name="تسجيل الدخول").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("الحالات")
    page.screenshot(path=str(live_server.shots / "ar-cases.png"), full_page=True)
    ctx.close()


def test_french_caseworker_screens_and_registers(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("Language").select_option("fr")  # the switch overrides the browser's English
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Nom d’utilisateur").fill("dest.cw")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")
    page.get_by_role("link", name="Nouveau filtrage").click()
    page.get_by_label("Prénom").fill("Awa")
    page.get_by_label("Nom de famille").fill("Diallo")
    page.get_by_label("Date de naissance").fill("13/05/2001")
    person = page.get_by_role("group", name="La personne", exact=True)  # not a perpetrator's block
    person.get_by_label("Nationalité").select_option(label="Côte d’Ivoire")
    page.get_by_label("Recrutement").check()
    page.get_by_label("Tromperie").check()
    page.get_by_label("Travail ou services forcés").check()
    page.screenshot(path=str(live_server.shots / "fr-screening.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awa Diallo")
    ctx.close()
