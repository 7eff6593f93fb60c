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


def test_oracle_references_place_all_but_the_records_nothing_can_place(gen, data):
    rec, truth = data
    rec2, truth2, people = gen.generate_with_names(persons=400, seed=3)
    assert rec2.equals(rec) and truth2.equals(truth)  # the names ride along; the rows are the same
    assert len(people) == 400 and set(people["person_id"]) == set(truth["person_id"])
    alone = gen.oracle_clusters(rec, truth, people, "alone")
    nearest = gen.oracle_clusters(rec, truth, people, "nearest")
    person = truth["person_id"].to_numpy()
    key = people.set_index("person_id")[["sex", "nationality", "given", "family"]].apply(tuple, axis=1)
    shared = truth["person_id"].map(key).map(key.value_counts()).to_numpy() > 1
    ambiguous = rec["date_of_birth"].isna().to_numpy() & shared
    assert ambiguous.any() and not ambiguous.all()
    # every other record is with its person; the ambiguous ones are alone, or with a namesake
    assert (alone["cluster"].to_numpy()[~ambiguous] == person[~ambiguous]).all()
    assert alone["cluster"].to_numpy()[ambiguous].tolist() == ("alone:" + rec["record_id"][ambiguous]).tolist()
    placed = nearest["cluster"].to_numpy()[ambiguous]
    namesake = [c.startswith("alone:") or key[c] == key[p] for c, p in zip(placed, person[ambiguous], strict=True)]
    assert all(namesake)
    with pytest.raises(ValueError):
        gen.oracle_clusters(rec, truth, people, "guess")
