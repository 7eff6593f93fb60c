"""The report's tables as CSV files and one XLSX workbook, with the notes a reader needs beside them.

Each figure's table is written as tables/<section>__<figure>.csv; the workbook
has a Contents sheet (sheet, title, unit, known, unknown, individuals, note,
source, filters) and one sheet per table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
from openpyxl.styles import Font

from ctdata.standard.cells import safe_cell, safe_row

if TYPE_CHECKING:
    from ctdata.report.model import Section


def write_tables(secs: list[Section], out: Path) -> dict[str, str]:
    tdir = out / "tables"
    tdir.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    contents = wb.active
    contents.title = "Contents"
    head = [
        "sheet",
        "csv",
        "section",
        "title",
        "unit",
        "known",
        "unknown",
        "individuals",
        "note",
        "source",
        "filters",
    ]
    contents.append(head)
    for c in contents[1]:
        c.font = Font(bold=True)
    n = 0
    for s in secs:
        for key, t in s.tables:
            n += 1
            csv_name = f"{key}.csv"
            t.to_csv(tdir / csv_name)
            sheet = f"T{n:03d}"
            ws = wb.create_sheet(sheet)
            ws.append(safe_row([t.title]))
            ws["A1"].font = Font(bold=True)
            ws.append(
                [
                    f"Unit: {t.unit}; known: {t.known:,.0f}; unknown: {t.unknown:,.0f}; individuals: "
                    f"{t.individuals if t.individuals is not None else 'n/a'}"
                ]
            )
            ws.append([])
            cols = list(t.data.columns)
            ws.append(safe_row(cols))
            for c in ws[4]:
                c.font = Font(bold=True)
            for row in t.data.itertuples(index=False):
                ws.append([_cell(v) for v in row])
            contents.append(
                safe_row(
                    [
                        sheet,
                        f"tables/{csv_name}",
                        s.title,
                        t.title,
                        t.unit,
                        float(t.known),
                        int(t.unknown),
                        str(t.individuals) if t.individuals is not None else "",
                        t.note,
                        t.source,
                        json.dumps(t.filters),
                    ]
                )
            )
    xlsx = out / "tables.xlsx"
    wb.save(xlsx)
    return {"tables": str(tdir), "xlsx": str(xlsx), "table_count": str(n)}


def _cell(v: object) -> object:
    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()  # numpy scalar
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v)
    if pd.isna(v):
        return None
    return safe_cell(v)
