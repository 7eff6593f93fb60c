"""The public portal in a real browser (Debian's Chromium, headless), with screenshots.

A uvicorn subprocess serves the app on 127.0.0.1 (random free port) with a releases
directory holding one approved release (plus a draft and a withdrawn one). The test
loads the portal, tabs through it with the keyboard, filters the dashboard with the
keyboard, waits for every chart and the corridor map to be drawn by the vendored Vega,
downloads a release file and checks its checksum, checks text contrast, checks that
nothing is requested from another host, and looks at the dashboard on a phone-sized
screen. Screenshots go to $CTDATA_SCREENSHOTS when set, else a pytest tmp dir.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.serving import wait_until_serving
from tests.web.test_portal_data import make_releases

pytestmark = pytest.mark.browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT = 15_000
#: Text contrast of every visible text element against its background (WCAG AA: 4.5, large text 3).
CONTRAST_JS = """
() => {
  function rgb(s) { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(x => parseFloat(x)); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; }
  function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); }
  function bg(el) {
    while (el) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0.5) return c;
      el = el.parentElement;
    }
    return {r: 255, g: 255, b: 255, a: 1}; }
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg') || el.closest('.skip-link')) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect(); if (!r.width || !r.height) continue;
    const st = getComputedStyle(el); if (st.visibility === 'hidden') continue;
    const fg = rgb(st.color), b = bg(el); if (!fg) continue;
    const l1 = lum(fg), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) bad.push(el.tagName + ' "' + el.textContent.trim().slice(0, 40) + '" ' + ratio.toFixed(2));
  }
  return bad;
}
"""


@dataclass
class Portal:
    url: str
    ids: dict[str, str]
    releases: Path
    shots: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("portal-live")
    shots = Path(os.environ.get("CTDATA_SCREENSHOTS") or tmp_path_factory.mktemp("portal-shots"))
    shots.mkdir(parents=True, exist_ok=True)
    ids = make_releases(root / "releases")
    port = _free_port()
    env = {
        **os.environ,
        "CTDATA_DATA_DIR": str(root),
        "CTDATA_RELEASES_DIR": str(root / "releases"),
        "CTDATA_DATABASE_URL": f"sqlite:///{root / 'ctdata.db'}",
    }
    env.pop("CTDATA_CONFIG", None)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "ctdata.web.app:create_app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, f"{url}/portal/releases")
        yield Portal(url, ids, root / "releases", shots)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _shot(page: Page, portal: Portal, name: str) -> None:
    page.screenshot(path=str(portal.shots / f"portal-{name}.png"), full_page=True)


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()"))


def _tab_to(page: Page, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == element_id:
            return
    raise AssertionError(f"could not reach #{element_id} with the Tab key")


def _charts_drawn(page: Page) -> int:
    charts = page.locator(".vega[data-spec]")
    n = charts.count()
    expect(page.locator(".vega[data-rendered='true'] svg")).to_have_count(n, timeout=TIMEOUT)
    return n


def test_portal_in_the_browser(browser: Browser, portal: Portal) -> None:
    ctx = browser.new_context(base_url=portal.url, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    foreign, errors = [], []
    page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", None) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # --- home: skip link first, then the main navigation --------------------------------------------
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Counter-trafficking data portal")
    page.keyboard.press("Tab")
    assert _focused(page) == "Skip to main content"
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    _shot(page, portal, "01-home")
    assert page.evaluate(CONTRAST_JS) == []

    # --- dashboard: every chart drawn, filters by keyboard ------------------------------------------
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    n = _charts_drawn(page)
    assert n >= 5
    for i in range(n):  # each chart has a text alternative and a table beside it
        chart = page.locator(".vega-wrap").nth(i)
        assert chart.get_attribute("role") == "img" and len(chart.get_attribute("aria-label") or "") > 20
    assert page.locator("figure figcaption").count() == n and page.locator("table.data").count() >= n
    _shot(page, portal, "02-dashboard")
    assert page.evaluate(CONTRAST_JS) == []

    page.locator("#f-release").focus()
    _tab_to(page, "f-sex")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus must be visible"
    before = page.locator("#f-sex").input_value()
    page.keyboard.press("ArrowDown")  # a closed select changes its value with the arrow keys
    chosen = page.locator("#f-sex").input_value()
    assert chosen != before
    _tab_to(page, "f-age")
    page.keyboard.press("ArrowDown")
    age = page.locator("#f-age").input_value()
    _shot(page, portal, "03-dashboard-filters-focused")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Apply filters":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"sex={chosen}" in page.url and f"age={age}" in page.url
    expect(page.get_by_role("status")).to_contain_text("Showing the records with:")
    expect(page.locator("#f-sex")).to_have_value(chosen)
    _charts_drawn(page)
    cells = page.locator("table.data td.num:not(.na)").all_inner_texts()
    assert cells and all(
        c in ("x", "<11") or int(c.replace(",", "")) == 0 or int(c.replace(",", "")) >= 11 for c in cells
    )
    _shot(page, portal, "04-dashboard-filtered")

    # a narrow filter: small cells appear as "<11" and the page says why
    page.goto("/portal/dashboard?sex=transgender_nonconforming")
    _charts_drawn(page) if page.locator(".vega[data-spec]").count() else None
    expect(page.locator(".notice")).to_contain_text("fewer than 11 records")
    _shot(page, portal, "05-dashboard-small-cells")

    # --- corridor map --------------------------------------------------------------------------------
    page.goto("/")
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Corridor map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Corridor map")
    _charts_drawn(page)
    svg = page.locator("#corridor-map svg")
    assert svg.locator("path").count() > 100  # the countries of the world, then the corridors
    box = svg.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 300
    rows = page.locator("#flows-table tbody tr")
    assert rows.count() >= 3
    expect(page.locator("#flows-table")).to_contain_text("Philippines")
    _shot(page, portal, "06-map")
    assert page.evaluate(CONTRAST_JS) == []

    # --- releases: documentation and a download --------------------------------------------------------
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Data releases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data releases")
    assert portal.ids["draft"] not in page.content() and portal.ids["withdrawn"] not in page.content()
    expect(page.locator("details.doc").first).to_have_attribute("open", "")
    _shot(page, portal, "07-releases")
    manifest = json.loads((portal.releases / portal.ids["approved"] / "manifest.json").read_text())
    with page.expect_download() as info:
        page.get_by_role("link", name="records.csv", exact=True).click()
    download = info.value
    assert download.suggested_filename == "records.csv"
    data = Path(download.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["files"]["records.csv"]["sha256"]
    assert data.splitlines()[1].startswith(b"#date+year+registered")  # HXL row 2

    # the codebook opens with the keyboard
    summary = page.locator("details.doc summary", has_text="Codebook").first
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.doc").nth(1)).to_have_attribute("open", "")

    # a draft release is not there
    r = page.goto(f"/portal/releases/{portal.ids['draft']}/files/records.csv")
    assert r is not None and r.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")

    assert not foreign, f"requests to other hosts: {foreign[:5]}"
    assert not [e for e in errors if "404" not in e], errors
    ctx.close()


def test_portal_on_a_phone(browser: Browser, portal: Portal) -> None:
    ctx = browser.new_context(base_url=portal.url, viewport={"width": 375, "height": 740}, device_scale_factor=2)
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    for name, url in (("08-phone-dashboard", "/portal/dashboard"), ("09-phone-map", "/portal/map")):
        page.goto(url)
        _charts_drawn(page)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
        _shot(page, portal, name)
    ctx.close()
