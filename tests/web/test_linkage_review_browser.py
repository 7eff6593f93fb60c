"""A data manager reviews an uncertain pair in a real browser (Debian's Chromium) and the clusters change.

Simulated partner data is imported into the live server's store and linked; the
data manager opens the review queue from the navigation, compares the two
records side by side with the model's reasons, decides the opposite of what the
model did, and the two records' individual ids follow the decision.
Screenshots of each step go to $CTDATA_SCREENSHOTS (or a tmp dir).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.linkage.review_settings import REVIEWED
from tests.web.browser_conftest import PASSWORD, LiveServer, browser, live_server, login  # noqa: F401

TIMEOUT = 30_000  # the pair page rebuilds the explaining model after a re-clustering; CI runs it beside Spark tests
REVIEWER = "records.manager"


@pytest.fixture(scope="module")
def linked_server(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # noqa: F811
    """The live server's store with 800 simulated records, linked, and a data manager of all agencies."""
    from ctdata.cases import users
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.ingest.standard_import import import_standard
    from ctdata.linkage.pipeline import link_store
    from ctdata.simulate.generator import simulate
    from tests.conftest import reset_caches

    sim = tmp_path_factory.mktemp("sim")
    simulate(800, 11, sim, progress=False)  # 500 of the recalibrated simulator leave no pair in the review band
    db_url = f"sqlite:///{live_server.data_dir / 'ctdata.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CTDATA_DATA_DIR", str(live_server.data_dir))
        mp.setenv("CTDATA_DATABASE_URL", db_url)
        mp.delenv("CTDATA_KEY_FILE", raising=False)
        reset_caches()
        eng = store_engine(db_url)
        with transaction(eng) as s:
            users.create_user(s, SYSTEM, REVIEWER, PASSWORD, "data_manager", None, None)
        import_standard(sim / "records.csv")
        link_store(progress=False, settings=REVIEWED)
        eng.dispose()
        yield live_server
    reset_caches()


def _individuals(server: LiveServer, case_ids: tuple[int, int]) -> tuple[str, str]:
    from sqlalchemy import create_engine

    from ctdata.store.models import IndividualLink

    eng = create_engine(f"sqlite:///{server.data_dir / 'ctdata.db'}")
    try:
        with eng.connect() as c:
            rows = dict(
                c.execute(
                    select(IndividualLink.case_id, IndividualLink.individual_id).where(
                        IndividualLink.case_id.in_(case_ids)
                    )
                ).all()
            )
    finally:
        eng.dispose()
    return rows[case_ids[0]], rows[case_ids[1]]


def _shot(page: Page, server: LiveServer, name: str) -> None:
    page.screenshot(path=str(server.shots / f"linkage-{name}.png"), full_page=True)


def test_data_manager_decides_a_pair_in_the_browser(linked_server: LiveServer, browser: Browser) -> None:  # noqa: F811
    server = linked_server
    ctx, page = login(browser, server, REVIEWER, TIMEOUT, viewport={"width": 1280, "height": 900})

    # the queue, from the main navigation
    page.get_by_role("link", name="Linkage review").click()
    page.wait_for_url(re.compile(r"/linkage$"))
    expect(page.get_by_role("heading", name="Linkage review")).to_be_visible()
    expect(page.locator("#linkage-run")).to_contain_text("individuals")
    rows = page.locator("#pairs tbody tr")
    expect(rows.first).to_be_visible()
    n_open = rows.count()
    _shot(page, server, "1-queue")

    # the first (most uncertain) pair side by side, with the model's reasons
    rows.first.get_by_role("link", name=re.compile("Review")).click()
    page.wait_for_url(re.compile(r"/linkage/pairs/\d+$"))
    pair_id = int(page.url.rsplit("/", 1)[1])
    heads = page.locator("#side-by-side thead a")
    case_ids = tuple(int(h.get_attribute("href").rsplit("/", 1)[1]) for h in heads.all())  # type: ignore[union-attr]
    assert len(case_ids) == 2
    expect(page.locator("#side-by-side")).to_contain_text("Given name")
    expect(page.locator("#waterfall li").nth(1)).to_contain_text("Starting point")
    _shot(page, server, "2-pair")
    before = _individuals(server, case_ids)  # type: ignore[arg-type]

    # saving without a reason is stopped by the browser, nothing is stored
    decision = "Different people" if before[0] == before[1] else "Same person"
    page.get_by_label(decision).check()
    page.get_by_role("button", name="Save decision").click()
    assert page.url.endswith(f"/linkage/pairs/{pair_id}")
    assert _individuals(server, case_ids) == before  # type: ignore[arg-type]

    page.get_by_label("Reason").fill("Birth dates and home village compared with the partner's file")
    page.get_by_role("button", name="Save decision").click()
    msg = page.get_by_role("status").filter(has_text="Saved")
    expect(msg).to_be_visible()
    after = _individuals(server, case_ids)  # type: ignore[arg-type]
    assert (after[0] == after[1]) is (decision == "Same person")
    expect(msg).to_contain_text(after[0])
    expect(page.locator("#label-history")).to_contain_text("records.manager")
    expect(page.locator(".lede")).to_contain_text("Decided: " + decision + ". Right now")
    _shot(page, server, "3-decided")

    # the pair has left the queue and is listed under decided
    page.get_by_role("link", name=re.compile("Back to the review queue")).first.click()  # two when it was the last pair
    expect(page.locator(f"#pair-row-{pair_id}")).to_have_count(0)
    if n_open > 1:
        expect(page.locator("#pairs tbody tr")).to_have_count(n_open - 1)
    page.get_by_role("link", name="Decided").click()
    expect(page.locator(f"#pair-row-{pair_id}")).to_contain_text(decision)
    ctx.close()

    # on a phone: the pair page still reads top to bottom without sideways scrolling of the page
    phone = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.set_default_timeout(TIMEOUT)
    p = phone.new_page()
    p.goto("/login")
    p.get_by_label("User name", exact=True).fill(REVIEWER)
    p.get_by_label("Password", exact=True).fill(PASSWORD)
    p.get_by_role("button", name="Sign in").click()
    p.wait_for_url(re.compile(r"/cases"))
    p.goto(f"/linkage/pairs/{pair_id}")
    expect(p.locator("#decision-form")).to_be_visible()
    overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px on a phone"
    _shot(p, server, "4-phone")
    phone.close()
    assert os.path.exists(server.shots / "linkage-3-decided.png")
