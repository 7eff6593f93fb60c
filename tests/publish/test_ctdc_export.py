"""`ctdata export ctdc`: consented, k-anonymised records in the public CTDC layout, which `ctdata import ctdc`
reads back to the same indicators."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from ctdata.analytics.indicators import headline
from ctdata.cases.access import SYSTEM, Actor
from ctdata.cases.tx import transaction
from ctdata.cases.users import create_user
from ctdata.errors import PermissionDenied
from ctdata.ingest.ctdc import detect_release, map_row
from ctdata.ingest.ctdc_import import import_ctdc
from ctdata.ingest.standard_import import import_standard
from ctdata.publish.ctdc_export import HEADER, ctdc_row
from ctdata.publish.flows import export_ctdc
from ctdata.publish.settings import KAnonSettings
from ctdata.store.models import AuditEntry
from ctdata.warehouse.build import build
from tests.conftest import reset_caches
from tests.ingest.helpers import record, write_records

K = 5


def _account(username: str, role: str) -> Actor:
    with transaction() as s:
        return Actor.of(create_user(s, SYSTEM, username, "a-long-password", role))


def _records() -> list[dict[str, Any]]:
    """Every combination of the CTDC quasi-identifiers held by K records (nothing to generalise)."""
    rows = []
    combos = itertools.product(
        ["2019", "2021"], ["case_management", "hotline"], ["female", "male"],
        [("9-17", "15", "forced_labour;forced_begging", "agriculture"), ("24-26", "", "sexual_exploitation", ""),
         ("", "", "", "")],
        [("UA", "RU"), ("TH", "TH"), ("MD", "")],
    )
    for j, (year, source, sex, (band, age, expl, sector), (cit, coe)) in enumerate(combos):
        for r in range(K):
            rows.append(record(
                j * 100 + r, registration_date=f"{year}-0{r % 9 + 1}-01", data_source=source, sex=sex,
                age_band=band, age_at_exploitation=age, date_of_birth="", citizenship=cit,
                country_of_exploitation=coe, exploitation_types=expl, labour_sectors=sector,
                means_of_control="debt_bondage;threats" if r % 2 else "", consent_research="1",
            ))
    return rows


def _columns() -> list[str]:
    from ctdata.standard.template import column_names

    return [*column_names("records")]


def _other_store(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    data = root / "other"
    monkeypatch.setenv("CTDATA_DATA_DIR", str(data))
    monkeypatch.setenv("CTDATA_DATABASE_URL", f"sqlite:///{data / 'ctdata.db'}")
    reset_caches()


def _indicators() -> dict[str, Any]:
    build(progress=False)
    return headline()


def test_export_then_import_gives_the_same_indicators(store: Any, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import_standard(write_records(tmp_path / "in" / "records.csv", _records(), _columns()))
    before = _indicators()
    assert before["instances"] == 2 * 2 * 2 * 3 * 3 * K and before["children"] and before["cross_border"]
    dm = _account("dm", "data_manager")
    out = tmp_path / "ctdc.csv"
    report = export_ctdc(dm, out, KAnonSettings(k=K))
    assert report["rows"] == before["instances"] and report["records_suppressed"] == 0
    with transaction() as s:
        audit = s.execute(select(AuditEntry).where(AuditEntry.action == "export_ctdc")).scalar_one()
        assert (audit.actor, audit.details["rows"], audit.details["sha256"]) == ("dm", report["rows"],
                                                                                report["sha256"])

    _other_store(monkeypatch, tmp_path)
    res = import_ctdc(out)
    assert (res.loaded, res.quarantined) == (before["instances"], 0)
    after = _indicators()
    # forced begging has no CTDC flag: CTDC counts it as other exploitation
    expected = dict(before)
    types = dict(before["by_exploitation_type"])
    types["other"] = types.get("other", 0) + types.pop("forced_begging")
    expected["by_exploitation_type"] = types
    assert after == expected


def test_only_consented_k_anonymous_records_leave(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _records()
    rows += [record(90_000 + i, citizenship="FJ", country_of_exploitation="FJ", consent_research="0",
                    date_of_birth="") for i in range(K)]  # refused research use
    rows += [record(91_000, citizenship="IS", country_of_exploitation="NO", consent_research="1",
                    date_of_birth="", registration_date="2015-01-01")]  # alone in its class
    import_standard(write_records(tmp_path / "in" / "records.csv", rows, _columns()))
    report = export_ctdc(_account("dm", "data_manager"), tmp_path / "ctdc.csv", KAnonSettings(k=K))
    assert report["excluded_no_consent"] == K
    text = (tmp_path / "ctdc.csv").read_text(encoding="utf-8")
    assert "FJ" not in text and ",IS," not in text and "NO" not in text.split("\n", 1)[1]
    assert "Name" not in text and "R1" not in text  # no names, no record ids
    _other_store(monkeypatch, tmp_path)
    res = import_ctdc(tmp_path / "ctdc.csv")
    assert res.loaded == report["rows"] == len(_records()) + 1 - report["records_suppressed"]


def test_the_export_needs_a_data_manager(store: Any, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        export_ctdc(_account("an", "analyst"), tmp_path / "x.csv", KAnonSettings(k=K), records=pd.DataFrame())
    assert not (tmp_path / "x.csv").exists()
    with transaction() as s:
        denied = s.execute(select(AuditEntry).where(AuditEntry.action == "access_denied")).scalars().all()
        assert [(e.actor, e.entity) for e in denied] == [("an", "export")]


def test_a_row_reads_back_as_written() -> None:
    release = detect_release(list(HEADER))
    rec = {"registration_year": 2020, "data_source": "survey", "sex": "transgender_nonconforming",
           "age_band": "48+", "child": False, "citizenship": "UA", "country_of_exploitation": "PL",
           "exploitation_types": "forced_labour;forced_criminality", "labour_sectors": "",
           "means_of_control": None}
    got = map_row(release, dict(zip(HEADER, ctdc_row(rec), strict=True)), 1, "x")
    assert (got["registration_date"], got["data_source"], got["sex"], got["age_band"]) == (
        "2020", "case_management", "transgender_nonconforming", "48+")
    assert (got["child_at_registration"], got["child_at_exploitation"]) == (False, False)
    assert got["exploitation_types"] == ["forced_labour", "other"]
    assert got["labour_sectors"] == [] and got["means_of_control"] is None
    generalised = {"registration_year": "2018-2019", "data_source": "hotline", "sex": "*", "age_band": "adult",
                   "child": True, "citizenship": "Eastern Europe", "country_of_exploitation": "*",
                   "exploitation_types": "*"}
    got = map_row(release, dict(zip(HEADER, ctdc_row(generalised), strict=True)), 2, "x")
    assert (got["registration_date"], got["sex"], got["age_band"], got["citizenship"],
            got["country_of_exploitation"], got["exploitation_types"]) == (None, None, None, None, None, None)
    assert (got["data_source"], got["child_at_exploitation"]) == ("hotline", True)
