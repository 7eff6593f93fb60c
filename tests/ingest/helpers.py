"""Small file builders for importer tests (tests never read the shared CTDC files)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

from ctdata.ingest.ctdc_columns import KANON_HEADER
from ctdata.standard.template import column_names


def record(i: int, **over: Any) -> dict[str, Any]:
    base = {
        "record_id": f"R{i}", "agency": "IOM", "office_country": "UA", "data_source": "case_management",
        "registration_date": f"2011-0{i % 9 + 1}-15", "given_name": "Олена", "family_name": f"Шевченко{i}",
        "date_of_birth": "1995-04-02", "sex": "female", "citizenship": "UA", "status": "victim_of_trafficking",
        "country_of_exploitation": "RU", "exploitation_types": "forced_labour", "consent_research": "1",
    }
    base.update(over)
    return base


def write_records(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    cols = columns or column_names("records")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def ctdc_row(**over: str) -> dict[str, str]:
    row = dict.fromkeys(KANON_HEADER, "")
    row.update({"yearOfRegistration": "2019", "Datasource": "Case Management", "gender": "Female",
                "ageBroad": "18--20", "majorityStatus": "Adult", "citizenship": "UA",
                "CountryOfExploitation": "RU", "isForcedLabour": "1", "isSexualExploit": "0"})
    row.update(over)
    return row


def write_ctdc(path: Path, rows: list[dict[str, str]], gz: bool = False) -> Path:
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="", encoding="utf-8") as fh:  # type: ignore[operator]
        w = csv.DictWriter(fh, list(KANON_HEADER))
        w.writeheader()
        w.writerows(rows)
    return path
