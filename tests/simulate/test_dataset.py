"""Files, columns, vocabularies, ground truth and determinism of a generated data set."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from ctdata.cli.simulate import simulate_command
from ctdata.errors import CtdataError
from ctdata.ingest.readers import open_table
from ctdata.ingest.validate import TableValidator
from ctdata.simulate import simulate
from ctdata.simulate.population import MAX_PARTNERS, _capped_poisson_mean
from ctdata.simulate.targets import targets
from ctdata.standard import countries
from ctdata.standard.template import column_names
from tests.simulate.conftest import read

FILES = {
    "records": "records.csv",
    "journey_legs": "journey_legs.csv",
    "assistance": "assistance.csv",
    "returns": "returns.csv",
}


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate(3_000, 42, a, progress=False)
    simulate(3_000, 42, b, progress=False)
    simulate(3_000, 43, c, progress=False)
    for name in [*FILES.values(), "truth.csv"]:
        assert _digest(a / name) == _digest(b / name), name
    assert _digest(a / "records.csv") != _digest(c / "records.csv")


@pytest.mark.parametrize("records", [1, 2, 17, 999])
def test_exactly_the_requested_number_of_records(tmp_path, records):
    summary = simulate(records, 3, tmp_path, progress=False)
    assert summary.records == records
    assert len(read(tmp_path / "records.csv")) == records
    assert len(read(tmp_path / "truth.csv")) == records


@pytest.mark.parametrize("table", list(FILES))
def test_columns_are_the_template_columns(three_years, table):
    header = (three_years / FILES[table]).read_text(encoding="utf-8").splitlines()[0]
    assert [h.strip('"') for h in header.split(",")] == column_names(table)


@pytest.mark.parametrize("table", list(FILES))
def test_every_row_passes_the_importers_validation(three_years, table):
    validator = TableValidator(table)
    bad = []
    for row in open_table(three_years / FILES[table]).rows:
        try:
            validator.raw_row(row)
        except CtdataError as exc:
            bad.append(str(exc))
    assert not bad, bad[:5]


def test_record_ids_unique_and_truth_covers_every_record(three_years):
    rec = read(three_years / "records.csv")
    truth = read(three_years / "truth.csv")
    assert rec["record_id"].is_unique
    assert list(truth.columns) == ["record_id", "person_id"]
    assert set(truth["record_id"]) == set(rec["record_id"])
    assert truth["record_id"].is_unique
    ids = set(rec["record_id"])
    for name in ("journey_legs.csv", "assistance.csv", "returns.csv"):
        assert set(read(three_years / name)["record_id"]) <= ids, name
    # The id says which agency and office wrote the record.
    assert (rec["record_id"].str.split("-").str[0] == rec["agency"].str.split("-").str[0]).all()


def test_records_per_person_in_the_last_year_are_the_published_ones(three_years):
    # 5,498 instances of assistance of about 2,700 individuals in 2011: 2.04 records per person in a year.
    truth = read(three_years / "truth.csv")
    year = read(three_years / "records.csv").set_index("record_id")["registration_date"].str[:4]
    last = truth[truth["record_id"].map(year) == "2011"]
    m = last["person_id"].value_counts()
    ratio = len(last) / len(m)
    se = m.std() / np.sqrt(len(m))  # of the mean records per person (the ratio is that mean)
    assert abs(ratio - targets().records_per_person) < 3 * se + 0.02, ratio
    assert (truth["person_id"].value_counts() >= 2).mean() > 0.4  # most returnees are recorded twice


def test_a_one_year_run_has_the_published_records_per_person(target_year):
    truth = read(target_year / "truth.csv")
    m = truth["person_id"].value_counts()
    assert abs(len(truth) / len(m) - targets().records_per_person) < 3 * m.std() / np.sqrt(len(m)) + 0.02


def test_countries_mostly_alpha2_some_partner_spellings(three_years):
    rec = read(three_years / "records.csv")
    coe = rec.loc[rec["country_of_exploitation"] != "", "country_of_exploitation"]
    alpha2 = coe.str.fullmatch(r"[A-Z]{2}")
    assert 0.95 < alpha2.mean() < 1.0
    assert (rec.loc[coe[~alpha2].index, "agency"] != "IOM").all()
    for value in coe[~alpha2].unique():
        assert countries.to_alpha2(value)


def test_dates_are_iso_full_or_partial(three_years):
    rec = read(three_years / "records.csv")
    pattern = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")
    for col in ("registration_date", "date_of_birth", "exploitation_start"):
        assert rec[col].map(lambda v: bool(pattern.match(v))).all(), col
    dob = rec["date_of_birth"]
    shares = {
        "full": (dob.str.len() == 10).mean(),
        "year-month": (dob.str.len() == 7).mean(),
        "year": (dob.str.len() == 4).mean(),
        "missing": (dob == "").mean(),
    }
    assert all(s > 0.02 for s in shares.values()), shares
    years = rec["registration_date"].str.slice(0, 4).astype(int)
    assert years.between(2009, 2011).all()


def test_unknowns_exist_at_small_rates(three_years):
    rec = read(three_years / "records.csv")
    unknown_sex = (~rec["sex"].isin(["female", "male", "transgender_nonconforming"])).mean()
    assert 0.01 < unknown_sex < 0.06
    for col in ("citizenship", "country_of_exploitation", "exploitation_types"):
        assert 0.003 < (rec[col] == "").mean() < 0.06, col
    assert 0.02 < (rec["consent_research"] != "true").mean() < 0.25


def test_origin_records_come_later_and_name_the_referring_office(three_years):
    rec = read(three_years / "records.csv").merge(read(three_years / "truth.csv"), on="record_id")
    iom = rec[rec["agency"] == "IOM"]
    origin = iom[iom["referral_from_office"] != ""]
    assert len(origin) > 0.15 * len(iom)
    assert (origin["office_country"] == origin["citizenship"].str.split(";").str[0]).mean() > 0.95
    dest = iom[(iom["office_country"] == iom["country_of_exploitation"]) & (iom["referral_from_office"] == "")]
    pair = origin.merge(dest, on="person_id", suffixes=("_o", "_d"))
    assert len(pair) > 0
    assert (pair["registration_date_o"] > pair["registration_date_d"]).mean() > 0.9
    assert (pair["referral_from_office_o"] == pair["office_country_d"]).all()


def test_bad_arguments_are_user_errors(tmp_path):
    with pytest.raises(CtdataError):
        simulate(0, 1, tmp_path, progress=False)
    with pytest.raises(CtdataError):
        simulate(10, 1, tmp_path, years=(2012, 2010), progress=False)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CtdataError):
        simulate(10, 1, blocker / "sub", progress=False)


def test_command_prints_json_summary(tmp_path, capsys):
    simulate_command(500, 9, tmp_path, as_json=True)
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == 500
    assert summary["files"]["truth.csv"] == 500
    assert 1.0 <= summary["records_per_person"] <= 3.0
    assert (tmp_path / "records.csv").exists()


@given(st.integers(1, 400), st.integers(0, 2**31 - 1))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_size_and_seed_gives_a_complete_consistent_set(tmp_path, records, seed):
    out = tmp_path / f"{records}-{seed}"
    summary = simulate(records, seed, out, progress=False)
    rec = read(out / "records.csv")
    truth = read(out / "truth.csv")
    assert len(rec) == records == summary.records
    assert rec["record_id"].is_unique
    assert list(truth["record_id"]) == list(rec["record_id"])
    assert summary.persons == truth["person_id"].nunique() <= records


def test_document_numbers_mostly_agree_between_offices(three_years):
    rec = read(three_years / "records.csv").merge(read(three_years / "truth.csv"), on="record_id")
    docs = rec[rec["id_document_number"] != ""]
    pairs = docs.merge(docs, on="person_id")
    pairs = pairs[pairs["record_id_x"] < pairs["record_id_y"]]
    agree = (pairs["id_document_number_x"] == pairs["id_document_number_y"]).mean()
    assert 0.7 < agree < 0.95


def test_one_persons_full_birth_dates_differ_only_by_register_slips(three_years):
    """A wrong year digit keeps day and month; a swap exchanges them; nothing else moves a birth date."""
    rec = read(three_years / "records.csv").merge(read(three_years / "truth.csv"), on="record_id")
    full = rec[rec["date_of_birth"].str.len() == 10][["person_id", "record_id", "date_of_birth"]]
    pairs = full.merge(full, on="person_id")
    differ = pairs["date_of_birth_x"] != pairs["date_of_birth_y"]
    pairs = pairs[(pairs["record_id_x"] < pairs["record_id_y"]) & differ]
    assert len(pairs) > 20
    kinds = {"year": 0, "swap": 0}
    for a, b in zip(pairs["date_of_birth_x"], pairs["date_of_birth_y"], strict=True):
        (ya, ma, da), (yb, mb, db) = (tuple(int(x) for x in d.split("-")) for d in (a, b))
        if (ma, da) == (mb, db) or (ma == 2 and mb == 2 and {da, db} == {28, 29}):
            assert abs(ya - yb) in (1, 2), (a, b)  # a slip on one record, or one either way on both
            kinds["year"] += 1
        else:
            assert (ma, da) == (db, mb) or (mb, db) == (da, ma), (a, b)
            kinds["swap"] += 1
    assert kinds["year"] > 0 and kinds["swap"] > 0


@settings(deadline=None)
@given(st.floats(0.0, 5.0))
def test_capped_partner_records_mean_is_exact(rate):

    k = np.arange(60)
    direct = float((np.minimum(k, MAX_PARTNERS) * poisson.pmf(k, rate)).sum())
    assert abs(_capped_poisson_mean(rate) - direct) < 1e-9


def test_partner_rates_give_the_published_records_per_person_in_expectation():
    from ctdata.simulate.population import IN_YEAR, expected_records_per_person

    t = targets()
    for spill, factor in ((True, IN_YEAR), (False, 1.0)):
        rpp = expected_records_per_person(spill)
        mean = 1 / (t.cross_border / rpp[True] + (1 - t.cross_border) / rpp[False])
        assert abs(mean * factor - t.records_per_person) < 1e-6
