"""De-identified means no free text: the analyst's API answers and pages, and the warehouse's Parquet
files, carry none of the free text written about a person (consent organisation, sharing list,
best-interest authority, provider, reasons, indicators)."""

from __future__ import annotations

import pyarrow.parquet as pq

from ctdata.cases import assistance, returns, screening, service, transfer
from ctdata.cases.tx import transaction
from tests.web.conftest import CASE, CHILD, bearer
from tests.web.test_pages import signed_in

MARK = "Vexmoor"


def _case(engine, actors) -> int:  # type: ignore[no-untyped-def]
    th = actors["th"]
    with transaction(engine) as s:
        cid = service.register_case(
            s, th, CHILD, {**CASE, "consent": {"research": True, "sharing": ["IOM VN", f"{MARK} sharing NGO"]}}
        ).id
        screening.screen(s, th, cid, {"actions": ["recruitment"], "indicators": [f"{MARK} indicator"]})
        assistance.add_assistance(s, th, cid, {"assistance_type": "medical", "provider": f"{MARK} clinic"})
        transfer.record_consent(s, th, cid, {"kind": "research", "organisation": f"{MARK} university"})
        returns.open_return(s, th, cid, {"risk_level": "low", "risk_mitigations": f"{MARK} escort",
                                         "best_interest_determination": True, "bid_authority": f"{MARK} court"})
        transfer.request_transfer(s, th, cid, {"to_office_country": "VN", "reason": f"{MARK} family"})
    return cid


def test_analyst_api_and_pages_carry_no_free_text(app, client, engine, actors) -> None:  # type: ignore[no-untyped-def]
    cid = _case(engine, actors)
    own = client.get(f"/api/v1/cases/{cid}", headers=bearer(engine, "th")).json()
    assert own["consent"]["sharing"] == ["IOM VN", f"{MARK} sharing NGO"]  # the office sees what it wrote
    assert own["returns"][0]["bid_authority"] == f"{MARK} court"
    h = bearer(engine, "analyst")
    answers = [client.get(f"/api/v1/cases/{cid}", headers=h), client.get("/api/v1/cases", headers=h)]
    page, _ = signed_in(app, engine, "analyst")
    answers += [page.get(f"/cases/{cid}?tab={t}")
                for t in ("overview", "journey", "assistance", "return", "transfers", "consent")]
    answers.append(page.get("/cases"))
    for r in answers:
        assert r.status_code == 200, r.url
        assert MARK not in r.text, f"free text shown to the analyst at {r.url}"
    view = answers[0].json()
    assert view["consent"]["sharing"] == [] and view["consents"][0]["organisation"] is None
    assert view["returns"][0]["bid_authority"] is None and view["assistance"][0]["provider"] is None


def test_the_warehouse_holds_no_free_text(engine, actors, database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ctdata.warehouse.build import build

    _case(engine, actors)
    root = tmp_path / "wh"
    build(progress=False, root=root)
    files = sorted(root.rglob("*.parquet"))
    assert {f.parent.name for f in files} >= {"cases", "assistance", "returns", "transfers"}
    for f in files:
        t = pq.read_table(f)
        assert "provider" not in t.column_names and "bid_authority" not in t.column_names, f
        assert MARK not in repr(t.to_pylist()), f
        assert MARK.encode() not in f.read_bytes(), f
