"""What may never leave in a release: identifiers, and records without research consent.

The identifier list comes from the standard (columns flagged ``identifying``)
plus the keys that link a row back to a person or a case, so a new
identifying field in the template is refused here without a code change.
"""

from __future__ import annotations

import re

import pandas as pd

from ctdata.errors import ValidationError
from ctdata.standard.template import TABLES

_KEYS = ("record_id", "record_key", "person_key", "case_id", "cluster_id")
IDENTIFIER_COLUMNS: frozenset[str] = frozenset(
    {c.name for cols in TABLES.values() for c in cols if c.identifying} | set(_KEYS)
)
_PATTERN = re.compile(
    r"(given_?name|family_?name|first_?name|last_?name|surname|full_?name|date_?of_?birth|\bdob\b|"
    r"place[ _]?of[ _]?birth|birth[ _]?place|"
    r"document_?number|passport|id_?document|record_?id|record_?key|person_?key)",
    re.IGNORECASE,
)


class IdentifierInRelease(ValidationError):
    """A column that identifies a person or a record was about to be released."""


def identifying_columns(columns: list[str] | pd.Index) -> list[str]:
    """Columns whose names are, or look like, identifiers."""
    return [str(c) for c in columns if str(c).lower() in IDENTIFIER_COLUMNS or _PATTERN.search(str(c))]


def refuse_identifiers(columns: list[str] | pd.Index) -> None:
    bad = identifying_columns(columns)
    if bad:
        raise IdentifierInRelease(f"refusing to release identifying column(s): {', '.join(bad)}")


def consented(df: pd.DataFrame, include_unknown: bool = False) -> pd.Series:
    """Rows that may be used for research: consent given, or imported from a public release.

    Rows whose consent is unknown count only when the data manager says so
    (``include_unknown``); a recorded refusal always excludes the row.
    """
    n = len(df)
    consent = df["consent_research"] if "consent_research" in df else pd.Series([pd.NA] * n, index=df.index)
    consent = consent.astype("boolean")
    public = (
        df["source_kind"].astype("string").eq("public_release").fillna(False)
        if "source_kind" in df
        else pd.Series(False, index=df.index)
    )
    unknown = consent.isna()
    ok = consent.fillna(False) | (public & unknown)
    if include_unknown:
        ok = ok | unknown
    return ok.astype(bool)
