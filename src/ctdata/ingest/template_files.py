"""Write the empty exchange template, generated from the standard, for partners to fill in."""

from __future__ import annotations

from pathlib import Path

from ctdata.standard.cells import safe_row, writer
from ctdata.standard.dictionary import render
from ctdata.standard.template import TABLES


def write_template(out: Path) -> list[Path]:
    """A folder of CSV headers (plus the dictionary), or one workbook when out ends in .xlsx."""
    written: list[Path] = []
    if out.suffix.lower() == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, cols in TABLES.items():
            ws = wb.create_sheet(name)
            ws.append(safe_row(c.name for c in cols))
            ws.append(safe_row(c.hxl for c in cols))
        doc = wb.create_sheet("dictionary")
        doc.append(safe_row(["table", "field", "type", "required", "codes", "description"]))
        for name, cols in TABLES.items():
            for c in cols:
                doc.append(safe_row([name, c.name, c.kind, "yes" if c.required else "",
                            ";".join(c.vocabulary.codes) if c.vocabulary else "", c.description]))
        out.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    for name, cols in TABLES.items():
        p = out / f"{name}.csv"
        with p.open("w", newline="", encoding="utf-8") as fh:
            writer(fh).writerow([c.name for c in cols])
        written.append(p)
    p = out / "DICTIONARY.md"
    p.write_text(render("markdown"), encoding="utf-8")
    written.append(p)
    return written
