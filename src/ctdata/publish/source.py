"""Publication input from the warehouse, and the audited release operations.

Releases are built from the de-identified warehouse, never the live store,
in the column contract of `publish/` (the standard's names). Consent is
enforced by the engines; here we only shape the rows. When linkage has run,
synthesis can keep one record per individual, so that the privacy unit is a
person rather than an instance of assistance.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from ctdata.config import settings
from ctdata.errors import CtdataError
from ctdata.publish.releases import ReleaseEntry, ReleaseRegistry
from ctdata.warehouse.build import build
from ctdata.warehouse.query import INDIVIDUALS_JOIN, connect, has_view, individual_of


def records_from_warehouse(one_per_individual: bool = False, refresh: bool = True) -> pd.DataFrame:
    if refresh:
        build(progress=False)
    con = connect()
    if not has_view(con, "cases"):
        raise CtdataError("the warehouse has no case records to publish")
    dedupe = one_per_individual and has_view(con, "individuals")
    sql = f"""
        SELECT {f"{individual_of()} AS individual_id," if dedupe else ""}
               registration_year, data_source, sex, age_band, child, citizenship, country_of_exploitation,
               array_to_string(exploitation_types, ';') AS exploitation_types,
               array_to_string(labour_sectors, ';') AS labour_sectors,
               array_to_string(means_of_control, ';') AS means_of_control,
               consent_research, source_kind
        FROM cases c {INDIVIDUALS_JOIN if dedupe else ""}
        WHERE NOT erased OR erased IS NULL
    """
    df = con.execute(sql).df()
    if dedupe:
        df = df.drop_duplicates("individual_id").drop(columns=["individual_id"])
    return df


def registry() -> ReleaseRegistry:
    root = settings().releases_dir
    root.mkdir(parents=True, exist_ok=True)
    return ReleaseRegistry(root)


def export(entry: ReleaseEntry, out: Path, reg: ReleaseRegistry | None = None) -> Path:
    """Copy a release's files to a folder the user chose (the registry keeps the original)."""
    src = (reg or registry()).path(entry.release_id)
    if out.exists() and any(out.iterdir()):
        raise CtdataError(f"{out} exists and is not empty; releases are never overwritten")
    shutil.copytree(src, out, dirs_exist_ok=True)
    return out


def victim_perpetrator_records(refresh: bool = True) -> pd.DataFrame:
    """One row per victim with their perpetrators taken together (`analytics.perpetrators.victim_frame`):
    the input of a victim-perpetrator release, whose privacy unit is the victim with all their perpetrator
    rows (each victim contributes one row: one record per linked individual when linkage has run; the
    perpetrators of that record). Erased people are left out, as from every release."""
    from ctdata.analytics.perpetrators import victim_frame

    if refresh:
        build(progress=False)
    con = connect()
    if not has_view(con, "perpetrators"):
        raise CtdataError("the warehouse has no perpetrators to publish")
    df = victim_frame(con)
    df = df[~df["erased"].fillna(False).astype(bool)]
    if has_view(con, "individuals"):  # a victim assisted by two offices contributes once
        ind = con.execute("SELECT record_key, individual_id FROM individuals").df()
        df = df.merge(ind, on="record_key", how="left")
        df["individual_id"] = df["individual_id"].fillna(df["record_key"])
        df = df.drop_duplicates("individual_id").drop(columns=["individual_id"])
    return df.drop(columns=["erased", "record_key"]).reset_index(drop=True)
