"""Data managers' and analysts' pages over HTTP: import with quarantine review (show, fix, retry),
quarantine rows seen only by their agency's data managers, releases with four-eyes approval by the
signed-in user, user administration, and the indicators page with `ctdata report indicators`' table."""

from __future__ import annotations

import io
import re
from pathlib import Path

from ctdata.analytics.indicators import headline, indicator_rows
from ctdata.cases import service
from ctdata.cases.tx import transaction
from tests.ingest.helpers import record, write_records
from tests.web.conftest import make_user
from tests.web.test_pages import followed, signed_in


def _file(tmp_path: Path, rows: list[dict]) -> bytes:
    return write_records(tmp_path / "records.csv", rows).read_bytes()


def _import(client, csrf: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/data/import", data={"csrf_token": csrf},
                       files={"file": ("partner.csv", io.BytesIO(data), "text/csv")})


def _count(engine, actor) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return int(service.list_cases(s, actor)["total"])


def test_import_a_file_then_fix_its_bad_row(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [record(i, agency="IOM") for i in range(3)] + [record(3, agency="IOM", date_of_birth="31/02/1994")]
    dm, csrf = signed_in(app, engine, "dm")
    r = followed(dm, _import(dm, csrf, _file(tmp_path, rows)))
    assert r.status_code == 200 and "4 rows read" in r.text and "3 loaded" in r.text and "1 quarantined" in r.text
    assert 'href="/data/quarantine"' in r.text and _count(engine, actors["admin"]) == 3
    listing = dm.get("/data/quarantine").text
    qid = int(re.search(r'href="/data/quarantine/(\d+)"', listing)[1])
    assert "there is no 31 February 1994" in listing
    page = dm.get(f"/data/quarantine/{qid}").text
    field = re.search(r'<input[^>]*id="q-date_of_birth"[^>]*>', page)[0]
    assert 'aria-invalid="true"' in field and 'value="31/02/1994"' in field
    # a retry with the same value is still refused and keeps what was typed
    form = {k: v for k, v in re.findall(r'<input[^>]*name="([a-z_]+)" value="([^"]*)"', page) if k != "csrf_token"}
    r = dm.post(f"/data/quarantine/{qid}/retry", data={**form, "csrf_token": csrf})
    assert r.status_code == 422 and "Still quarantined" in r.text
    r = dm.post(f"/data/quarantine/{qid}/retry", data={**form, "date_of_birth": "28/02/1994", "csrf_token": csrf})
    r = followed(dm, r)
    assert r.status_code == 200 and "Loaded" in r.text
    assert _count(engine, actors["admin"]) == 4
    assert "No rows are waiting" in dm.get("/data/quarantine").text


def test_quarantine_rows_are_seen_by_their_agency_only(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dm, csrf = signed_in(app, engine, "dm")
    _import(dm, csrf, _file(tmp_path, [record(1, agency="IOM", sex="robot")]))
    qid = int(re.search(r'href="/data/quarantine/(\d+)"', dm.get("/data/quarantine").text)[1])
    make_user(engine, "dm_unhcr", "data_manager", None, "UNHCR")
    other, _ = signed_in(app, engine, "dm_unhcr")
    assert "No rows are waiting" in other.get("/data/quarantine").text
    assert other.get(f"/data/quarantine/{qid}").status_code == 404
    th, _ = signed_in(app, engine, "th")
    assert th.get("/data/quarantine").status_code == 403 and th.get("/data/import").status_code == 403


def test_indicators_page_has_the_cli_table(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [record(i, sex=["female", "male", ""][i % 3], citizenship=["UA", "MD", ""][i % 3]) for i in range(12)]
    dm, csrf = signed_in(app, engine, "dm")
    _import(dm, csrf, _file(tmp_path, rows))
    analyst, _ = signed_in(app, engine, "analyst")
    page = analyst.get("/indicators")
    assert page.status_code == 200 and "<strong>12 instances of assistance</strong>" in page.text
    table = re.search(r'<table class="responsive" id="indicators">(.*?)</table>', page.text, re.S)[1]
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S)[1]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
    expected = [[r["indicator"], r["label"], f"{r['count']:,}", r["share_text"], f"{r['unknown']:,} of {r['total']:,}"]
                for r in indicator_rows(headline())]
    assert cells == expected and len(cells) > 5
    th, _ = signed_in(app, engine, "th")
    assert th.get("/indicators").status_code == 403


def test_release_needs_a_second_data_manager(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [record(i, sex="female", citizenship="UA", date_of_birth="1990-01-01") for i in range(40)]
    dm, csrf = signed_in(app, engine, "dm")
    _import(dm, csrf, _file(tmp_path, rows))
    r = followed(dm, dm.post("/data/releases", data={"csrf_token": csrf, "k": "5"}))  # a reload makes no 2nd draft
    assert r.status_code == 200 and "Draft" in r.text and "created (40 records)" in r.text, r.text[-2000:]
    rid = re.search(r'<tr id="release-([^"]+)"', r.text)[1]
    assert "Your draft: another data manager approves it" in r.text and f"/data/releases/{rid}/approve" not in r.text
    assert dm.post(f"/data/releases/{rid}/approve", data={"csrf_token": csrf}).status_code == 403
    make_user(engine, "dm2", "data_manager", None, "IOM")
    dm2, csrf2 = signed_in(app, engine, "dm2")
    assert f"/data/releases/{rid}/approve" in dm2.get("/data/releases").text
    r = followed(dm2, dm2.post(f"/data/releases/{rid}/approve", data={"csrf_token": csrf2}))
    assert r.status_code == 200 and "approved and public" in r.text and "Approved by dm2" in r.text
    r = dm.post(f"/data/releases/{rid}/withdraw", data={"csrf_token": csrf, "reason": ""})
    assert r.status_code == 422
    r = followed(dm, dm.post(f"/data/releases/{rid}/withdraw", data={"csrf_token": csrf, "reason": "wrong year"}))
    assert r.status_code == 200 and "Withdrawn by dm: wrong year" in r.text


def test_admin_adds_a_user(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    admin, csrf = signed_in(app, engine, "admin")
    bad = {"csrf_token": csrf, "username": "kim", "role": "caseworker", "office_country": "TH", "agency": "IOM",
           "password": "short"}
    r = admin.post("/admin/users", data=bad)
    assert r.status_code == 422 and "at least" in r.text and 'value="kim"' in r.text
    r = followed(admin, admin.post("/admin/users", data={**bad, "password": "a-long-enough-password"}))
    assert r.status_code == 200 and 'id="user-kim"' in r.text and "kim is added as caseworker" in r.text


def test_forms_answer_with_a_redirect_so_a_reload_repeats_nothing(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Post, then redirect (issue 19): import, quarantine retry, account actions. The result is shown once on
    the page the browser is sent to, in the page's language; a reload (a GET) does nothing again and shows
    no stale message; the message is this session's only."""
    from sqlalchemy import func, select

    from ctdata.store.models import ImportBatch
    from ctdata.web.pages.common import DONE_COOKIE

    dm, csrf = signed_in(app, engine, "dm")
    posted = _import(dm, csrf, _file(tmp_path, [record(0, agency="IOM"), record(1, agency="IOM", sex="robot")]))
    assert posted.status_code == 303 and posted.headers["location"] == "/data/import"
    page = dm.get("/data/import", headers={"accept-language": "fr"})
    assert "2 lignes lues" in page.text and 'id="import-result"' in page.text
    again = dm.get("/data/import")  # the reload
    assert "rows read" not in again.text and 'id="import-result"' not in again.text
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 1
    # the message is signed with the session's secret: another session, or a changed cookie, shows nothing
    posted = _import(dm, csrf, _file(tmp_path, [record(0, agency="IOM")]))
    cookie = posted.cookies[DONE_COOKIE]
    other, _ = signed_in(app, engine, "dm")
    other.cookies.set(DONE_COOKIE, cookie)
    assert "rows read" not in other.get("/data/import").text
    dm.cookies.delete(DONE_COOKIE)
    dm.cookies.set(DONE_COOKIE, cookie[:-3] + ("000" if not cookie.endswith("000") else "111"))
    assert "rows read" not in dm.get("/data/import").text

    qid = int(re.search(r'href="/data/quarantine/(\d+)"', dm.get("/data/quarantine").text)[1])
    page = dm.get(f"/data/quarantine/{qid}").text
    form = {k: v for k, v in re.findall(r'<input[^>]*name="([a-z_]+)" value="([^"]*)"', page) if k != "csrf_token"}
    retried = dm.post(f"/data/quarantine/{qid}/retry", data={**form, "sex": "female", "csrf_token": csrf})
    assert retried.status_code == 303 and retried.headers["location"] == f"/data/quarantine/{qid}"
    assert "Loaded" in dm.get(retried.headers["location"]).text
    assert "Loaded" not in dm.get(f"/data/quarantine/{qid}").text

    admin, acsrf = signed_in(app, engine, "admin")
    new = {"csrf_token": acsrf, "username": "kim", "role": "analyst", "password": "a-long-enough-password"}
    added = admin.post("/admin/users", data=new)
    assert added.status_code == 303 and added.headers["location"] == "/admin/users"
    assert "kim est ajouté" in admin.get("/admin/users", headers={"accept-language": "fr"}).text
    assert "kim is added" not in admin.get("/admin/users").text
    disabled = admin.post("/admin/users/kim/disable", data={"csrf_token": acsrf})
    assert disabled.status_code == 303 and "kim is disabled" in admin.get("/admin/users").text
