"""The public CTDC column format, written from a k-anonymised table (the format `ctdata import ctdc` reads).

Why: an agency that contributes to the Counter-Trafficking Data Collaborative
sends its records in CTDC's own 63-column k-anonymised layout, and anyone who
reads CTDC releases can read it. The rows written are those of `kanon.kanonymise`
(consented records only, identifiers refused, k-anonymous on CTDC's own
quasi-identifiers); this module only spells them the CTDC way. The column lists
and flag codes are the importer's (``ingest.ctdc_columns``), so what is written
is what is read back.

How values are spelled, and what the format cannot hold:

- A value the k-anonymity step generalised (a year period, a region, an age
  range, ``*``) has no CTDC spelling and is written empty (unknown), as CTDC's
  own releases do with what they suppress. A child flag stays: it is written
  to ``majorityStatusAtExploit`` (ctdata's child is at exploitation when known),
  and ``majorityStatus`` follows the age band when the band says it.
- ``Datasource`` has two values: hotline records are ``Hotline``, every other
  known source (case management, a partner's case records, field collection)
  is ``Case Management``; an unknown or other source is empty.
- Exploitation types without a CTDC flag (forced begging, forced criminality)
  are flagged ``isOtherExploit``, CTDC's category for them.
- A flag group is written 1/0 when the record's list is known (an empty list
  is all 0), and empty when it is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ctdata.ingest import ctdc_columns as cols
from ctdata.publish.guard import refuse_identifiers
from ctdata.standard import vocab
from ctdata.standard.cells import writer

HEADER = cols.KANON_HEADER
SEX = {"female": "Female", "male": "Male", "transgender_nonconforming": "Transgender/NonConforming"}
SOURCE = {"hotline": "Hotline", "case_management": "Case Management", "partner": "Case Management",
          "survey": "Case Management"}
CHILD_BANDS = frozenset({"0-8", "9-17"})
#: exploitation types the CTDC flags lack, and the flag that counts them
OTHER_EXPLOITATION = {"forced_begging": "other", "forced_criminality": "other"}
_YEAR = re.compile(r"^\d{4}$")
_ALPHA2 = re.compile(r"^[A-Z]{2}$")


def _present(v: Any) -> bool:
    return v is not None and v is not pd.NA and not (isinstance(v, float) and v != v)


def _codes(v: Any) -> list[str] | None:
    """A released list value (``a;b`` text or a list) as codes; None when unknown."""
    if not _present(v):
        return None
    if isinstance(v, str):
        return [c for c in v.split(";") if c] if v != "*" else None
    return [str(c) for c in v]


def _band(v: Any) -> str | None:
    """A CTDC ``ageBroad`` spelling of a band code, None for a generalised label."""
    if not _present(v) or str(v) not in vocab.AGE_BAND:
        return None
    return "48+" if v == "48+" else str(v).replace("-", "--")


def _flags(codes: list[str] | None, pairs: Iterable[tuple[str, str]]) -> list[str]:
    if codes is None:
        return ["" for _ in pairs]
    have = set(codes)
    return ["1" if code in have else "0" for _, code in pairs]


def _labels(codes: list[str] | None, vocabulary: vocab.Vocabulary) -> str:
    return ";".join(vocabulary.label(c) for c in codes) if codes else ""


def ctdc_row(rec: dict[str, Any]) -> list[str]:
    """One released record (standard column names) as a row of the CTDC k-anonymised layout."""
    year = str(rec.get("registration_year")) if _present(rec.get("registration_year")) else ""
    band = _band(rec.get("age_band"))
    child = rec.get("child")
    cit = str(rec.get("citizenship")) if _present(rec.get("citizenship")) else ""
    coe = str(rec.get("country_of_exploitation")) if _present(rec.get("country_of_exploitation")) else ""
    expl = _codes(rec.get("exploitation_types"))
    if expl is not None:
        expl = [OTHER_EXPLOITATION.get(c, c) for c in expl]
    labour = _codes(rec.get("labour_sectors"))
    means = _codes(rec.get("means_of_control"))
    sexual = _codes(rec.get("sexual_exploitation_types"))
    recruiter = _codes(rec.get("recruiter_relation"))
    values: dict[str, str] = {
        "yearOfRegistration": year if _YEAR.match(year) else "",
        "Datasource": SOURCE.get(str(rec.get("data_source")), ""),
        "gender": SEX.get(str(rec.get("sex")), ""),
        "ageBroad": band or "",
        "majorityStatus": "" if band is None else ("Minor" if band in CHILD_BANDS else "Adult"),
        "majorityStatusAtExploit": "" if not _present(child) else ("Minor" if bool(child) else "Adult"),
        "majorityEntry": "",
        "citizenship": cit if _ALPHA2.match(cit) else "",
        "CountryOfExploitation": coe if _ALPHA2.match(coe) else "",
        "meansOfControlConcatenated": _labels(means, vocab.MEANS_OF_CONTROL),
        "typeOfExploitConcatenated": _labels(expl, vocab.EXPLOITATION_TYPES),
        "typeOfLabourConcatenated": _labels(labour, vocab.LABOUR_SECTORS),
        "typeOfSexConcatenated": _labels(sexual, vocab.SEXUAL_EXPLOITATION_TYPES),
        "isAbduction": "",
        "RecruiterRelationship": _labels(recruiter, vocab.RECRUITER_RELATION),
    }
    for pairs, codes in ((cols.KANON_MEANS, means), (cols.KANON_EXPLOITATION, expl), (cols.KANON_LABOUR, labour),
                         (cols.KANON_SEX, sexual), (cols.KANON_RECRUITER, recruiter)):
        values.update(zip((c for c, _ in pairs), _flags(codes, pairs), strict=True))
    return [values[c] for c in HEADER]


def write_ctdc(released: pd.DataFrame, out: Path) -> int:
    """Write a k-anonymised table in the CTDC layout; refuses identifying columns. Returns the rows written."""
    refuse_identifiers(list(released.columns))
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = writer(fh)
        w.writerow(HEADER)
        for rec in released.to_dict(orient="records"):
            w.writerow(ctdc_row(rec))
            n += 1
    return n
