"""A project's donor list: several donors, amounts per donor, refused when they do not add up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.standard.funding import DonorShare, format_donors, split_donors


def test_several_donors_share_what_the_amounts_leave():
    got = split_donors("Netherlands: 600000; Norway; Italy", 1_000_000)
    assert got == [DonorShare("Netherlands", 600000), DonorShare("Norway", 200000), DonorShare("Italy", 200000)]
    assert split_donors("Netherlands;Norway;Italy", 900) == [
        DonorShare("Netherlands", 300), DonorShare("Norway", 300), DonorShare("Italy", 300)]
    assert split_donors(None, 10) == [] and split_donors("  ", 10) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("A: 700; B: 400", "exceed"),
        ("A: 300; B: 300", "do not add up"),
        ("A: lots", "not a number"),
        ("A; a", "named twice"),
        (": 100", "no donor"),
        ("A: -5; B", "negative"),
    ],
)
def test_bad_lists_are_refused(text, words):
    with pytest.raises(ValueError, match=words):
        split_donors(text, 1000)


@given(
    st.lists(st.tuples(st.sampled_from("ABCDEFGH"), st.one_of(st.none(), st.integers(0, 10_000))), min_size=1,
             max_size=6, unique_by=lambda t: t[0]),
    st.integers(0, 100_000),
)
def test_shares_always_sum_to_the_project_amount(donors, extra):
    given_total = sum(a for _, a in donors if a is not None)
    if all(a is not None for _, a in donors):
        extra = 0
    amount = given_total + extra
    text = "; ".join(d if a is None else f"{d}: {a}" for d, a in donors)
    shares = split_donors(text, amount)
    assert [s.donor for s in shares] == [d for d, _ in donors]
    assert sum(s.amount for s in shares) == pytest.approx(amount)
    back = split_donors(format_donors(shares), amount)
    assert [b.donor for b in back] == [s.donor for s in shares]
    assert [b.amount for b in back] == pytest.approx([s.amount for s in shares], abs=0.02)


def test_import_quarantines_a_donor_list_that_does_not_add_up(sqlite_store, tmp_path):
    from ctdata.ingest.projects import import_projects
    from ctdata.store import db
    from ctdata.store.models import Project

    db.upgrade()
    path = tmp_path / "projects.csv"
    path.write_text(
        "project,countries,donor,amount,year\n"
        'P1,UA;MD,"Netherlands: 600000; Norway; Italy",1000000,2011\n'
        'P2,TH,"A: 700; B: 400",1000,2011\n',
        encoding="utf-8",
    )
    out = import_projects(path)
    assert (out["rows_read"], out["loaded"], out["quarantined"]) == (2, 1, 1)
    assert "donor" in out["reasons"][0]["reason"] and "exceed" in out["reasons"][0]["reason"]
    with db.session_scope() as s:
        assert [p.donor for p in s.query(Project).all()] == ["Netherlands: 600000; Norway; Italy"]
