"""No identifier from the case store reaches any release file or any portal answer.

Canary names, dates of birth, document numbers and record ids are planted in a
real store (through the standard importer), the warehouse is built from it, a
release is made from the warehouse's ``cases`` table and approved, and then every
portal page (following every link and every filter value), every API answer and
every file of every release (on disk and as downloaded, decompressed where the
format compresses) is searched for them, and for the warehouse's pseudonyms.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ctdata.publish.api import release_kanon
from ctdata.publish.kanon import KAnonSettings
from ctdata.publish.releases import ReleaseRegistry
from ctdata.standard.template import column_names
from tests.web.test_portal_data import CORRIDORS, TEST_QIS, portal_env

N = 700
GIVEN = "Zqxportalgiven"
FAMILY = "Wvbportalfamily"
DOBS = ["1961-02-17", "1963-07-29", "1958-11-03", "1966-05-21", "1969-09-08"]
DOCUMENT = "PXPORTAL"
RECORD = "RECPORTAL"


def _store_rows() -> list[dict[str, str]]:
    rows = []
    for i in range(N):
        origin, dest = CORRIDORS[i % 4]
        rows.append(
            {
                "record_id": f"{RECORD}{i:05d}",
                "agency": "IOM",
                "office_country": dest,
                "data_source": "case_management",
                "registration_date": f"{2018 + i % 3}-0{i % 9 + 1}-15",
                "given_name": f"{GIVEN}{i:04d}",
                "family_name": f"{FAMILY}{i:04d}",
                "date_of_birth": DOBS[i % len(DOBS)],
                "sex": ["female", "male"][i % 5 == 0],
                "citizenship": origin,
                "id_document_number": f"{DOCUMENT}{i:06d}",
                "status": "victim_of_trafficking",
                "country_of_exploitation": dest,
                "exploitation_types": ["sexual_exploitation", "forced_labour"][i % 3 == 0],
                "consent_research": "1",
            }
        )
    return rows


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    cols = column_names("records")
    df = pd.DataFrame(rows).reindex(columns=cols)
    df.to_csv(path, index=False)
    return path


def _publish_input(cases: pd.DataFrame) -> pd.DataFrame:
    """The warehouse's cases in the publication input contract (lists joined with ';')."""
    df = cases.copy()
    for col in ("exploitation_types", "labour_sectors", "means_of_control"):
        df[col] = [";".join(v) if isinstance(v, list | tuple) or hasattr(v, "tolist") else None for v in df[col]]
    df["child"] = df["child"].astype("boolean")
    df["consent_research"] = df["consent_research"].astype("boolean")
    return df


@pytest.fixture(scope="module")
def canary_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, list[str]]]:
    from tests.conftest import reset_caches

    root = tmp_path_factory.mktemp("canary")
    with portal_env(root) as rel_dir:
        reset_caches()
        from ctdata.ingest.standard_import import import_standard
        from ctdata.warehouse.build import build
        from ctdata.warehouse.query import connect

        result = import_standard(_write_csv(root / "records.csv", _store_rows()))
        assert getattr(result, "inserted", N) == N
        assert build(progress=False)["cases"] == N
        con = connect()
        cases = con.execute("SELECT * FROM cases").df()
        con.close()
        assert len(cases) == N
        pseudonyms = sorted(set(cases["record_key"]) | set(cases["person_key"]))
        df = _publish_input(cases)
        df["given_name"] = [f"{GIVEN}{i:04d}" for i in range(len(df))]  # an identifier column must be dropped
        reg = ReleaseRegistry(rel_dir)
        for settings in (KAnonSettings(), KAnonSettings(quasi_identifiers=TEST_QIS)):
            entry, _ = release_kanon(df, settings, reg, created_by="maker")
            reg.approve(entry.release_id, by="checker")
        from ctdata.web.app import create_app

        with TestClient(create_app()) as client:
            yield client, rel_dir, pseudonyms
        reset_caches()


def _canaries(text: str) -> list[str]:
    found = [c for c in (GIVEN, FAMILY, DOCUMENT, RECORD, *DOBS) if c.lower() in text.lower()]
    return found


def _file_texts(name: str, blob: bytes) -> list[str]:
    """The text of a release file, decompressed/decoded where its format needs it."""
    texts = [blob.decode("latin-1")]
    if name.endswith(".xlsx"):
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    if name.endswith(".parquet"):
        texts.append(pd.read_parquet(io.BytesIO(blob)).to_csv(index=False))
    return texts


def test_no_store_identifier_reaches_the_portal_or_a_release(canary_portal):
    client, rel_dir, pseudonyms = canary_portal
    bodies: dict[str, list[str]] = {}

    # 1. crawl every same-origin link from the home page (pages, API, downloads)
    seen: set[str] = set()
    todo = deque(["/", "/portal/api/indicators", "/portal/api/releases"])
    while todo:
        url = todo.popleft()
        if url in seen or len(seen) > 400:
            continue
        seen.add(url)
        r = client.get(url, headers={"accept": "text/html"})
        assert r.status_code == 200, url
        name = url.rsplit("/", 1)[-1]
        bodies[url] = _file_texts(name, r.content) if "/files/" in url else [r.text]
        if "text/html" in r.headers.get("content-type", ""):
            for href in re.findall(r'href="(/[^"#]*)', r.text):
                href = href.replace("&amp;", "&")
                if not href.startswith("/static/") and href != "/login":
                    todo.append(href)
    downloads = [u for u in seen if "/files/" in u]
    assert len(downloads) >= 2 * 10, "every file of both releases is linked and was fetched"

    # 2. every filter value of every release, on the dashboard, the map and the API
    releases = client.get("/portal/api/releases").json()["releases"]
    assert len(releases) == 2
    for rel in releases:
        api = client.get("/portal/api/indicators", params={"release": rel["id"]}).json()
        assert api["total"]["value"] and api["total"]["value"] > 0
        for name, options in api["filter_options"].items():
            for opt in options:
                params = {"release": rel["id"], name: opt["value"]}
                for path in ("/portal/dashboard", "/portal/map", "/portal/api/indicators"):
                    r = client.get(path, params=params)
                    assert r.status_code == 200
                    bodies[f"{path}?{params}"] = [r.text]
    corridors = client.get("/portal/api/indicators", params={"release": releases[1]["id"]}).json()["corridors"]
    assert corridors or client.get("/portal/api/indicators", params={"release": releases[0]["id"]}).json()["corridors"]

    # 3. every file of every release directory on disk, listed or not
    for path in sorted(rel_dir.rglob("*")):
        if path.is_file():
            bodies[str(path)] = _file_texts(path.name, path.read_bytes())

    leaks = []
    keys = set(pseudonyms)
    for where, texts in bodies.items():
        for text in texts:
            found = _canaries(text)
            if found:
                leaks.append(f"{where}: {found}")
            hits = [k for k in keys if k in text]
            if hits:
                leaks.append(f"{where}: pseudonym {hits[:3]}")
    assert not leaks, "\n".join(leaks[:20])
    assert len(bodies) > 100
    # the canaries really were in the store's input, so finding none means something
    assert _canaries(_write_csv(rel_dir.parent / "check.csv", _store_rows()).read_text())
