"""The browser tests' wait for asynchronous page state really waits.

Checks of IndexedDB, caches and the service worker are promises. Playwright's `wait_for_function`
treats the promise itself as truthy and returns after one evaluation, whatever it resolves to: the
offline test then read the draft key before the page had stored it (failed once in CI). This pins
both facts, so a helper that only looks like a wait cannot come back.
"""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.web.browser_conftest import browser, wait_until  # noqa: F401

LATER = "<script>setTimeout(() => { window.ready = true; }, 600);</script>"
READY = "async () => { await new Promise((ok) => setTimeout(ok, 10)); return window.ready === true; }"


def test_wait_until_awaits_an_async_predicate_until_it_holds(browser: Browser) -> None:  # noqa: F811
    page = browser.new_page()
    page.set_content(LATER)
    assert wait_until(page, READY, timeout=5_000) is True
    assert page.evaluate("window.ready") is True
    page.close()


def test_wait_for_function_does_not_await_an_async_predicate(browser: Browser) -> None:  # noqa: F811
    page = browser.new_page()
    page.set_content(LATER)
    page.wait_for_function(READY, timeout=5_000)
    assert page.evaluate("window.ready") is not True  # returned at once: why wait_until exists
    page.close()


def test_wait_until_says_what_never_held(browser: Browser) -> None:  # noqa: F811
    page = browser.new_page()
    try:
        wait_until(page, "async () => false", timeout=300)
    except AssertionError as e:
        assert "async () => false" in str(e)
    else:
        raise AssertionError("wait_until returned for a predicate that never held")
    page.close()
