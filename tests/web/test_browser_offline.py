"""Offline screening in a real browser: with the network off a caseworker fills and queues two screenings (kept
encrypted in IndexedDB), with the network back they are sent and appear as cases, a refused draft is shown as a
conflict, and after signing out nothing of them is left in the browser's storage."""

from __future__ import annotations

import base64

from playwright.sync_api import Browser, Page, expect

from tests.web.browser_conftest import LiveServer, browser, live_server, login, wait_until  # noqa: F401

TIMEOUT = 15_000
PEOPLE = [("Anong", "Offlinechild", "14", "LA"), ("Somchai", "Offlineadult", "30", "MM")]

_STORAGE = """async () => {
  const out = {local: JSON.stringify(Object.assign({}, localStorage)),
               session: JSON.stringify(Object.assign({}, sessionStorage)),
               databases: (await indexedDB.databases()).map((d) => d.name), caches: await caches.keys(), drafts: []};
  if (!out.databases.includes("ctdata-offline")) return out;
  const db = await new Promise((ok, bad) => {
    const r = indexedDB.open("ctdata-offline"); r.onsuccess = () => ok(r.result); r.onerror = () => bad(r.error); });
  const names = Array.from(db.objectStoreNames);
  if (names.includes("drafts")) {
    const all = await new Promise((ok) => { const r = db.transaction("drafts").objectStore("drafts").getAll();
                                            r.onsuccess = () => ok(r.result); });
    out.drafts = all.map((d) => ({keys: Object.keys(d).sort(), conflict: d.conflict || null,
        data: btoa(String.fromCharCode(...new Uint8Array(d.data))), plain: JSON.stringify(d)}));
  }
  if (names.includes("keys")) {
    const k = await new Promise((ok) => { const r = db.transaction("keys").objectStore("keys").get("draft");
                                          r.onsuccess = () => ok(r.result); });
    out.key = k ? {extractable: k.key.extractable, type: k.key.type, expires: k.expires} : null;
  }
  db.close();
  return out;
}"""


def _storage(page: Page) -> dict:
    return page.evaluate(_STORAGE)  # type: ignore[no-any-return]


def _fill(page: Page, given: str, family: str, age: str, citizenship: str) -> None:
    page.get_by_label("Given name", exact=True).fill(given)
    page.get_by_label("Family name", exact=True).fill(family)
    page.locator("#f-citizenship").select_option(citizenship)
    page.get_by_label("Age when the exploitation began", exact=True).fill(age)
    page.locator("#f-actions-recruitment").check()
    page.locator("#f-purposes-forced_labour").check()


def test_screenings_queued_offline_are_sent_when_the_connection_returns(
    browser: Browser, live_server: LiveServer  # noqa: F811
) -> None:
    ctx, page = login(browser, live_server, "dest.cw", TIMEOUT)
    page.goto("/screening")
    wait_until(page, """async () => {
        const reg = await navigator.serviceWorker.ready;
        return !!reg.active && !!(await caches.match('/screening'));
    }""")
    wait_until(page, "async () => { const s = await (" + _STORAGE + ")(); return !!s.key; }")
    key = _storage(page)["key"]
    assert key["extractable"] is False and key["type"] == "secret"

    # --- no connection: the page comes from the service worker, the screenings are kept encrypted ---
    ctx.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.get_by_role("heading", name="Screen a person")).to_be_visible()
    for n, person in enumerate(PEOPLE, start=1):
        _fill(page, *person)
        page.get_by_role("button", name="Register case").click()
        queued = f"{n} screening{'s' if n > 1 else ''} saved on this device"
        expect(page.locator("#offline-status")).to_contain_text(queued)
        expect(page.get_by_label("Given name", exact=True)).to_have_value("")
    page.screenshot(path=str(live_server.shots / "offline-queued.png"), full_page=True)
    stored = _storage(page)
    assert len(stored["drafts"]) == 2
    for d in stored["drafts"]:
        assert d["keys"] == ["at", "data", "id", "iv"]
        blob = base64.b64decode(d["data"]).decode("latin-1") + d["plain"]
        for given, family, _age, _cit in PEOPLE:
            assert given not in blob and family not in blob
    assert all(name not in stored["local"] + stored["session"] for name, *_ in PEOPLE)

    # --- the connection returns: the drafts are registered through the ordinary form ---------------
    ctx.set_offline(False)
    expect(page.locator("#offline-status")).to_contain_text("2 screenings saved offline were registered")
    assert _storage(page)["drafts"] == []
    page.goto("/cases")
    for _given, family, _age, _cit in PEOPLE:
        expect(page.locator("main")).to_contain_text(family)
    page.get_by_text("Offlinechild").first.click()
    expect(page.locator("main")).to_contain_text("Victim of trafficking")

    # --- a draft the server refuses stays, shown as a conflict, and can be loaded back -------------
    page.goto("/screening")
    ctx.set_offline(True)
    _fill(page, "Kanya", "Offlineconflict", "15", "LA")
    page.get_by_label("Date of birth", exact=True).fill("31/02/2001")  # no such day: refused by the server
    page.get_by_role("button", name="Register case").click()
    expect(page.locator("#offline-status")).to_contain_text("1 screening saved on this device")
    ctx.set_offline(False)
    expect(page.locator("#offline-status")).to_contain_text("was not registered")
    page.get_by_role("button", name="Load it into the form").click()
    expect(page.get_by_label("Family name", exact=True)).to_have_value("Offlineconflict")
    expect(page.get_by_label("Date of birth", exact=True)).to_have_value("31/02/2001")

    # --- signing out leaves nothing of the drafts or their key ------------------------------------
    ctx.set_offline(True)
    page.get_by_label("Date of birth", exact=True).fill("2011")
    page.get_by_role("button", name="Register case").click()
    expect(page.locator("#offline-status")).to_contain_text("1 screening saved on this device")
    ctx.set_offline(False)
    expect(page.locator("#offline-status")).to_contain_text("registered")
    # a refused draft is still on the device, encrypted, when the caseworker signs out
    ctx.set_offline(True)
    _fill(page, "Unsent", "Offlineleft", "40", "MM")
    page.get_by_label("Date of birth", exact=True).fill("30/02/1980")
    page.get_by_role("button", name="Register case").click()
    expect(page.locator("#offline-status")).to_contain_text("1 screening saved on this device")
    ctx.set_offline(False)
    expect(page.locator("#offline-status")).to_contain_text("was not registered")
    [left] = _storage(page)["drafts"]
    assert left["conflict"] and "Offlineleft" not in base64.b64decode(left["data"]).decode("latin-1")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login*")
    wait_until(page, "async () => !(await indexedDB.databases()).some((d) => d.name === 'ctdata-offline')",
               timeout=5_000)
    after = _storage(page)
    assert "ctdata-offline" not in after["databases"] and after["caches"] == [] and after["drafts"] == []
    ctx.close()
