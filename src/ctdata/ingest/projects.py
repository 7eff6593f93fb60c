"""Import of the projects table (project, countries, donor, amount, year) for funding figures.

``donor`` names one donor or several with their amounts ("Netherlands: 500000; Norway");
a row whose donor list does not add up is quarantined with the reason
(``standard.funding.split_donors`` is the one reading of the field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from ctdata.errors import CtdataError
from ctdata.ingest.readers import open_table
from ctdata.ingest.result import require_columns
from ctdata.standard.funding import split_donors
from ctdata.standard.types import parser_for
from ctdata.store import audit, db
from ctdata.store.models import Project

_countries = parser_for("countries")
_int = parser_for("int")


def import_projects(path: Path | str, actor: str = "cli") -> dict[str, Any]:
    table = open_table(Path(path))
    require_columns(table, ["project", "countries", "amount", "year"], "the projects table")
    out: dict[str, Any] = {"rows_read": 0, "loaded": 0, "quarantined": 0, "reasons": []}
    with db.session_scope() as s:
        for raw in table.rows:
            out["rows_read"] += 1
            v = raw.values
            try:
                if raw.error:
                    raise CtdataError(raw.error)
                name = (v.get("project") or "").strip()
                if not name:
                    raise CtdataError("project: required value is empty")
                countries = _countries(v.get("countries"))
                if not countries:
                    raise CtdataError("countries: at least one country is required")
                amount = float(str(v.get("amount") or "").replace(",", ""))
                if amount < 0:
                    raise CtdataError("amount: must not be negative")
                donor = (v.get("donor") or "").strip() or None
                if donor is not None and len(donor) > 200:
                    raise CtdataError("donor: the donor list is longer than 200 characters")
                try:
                    split_donors(donor, amount)
                except ValueError as exc:
                    raise CtdataError(f"donor: {exc}") from None
                year = _int(v.get("year"))
                if year is None or not 1990 <= year <= 2100:
                    raise CtdataError("year: required, 1990-2100")
            except (CtdataError, ValueError) as exc:
                out["quarantined"] += 1
                out["reasons"].append({"row": raw.number, "reason": str(exc)})
                continue
            existing = s.execute(select(Project).where(Project.project == name, Project.year == year)).scalar()
            if existing is None:
                s.add(Project(project=name, countries=countries, donor=donor, amount=amount, year=year))
            else:
                existing.countries, existing.donor, existing.amount = countries, donor, amount
            out["loaded"] += 1
        audit.record(s, actor=actor, action="import", entity="projects", details={
            "path": str(path), "rows_read": out["rows_read"], "loaded": out["loaded"],
            "quarantined": out["quarantined"]})
    return out
