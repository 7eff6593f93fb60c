"""The second generator (benchmarks/independent_gen.py) makes what it says: template rows that break the
simulator's assumptions. It is a check for linkage, never a tuning set, so only its shape is tested here."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from ctdata.ingest.validate import TableValidator

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "independent_gen.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("independent_gen", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["independent_gen"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def data(gen):
    return gen.generate(persons=400, seed=3)


def test_rows_are_template_rows_with_truth(data):
    rec, truth = data
    v = TableValidator("records")
    for row in rec.to_dict("records"):
        v.row(row)
    assert list(truth["record_id"]) == list(rec["record_id"])
    assert truth["person_id"].nunique() == 400


def test_native_script_only_at_the_origin_office(data):
    rec, _ = data
    native = rec["given_name"].fillna("").str.contains(r"[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f]")
    assert native.any()
    assert (
        rec.loc[native, "office_country"] == rec.loc[native, "citizenship"].fillna(rec.loc[native, "office_country"])
    ).all()
    assert (
        not rec.loc[rec["office_country"].isin(["AE", "TR", "IT", "IN", "JP", "PT"]), "given_name"]
        .str.contains(r"[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f]")
        .any()
    )


def test_dates_are_full_year_only_swapped_or_missing(gen, data):
    rec, truth = data
    d = rec["date_of_birth"]
    assert d.isna().mean() > 0.05
    assert d.dropna().map(lambda s: re.fullmatch(r"\d{4}", s) is not None).mean() > 0.08
    # one person's full dates that are each other's day/month swap
    full = rec.assign(p=truth["person_id"])[d.fillna("").str.len() == 10]
    swapped = 0
    for _, g in full.groupby("p"):
        s = set(g["date_of_birth"])
        swapped += any(f"{x[:4]}-{x[8:]}-{x[5:7]}" in s and x[5:7] != x[8:] for x in s)
    assert swapped > 0
    assert "exploitation_start" not in rec.columns and "country_of_exploitation" not in rec.columns


def test_small_name_pools_make_namesakes(data):
    rec, truth = data
    latin = rec[rec["citizenship"].isin(["PH", "BR"])]
    persons = truth.set_index("record_id").loc[latin["record_id"], "person_id"].to_numpy()
    per_name = latin.assign(p=persons).groupby(["given_name", "family_name"])["p"].nunique()
    assert per_name.max() >= 3  # the same full name, three or more people


def _ambiguous(rec, truth, people):
    """Records no field can place (independent_gen.oracle_clusters), computed here from the persons."""
    who = people.set_index("person_id")
    name = who[["sex", "nationality", "given", "family"]].apply(tuple, axis=1)
    name_year = who.apply(lambda r: (r["sex"], r["nationality"], r["given"], r["family"], r["born"].year), axis=1)
    p = truth["person_id"]
    no_date = rec["date_of_birth"].isna().to_numpy() & (p.map(name).map(name.value_counts()).to_numpy() > 1)
    year = rec["date_of_birth"].fillna("").str.len().eq(4).to_numpy()
    return no_date | (year & (p.map(name_year).map(name_year.value_counts()).to_numpy() > 1)), name


@pytest.mark.parametrize("missing_dob", [True, False])
def test_oracle_references_place_all_but_the_records_nothing_can_place(gen, missing_dob):
    rec, truth = gen.generate(persons=400, seed=3, missing_dob=missing_dob)
    rec2, truth2, people = gen.generate_with_names(persons=400, seed=3, missing_dob=missing_dob)
    assert rec2.equals(rec) and truth2.equals(truth)  # the names ride along; the rows are the same
    assert len(people) == 400 and set(people["person_id"]) == set(truth["person_id"])
    alone = gen.oracle_clusters(rec, truth, people, "alone")
    nearest = gen.oracle_clusters(rec, truth, people, "nearest")
    person = truth["person_id"].to_numpy()
    ambiguous, name = _ambiguous(rec, truth, people)
    assert ambiguous.any() and not ambiguous.all()
    # every other record is with its person; the ambiguous ones are alone, or with a namesake
    assert (alone["cluster"].to_numpy()[~ambiguous] == person[~ambiguous]).all()
    assert alone["cluster"].to_numpy()[ambiguous].tolist() == ("alone:" + rec["record_id"][ambiguous]).tolist()
    placed = nearest["cluster"].to_numpy()[ambiguous]
    namesake = [c.startswith("alone:") or name[c] == name[p] for c, p in zip(placed, person[ambiguous], strict=True)]
    assert all(namesake)
    with pytest.raises(ValueError):
        gen.oracle_clusters(rec, truth, people, "guess")


def test_the_dated_variant_differs_only_in_the_missing_dates(gen, data):
    """The dated variant gives the first variant's undated records their true date; nothing else moves."""
    rec, truth = data
    dated, truth2 = gen.generate(persons=400, seed=3, missing_dob=False)
    _, _, people = gen.generate_with_names(persons=400, seed=3, missing_dob=False)
    assert truth2.equals(truth) and dated["date_of_birth"].notna().all()
    missing = rec["date_of_birth"].isna()
    assert missing.mean() > 0.05
    assert dated.drop(columns="date_of_birth").equals(rec.drop(columns="date_of_birth"))
    assert dated.loc[~missing, "date_of_birth"].equals(rec.loc[~missing, "date_of_birth"])
    born = truth["person_id"].map(people.set_index("person_id")["born"].map(lambda d: d.isoformat()))
    assert (dated.loc[missing, "date_of_birth"] == born[missing]).all()
