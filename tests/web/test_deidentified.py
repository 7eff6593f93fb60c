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


def test_erasure_through_the_api_says_what_it_cleared(client, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """On each backend: the store's copies are cleared, the answer lists them and what was done to the
    database's free space (SQLite: WAL truncated; PostgreSQL: vacuumed)."""
    cid = _case(engine, actors)
    r = client.post(f"/api/v1/cases/{cid}/erase", json={"reason": "the person's request of 2024-05-01"},
                    headers=bearer(engine, "dm"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["cases"] == [cid] and out["warehouse"] is None and out["release_drafts_withdrawn"] == []
    assert {"assistance.provider", "returns.bid_authority", "consents.organisation", "transfers.reason",
            "screenings.indicators", "case_records.consent_sharing"} <= set(out["cleared"])
    assert ("WAL checkpointed" if engine.dialect.name == "sqlite" else "VACUUM") in out["store"]
    again = client.get(f"/api/v1/cases/{cid}", headers=bearer(engine, "th")).json()
    assert MARK not in repr(again) and again["person"]["erased"] is True
