"""The public portal in a real browser in each language: axe-core finds no WCAG 2.1 A/AA violation on its
pages and its not-found pages in English, French, Spanish and Arabic (right to left), no line of its pages in
French or Arabic is English, the charts are drawn with their words and numbers in the language, the language
switch works, and a screenshot of the home page and the dashboard is taken in each language
($CTDATA_SCREENSHOTS; `docs/screens` holds the ones looked at)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from ctdata.standard import regions
from ctdata.web import i18n
from tests.web.axe_check import describe, violations
from tests.web.test_browser_day_fr import ENGLISH_WORDS, _english_terms, _lines
from tests.web.test_browser_portal import Portal, _charts_drawn, browser, portal  # noqa: F401

pytestmark = pytest.mark.browser
TIMEOUT = 15_000
PAGES = ("/", "/portal/dashboard", "/portal/map", "/portal/releases")
DIRECTION = {"en": "ltr", "fr": "ltr", "es": "ltr", "ar": "rtl"}
#: what a page may show in Latin letters in any language: names of formats and standards, file names,
#: release ids, checksums (the releases' own documentation is marked lang="en", and their titles, as the data
#: manager wrote them, are in a <bdi>: both are left out)
NAMES = re.compile(
    r"\b(JSON|CSV|Excel|Parquet|Markdown|README|HXL|SHA-256|UN|M49|Natural Earth|Frictionless Data "
    r"Package|k|x|[\w.-]+\.(csv|md|json|xlsx|parquet))\b"
)


def _english(page: Page, lang: str) -> list[str]:
    """The lines of the page (header, main, footer; not the English documentation of a release) that read
    as English: a word of an English sentence, or a label of the vocabularies or the catalogue left as it is."""
    page.evaluate(
        "() => document.querySelectorAll('.markdown[lang=en], code.hash, bdi.release-title, #f-release')"
        ".forEach(e => e.remove())"
    )
    english = []
    for line in _lines(page.locator("body")):
        bare = NAMES.sub("", line)
        if line in regions.M49_AREA_CODES and i18n.region_name(line, lang) == line:
            continue  # CLDR writes it the same way (Europe in French)
        if line in _english_terms() or ENGLISH_WORDS.search(bare):
            english.append(line)
    return english


def _shoot_first_chart(page: Page, portal: Portal, lang: str) -> None:  # noqa: F811
    """The dashboard from its first chart down (a chart, its legend and its table), where the words are."""
    page.evaluate(
        "() => window.scrollTo(0, document.querySelector('.panel').getBoundingClientRect().top + window.scrollY - 8)"
    )
    page.screenshot(path=str(portal.shots / f"{lang}-portal-dashboard.png"))


def _open(page: Page, path: str, lang: str) -> None:
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[lang])
    if path in ("/portal/dashboard", "/portal/map"):
        _charts_drawn(page)


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
def test_portal_pages_have_no_wcag_violation(browser: Browser, portal: Portal, lang: str) -> None:  # noqa: F811
    # axe is injected as an inline script, which the portal's Content-Security-Policy rightly refuses
    ctx = browser.new_context(
        base_url=portal.url, locale=lang, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    found = {}
    for path in PAGES:
        _open(page, path, lang)
        if v := violations(page):
            found[path] = describe(v)
    page.goto("/portal/releases/nope/files/x.csv")  # the portal's own not-found page
    if v := violations(page):
        found["not found"] = describe(v)
    response = page.goto("/portal/dashboard?release=nope")  # not found, with its reason in the language
    assert response is not None and response.status == 404
    if v := violations(page):
        found["dashboard of no release"] = describe(v)
    ctx.close()
    assert not found, found


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
def test_portal_has_no_english_line_and_is_photographed(browser: Browser, portal: Portal, lang: str) -> None:  # noqa: F811
    ctx = browser.new_context(base_url=portal.url, locale=lang, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in PAGES:
        _open(page, path, lang)
        if path == "/":
            page.screenshot(path=str(portal.shots / f"{lang}-portal.png"))
        if path == "/portal/dashboard":
            _shoot_first_chart(page, portal, lang)
            # the drawn charts' axis titles are in the language
            axis = page.evaluate(
                "() => Array.from(document.querySelectorAll('#chart-year_sex svg text')).map(t => t.textContent)"
            )
            assert "Records" not in axis and "Sex" not in axis, axis
        if lang != "es":  # Spanish shares too many words with English for this check; its catalogue is tested
            assert not (english := _english(page, lang)), f"{path}: English on the {lang} page: {english}"
    # the language switch: from the dashboard to English and back to the dashboard
    page.goto("/portal/dashboard")
    page.locator("#language").select_option("en")
    page.locator("form.language-switch button").click()
    page.wait_for_url(re.compile(r"/portal/dashboard"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    ctx.close()
    assert not errors, errors


def test_the_english_portal_is_photographed(browser: Browser, portal: Portal) -> None:  # noqa: F811
    ctx = browser.new_context(base_url=portal.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    for path, name in (("/", "en-portal"), ("/portal/dashboard", "en-portal-dashboard")):
        _open(page, path, "en")
        if path == "/":
            page.screenshot(path=str(portal.shots / f"{name}.png"))
        else:
            _shoot_first_chart(page, portal, "en")
    ctx.close()
