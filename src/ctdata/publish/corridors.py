"""Corridor counts for the public map: citizenship -> country of exploitation, small pairs withheld.

Why an aggregate table beside the microdata: k-anonymisation generalises whatever
makes a record rare, and on data the size of the demo (20,000 records, six
quasi-identifiers) the least-loss generalisation lifts both countries to regions,
so no k-anonymised record keeps a country pair and a map drawn from the records is
empty, although many corridors have hundreds of records. Public dashboards draw
corridors from aggregate tables instead, and so does the portal: one count per
country pair, from the same consented records as the release.

What keeps it safe:

- the same input as the microdata: only records whose consent allows research use
  (``guard.consented`` with the release's setting for unknown consent);
- only cross-border pairs of two ISO 3166 alpha-2 codes (internal, unknown and
  generalised values are left out: they are not corridors);
- a pair with fewer than k records is not published at all (primary suppression);
- the table has no margins: no totals by origin, by destination or overall, so no
  withheld pair can be worked out by subtraction (complementary suppression is
  needed only where totals are shown, see ``suppression``). Its row count says how
  many pairs are shown, never how many records or pairs were withheld;
- no column but the two country codes and the count (``guard.refuse_identifiers``
  checks the names as for every released table).
"""

from __future__ import annotations

import re

import pandas as pd

from ctdata.publish.guard import consented, refuse_identifiers

FILE = "corridors.csv"
COLUMNS = ("citizenship", "country_of_exploitation", "records")
_ALPHA2 = re.compile(r"^[A-Z]{2}$")


def _country(series: pd.Series) -> pd.Series:
    """The value when it is an ISO alpha-2 code (one country), else missing."""
    s = series.astype("string").str.strip()
    return s.where(s.str.fullmatch(_ALPHA2.pattern).fillna(False).astype(bool))


def corridor_table(df: pd.DataFrame, k: int, include_unknown_consent: bool = False) -> pd.DataFrame:
    """Records per cross-border country pair, only pairs with at least ``k`` records, largest first.

    ``df`` is the release's input in the publication contract (``citizenship``,
    ``country_of_exploitation``, ``consent_research``, ``source_kind``); a record with
    several citizenships counts once, under its first.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    empty = pd.DataFrame({c: pd.Series(dtype="string" if c != "records" else "int64") for c in COLUMNS})
    if len(df) == 0 or "citizenship" not in df or "country_of_exploitation" not in df:
        return empty
    rows = df.loc[consented(df, include_unknown_consent).to_numpy()]
    origin = _country(rows["citizenship"].astype("string").str.split(";").str[0])
    destination = _country(rows["country_of_exploitation"])
    pairs = pd.DataFrame({"citizenship": origin, "country_of_exploitation": destination}).dropna()
    pairs = pairs[pairs["citizenship"] != pairs["country_of_exploitation"]]
    if len(pairs) == 0:
        return empty
    counts = pairs.value_counts().rename("records").reset_index()
    shown = counts[counts["records"] >= k]
    shown = shown.sort_values(
        ["records", "citizenship", "country_of_exploitation"], ascending=[False, True, True], kind="stable"
    )
    out = shown.reset_index(drop=True).astype({"citizenship": "string", "country_of_exploitation": "string"})
    out["records"] = out["records"].astype("int64")
    refuse_identifiers(out.columns)
    return out[list(COLUMNS)]
