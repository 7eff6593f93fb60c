"""The case list page past its first 100 cases (issue 19): pages of 50 with an honest caption,
previous/next links that keep the filters, the HTMX rows answering with the list's address,
and a refused filter shown as a message. Runs on SQLite and PostgreSQL (tests/web/conftest.py).
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from ctdata.cases import service
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, PERSON
from tests.web.test_pages import signed_in

N = 120


@pytest.fixture
def many_th_cases(engine, actors) -> list[int]:  # type: ignore[no-untyped-def]
    """120 cases of the TH office (more than the old 100-row cut), registered in 2022 and 2023."""
    with transaction(engine) as s:
        return [
            service.register_case(
                s, actors["th"], PERSON, {**CASE, "registration_date": f"{2022 + i % 2}-{1 + i % 12:02d}-15"}
            ).id
            for i in range(N)
        ]


def _caption(text: str) -> str:
    m = re.search(r'<caption id="case-caption">(.*?)</caption>', text)
    assert m, "no caption"
    return m.group(1)


def _link(text: str, rel: str) -> str | None:
    m = re.search(rf'<a href="([^"]+)" rel="{rel}"', text)
    return html.unescape(m.group(1)) if m else None


def test_list_pages_through_every_case(app, engine, many_th_cases) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    first = client.get("/cases")
    assert first.status_code == 200 and _caption(first.text) == f"1–50 of {N} cases"
    assert _link(first.text, "prev") is None and _link(first.text, "next") == "/cases?page=2"
    last = client.get("/cases?page=3")
    assert _caption(last.text) == f"101–{N} of {N} cases"
    assert _link(last.text, "prev") == "/cases?page=2" and _link(last.text, "next") is None
    assert f'/cases/{many_th_cases[0]}"' in last.text  # the oldest case is reachable without a search
    past = client.get("/cases?page=9")
    assert past.status_code == 200 and f"the list has {N}" in past.text


def test_filters_and_order_survive_in_the_page_links(app, engine, many_th_cases) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    r = client.get("/cases?status=screening&year=2023&sort=registered&office=TH")
    assert _caption(r.text) == f"1–50 of {N // 2} cases"
    nxt = _link(r.text, "next")
    assert nxt == "/cases?status=screening&office=TH&year=2023&sort=registered&page=2"
    second = client.get(nxt)
    assert _caption(second.text) == f"51–{N // 2} of {N // 2} cases"
    assert 'value="registered" selected' in second.text and 'value="2023"' in second.text
    # shown as the page's language writes it, with the ISO date in <time datetime>
    dates = re.findall(r'data-label="Registered"><time datetime="([^"]+)">', second.text)
    assert dates == sorted(dates) and all(d.startswith("2023") for d in dates)
    ranged = client.get("/cases?registered_from=2022-03-01&registered_to=2022-04-30")
    assert _caption(ranged.text) == "1–10 of 10 cases"  # 2022 has the odd months only: March
    assert "No cases" in client.get("/cases?determination=victim_of_trafficking").text


def test_rows_for_htmx_carry_the_list_address(app, engine, many_th_cases) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    r = client.get("/cases/rows?q=&status=&sort=-number&page=2", headers={"HX-Request": "true"})
    assert r.status_code == 200 and _caption(r.text) == f"51–100 of {N} cases"
    assert r.headers["HX-Replace-Url"] == "/cases?page=2"
    assert 'hx-get="/cases/rows?page=3"' in r.text and 'hx-get="/cases/rows"' in r.text


def test_a_refused_filter_is_said_not_failed(app, engine, many_th_cases) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    r = client.get("/cases?registered_from=2023-02-30")
    assert r.status_code == 200 and "is not a date" in r.text and "No cases" in r.text
    r = client.get("/cases?year=twenty")
    assert r.status_code == 200 and "is not a year" in r.text


# --- small defects of the same working day -------------------------------------------------------------


def test_country_names_sort_by_their_letters(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    page = client.get("/screening").text
    select = re.search(r'<select id="f-citizenship".*?</select>', page, re.S)
    assert select, "no citizenship select"
    names = [html.unescape(n) for n in re.findall(r"<option value=\"[A-Z]{2}\"[^>]*>([^<]+)</option>", select.group(0))]
    assert names.index("Costa Rica") < names.index("Côte d'Ivoire") < names.index("Croatia") < names.index("Czechia")
    assert names.index("Åland Islands") < names.index("Albania")


def test_a_browser_gets_error_pages_and_the_api_json(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    for url in ("/cases/abc", "/no/such/page", "/cases/abc/tabs/journey"):
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), url
        assert "Page not found" in r.text and '"detail"' not in r.text
    anonymous = TestClient(app, headers={"accept": "text/html"})
    r = anonymous.get("/nowhere")
    assert r.status_code == 404 and "Page not found" in r.text
    for url in ("/api/v1/cases/abc", "/api/v1/nowhere"):
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"] == "application/json", url
    r = TestClient(app).get("/cases/abc", headers={"accept": "application/json"})
    assert r.status_code in (401, 404) and r.headers["content-type"] == "application/json"
