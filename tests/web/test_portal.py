"""The public portal over HTTP: pages, filters, suppression in every answer, downloads, and what it may import."""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ctdata.publish.releases import ReleaseRegistry
from ctdata.web.security import Public, flat_routes, route_policy
from tests.web.test_portal_data import assert_suppressed, make_releases, portal_env

PORTAL_PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ctdata" / "web" / "portal"
#: The modules of ``ctdata.publish`` that compute what the portal shows.
PORTAL_FIGURES = ("portal", "cube", "labels", "public")
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    root = tmp_path_factory.mktemp("portal")
    with portal_env(root) as rel_dir:
        ids = make_releases(rel_dir)
        from ctdata.web.app import create_app

        app = create_app(f"sqlite:///{root / 'ctdata.db'}")
        with TestClient(app) as client:
            yield client, ids, rel_dir


def _numbers_in_tables(html: str) -> list[int]:
    return [int(v.replace(",", "")) for v in re.findall(r'<t[dh] class="num">([\d,]+)</t[dh]>', html)]


def test_every_portal_route_is_public(portal):
    client, _, _ = portal
    paths = {path for path, _, route in flat_routes(client.app) if path == "/" or path.startswith("/portal")}
    assert {"/", "/portal/dashboard", "/portal/map", "/portal/releases", "/portal/api/indicators"} <= paths
    for path, _, route in flat_routes(client.app):
        if path in paths:
            assert isinstance(route_policy(route), Public), path


def test_pages_render_with_landmarks_and_security_headers(portal):
    client, ids, _ = portal
    for url in ("/", "/portal/dashboard", "/portal/map", "/portal/releases"):
        r = client.get(url, headers=HTML)
        assert r.status_code == 200, url
        html = r.text
        assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
        assert "<header" in html and "<nav" in html and "<footer" in html and '<html lang="en" dir="ltr">' in html
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        # nothing loads from another host: every src/href is local (or a fragment / data: URL)
        for attr in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert attr.startswith(("/", "#", "data:", "?")), (url, attr)
        # every form control has a label
        for control in re.findall(r'<select id="([^"]+)"', html):
            assert f'<label for="{control}">' in html
    dash = client.get("/portal/dashboard", headers=HTML).text
    assert dash.count("<figure") >= 5 and dash.count("<figcaption>") == dash.count("<figure")
    assert dash.count('<div class="vega-wrap" role="img" aria-label="') == dash.count('class="vega"')
    assert "Cells with fewer than 11 records" in dash
    assert "/static/vendor/vega-lite.min.js" in dash and "cdn" not in dash.lower()


def test_dashboard_filters_and_counts_are_suppressed(portal):
    client, ids, _ = portal
    api = client.get("/portal/api/indicators").json()
    assert api["release"]["id"] == ids["approved"] and api["k"] == 11
    assert_suppressed(api)
    options = api["filter_options"]
    assert {"year", "region", "sex", "age", "type"} == set(options)
    hidden = 0
    for name, values in options.items():
        for opt in values:
            params = {name: opt["value"]}
            p = client.get("/portal/api/indicators", params=params).json()
            assert p["filters"] == params
            hidden += assert_suppressed(p)
            html = client.get("/portal/dashboard", params=params, headers=HTML).text
            assert all(n == 0 or n >= 11 for n in _numbers_in_tables(html)), params
            assert f'<option value="{opt["value"]}" selected>' in html
    assert hidden > 0, "some filtered table must have small cells to hide"
    # combinations narrow things further; totals shown as '<11' rather than a small number
    p = client.get(
        "/portal/api/indicators", params={"sex": "transgender_nonconforming", "year": "2019", "type": "forced_marriage"}
    )
    assert p.status_code == 200
    assert_suppressed(p.json())


def test_map_shows_only_corridors_at_or_above_k(portal):
    client, _, _ = portal
    html = client.get("/portal/map", headers=HTML).text
    spec = json.loads(
        re.search(r'<script type="application/json" id="corridor-map-spec">(.*?)</script>', html, re.S)[1]
    )
    world = spec["layer"][0]["data"]
    assert world["url"] == "/static/vendor/countries-110m.json"
    lines = spec["layer"][1]["data"]["values"]
    assert lines and all(v["records"] >= 11 for v in lines)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td class="num">([\d,]+)</td></tr>', html)
    assert rows and all(int(n.replace(",", "")) >= 11 for _, _, n in rows)
    assert ("Philippines", "Malaysia") in {(o, d) for o, d, _ in rows}
    assert client.get("/static/vendor/countries-110m.json").status_code == 200


def test_releases_page_lists_only_approved_with_docs_and_checksums(portal):
    client, ids, rel_dir = portal
    html = client.get("/portal/releases", headers=HTML).text
    assert ids["approved"] in html
    assert ids["draft"] not in html and ids["withdrawn"] not in html
    manifest = json.loads((rel_dir / ids["approved"] / "manifest.json").read_text())
    for name, m in manifest["files"].items():
        assert f'/portal/releases/{ids["approved"]}/files/{name}"' in html
        assert m["sha256"] in html
    assert "<h3>Test case records</h3>" in html  # the README, rendered (its h1 under the page's h2)
    assert "maker" not in html and "checker" not in html  # staff usernames are not published
    api = client.get("/portal/api/releases").json()
    assert [r["id"] for r in api["releases"]] == [ids["approved"]]


def test_downloads_only_listed_files_of_approved_releases(portal):
    client, ids, rel_dir = portal
    rid = ids["approved"]
    manifest = json.loads((rel_dir / rid / "manifest.json").read_text())
    for name, m in manifest["files"].items():
        r = client.get(f"/portal/releases/{rid}/files/{name}")
        assert r.status_code == 200, name
        assert hashlib.sha256(r.content).hexdigest() == m["sha256"]
        assert f'filename="{name}"' in r.headers["content-disposition"]
    assert client.get(f"/portal/releases/{rid}/files/manifest.json").json()["release_id"] == rid
    for state in ("draft", "withdrawn"):
        assert client.get(f"/portal/releases/{ids[state]}/files/records.csv").status_code == 404
        assert client.get("/portal/dashboard", params={"release": ids[state]}).status_code == 404
        assert client.get("/portal/api/indicators", params={"release": ids[state]}).status_code == 404
    for bad in (
        "../releases.json",
        "..%2Freleases.json",
        "%2e%2e%2freleases.json",
        "..%5Creleases.json",
        "releases.json",
        ".",
        "records.csv%00",
        "RECORDS.CSV",
    ):
        assert client.get(f"/portal/releases/{rid}/files/{bad}").status_code == 404, bad
    for bad_id in ("..", "%2e%2e", "releases.json", f"{rid}%2F..", ids["draft"]):
        assert client.get(f"/portal/releases/{bad_id}/files/README.md").status_code == 404, bad_id
    not_found = client.get(f"/portal/releases/{ids['draft']}/files/records.csv", headers=HTML)
    assert not_found.status_code == 404 and "<h1>Not found</h1>" in not_found.text


def test_approval_and_withdrawal_show_up_at_once(portal):
    client, ids, rel_dir = portal
    reg = ReleaseRegistry(rel_dir)
    assert ids["draft"] not in client.get("/portal/releases").text
    reg.approve(ids["draft"], by="checker")
    try:
        assert ids["draft"] in client.get("/portal/releases").text
        assert client.get("/portal/api/indicators").json()["release"]["id"] == ids["draft"]  # newest by default
        assert client.get(f"/portal/releases/{ids['draft']}/files/records.csv").status_code == 200
    finally:
        reg.withdraw(ids["draft"], by="checker", reason="test over")
    assert ids["draft"] not in client.get("/portal/releases").text
    assert client.get(f"/portal/releases/{ids['draft']}/files/records.csv").status_code == 404
    assert client.get("/portal/api/indicators").json()["release"]["id"] == ids["approved"]


def test_conditional_requests(portal):
    client, _, _ = portal
    r = client.get("/portal/api/indicators", params={"sex": "female"})
    again = client.get("/portal/api/indicators", params={"sex": "female"}, headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_made_up_filter_values_share_one_cached_page(portal):
    from ctdata.web.portal.views import CACHE

    client, _, _ = portal
    assert client.get("/portal/dashboard").status_code == 200  # the release is in memory from here on
    CACHE.clear()
    bodies = {client.get("/portal/dashboard", params={"year": f"19{i:02d}", "sex": "nobody"}).text for i in range(30)}
    assert len(bodies) == 1 and "Ignored (not in this release)" in bodies.pop()
    assert len(CACHE._data) == 1
    client.get("/portal/dashboard", params={"sex": "female", "age": "x"})
    client.get("/portal/dashboard", params={"sex": "female"})
    assert len(CACHE._data) == 3  # ignoring a filter is said on the page, so it is a page of its own


def test_empty_portal_before_any_release(tmp_path):
    with portal_env(tmp_path):
        from ctdata.web.app import create_app

        with TestClient(create_app(f"sqlite:///{tmp_path / 'ctdata.db'}")) as client:
            for url in ("/", "/portal/dashboard", "/portal/map", "/portal/releases"):
                r = client.get(url, headers=HTML)
                assert r.status_code == 200 and "No data release has been published yet" in r.text, url
            assert client.get("/portal/api/indicators").json()["release"] is None
            assert client.get("/portal/releases/x/files/records.csv").status_code == 404


def test_portal_imports_nothing_that_reaches_the_store():
    """The portal reads approved releases only: no store, case services, warehouse or import code."""
    forbidden = (
        "ctdata.store",
        "ctdata.cases",
        "ctdata.warehouse",
        "ctdata.ingest",
        "ctdata.linkage",
        "ctdata.screening",
        "ctdata.simulate",
        "ctdata.analytics",
        "ctdata.web.pages",
        "ctdata.web.api",
    )
    allowed = (
        "ctdata.publish",
        "ctdata.standard",
        "ctdata.config",
        "ctdata.errors",
        "ctdata.web.security",
        "ctdata.web.portal",
        "ctdata.text",  # words made in Python, left of every layer
        "ctdata.web.i18n",  # the languages (Babel and the catalogues; it imports ctdata.standard and ctdata.text)
    )
    publish = PORTAL_PACKAGE.parents[1] / "publish"
    files = sorted(PORTAL_PACKAGE.glob("*.py")) + [publish / f"{m}.py" for m in PORTAL_FIGURES]
    assert all(p.exists() for p in files)
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] if node.level == 0 else []
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                names = [a.value for a in node.args if isinstance(a, ast.Constant)]
            for name in names:
                if name == "ctdata" or name.startswith("ctdata."):
                    assert not name.startswith(forbidden), f"{path.name} imports {name}"
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def _imports_and_calls(path: Path) -> tuple[set[str], set[str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    called: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call):
            f = node.func
            called.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return imported, called


def test_web_renders_published_figures_and_computes_none():
    """Counting and small-cell suppression live in ``publish``: no module of ``web`` aggregates or suppresses."""
    counting = ("numpy", "pandas", "duckdb", "pyarrow", "polars", "ctdata.publish.suppression", "ctdata.publish.cube")
    web = PORTAL_PACKAGE.parent
    files = sorted(web.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        imported, called = _imports_and_calls(path)
        assert not {m for m in imported if m.startswith(counting)}, f"{path.relative_to(web)} computes figures"
        assert not called & {"suppress", "suppress_array", "crosstab", "bincount", "groupby"}, path
    # and the figures' module is where the portal takes them from
    _, called = _imports_and_calls(PORTAL_PACKAGE.parents[1] / "publish" / "portal.py")
    assert "suppress_array" in called
