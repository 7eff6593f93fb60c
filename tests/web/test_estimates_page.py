"""The analysts' prevalence page: estimates over linked individuals from the warehouse, by role."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from ctdata.config import settings
from ctdata.ingest.standard_import import import_standard
from ctdata.simulate.generator import simulate
from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord
from ctdata.warehouse.build import build
from tests.web.test_pages import signed_in


def _linked_warehouse(tmp: Path) -> None:
    simulate(2500, 9, tmp / "sim", progress=False)
    import_standard(tmp / "sim" / "records.csv")
    build(progress=False)
    truth = pd.read_csv(tmp / "sim" / "truth.csv")
    person = dict(zip(truth.record_id, truth.person_id, strict=True))
    with db.session_scope() as s:
        rows = s.execute(select(CaseRecord.id, CaseRecord.source_record_id)).all()
    t = pa.table(
        {"record_key": keyring().record_keys([r[0] for r in rows]), "individual_id": [str(person[r[1]]) for r in rows]}
    )
    pq.write_table(t, settings().warehouse_dir / "individuals.parquet")


def test_estimates_page_for_analysts_only(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    analyst, _ = signed_in(app, engine, "analyst")
    r = analyst.get("/estimates")
    assert r.status_code == 200 and "No estimate" in r.text
    assert "ctdata link" in r.text or "ctdata warehouse build" in r.text
    _linked_warehouse(tmp_path)
    r = analyst.get("/estimates?lists=agency&year_from=2011&year_to=2011")
    assert r.status_code == 200, r.text[:500]
    m = re.search(r"([\d,]+) individuals were found by at least one of (\d+) lists", r.text)
    assert m and int(m.group(2)) >= 2
    observed = int(m.group(1).replace(",", ""))
    estimates = [
        float(x.replace(",", "")) for x in re.findall(r"<td>stepwise</td><td>[^<]*</td><td>([\d,]+)</td>", r.text)
    ]
    assert estimates and estimates[0] >= observed
    assert "Closed population" in r.text and 'id="mse-chart-spec"' in r.text
    assert "Prevalence estimates" in r.text  # in the navigation
    fr = analyst.get("/estimates?lists=agency&year_from=2011&year_to=2011", headers={"accept-language": "fr"}).text
    assert "individus ont été trouvés par au moins une des" in fr and "Population fermée" in fr
    assert "Population estimée par méthode" in fr and "Estimated population by method" not in fr  # the chart too
    caseworker, _ = signed_in(app, engine, "th")
    assert caseworker.get("/estimates").status_code == 403
