"""Derived facts (cross-border, child) stay true through lumping and synthesis."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.publish import derived
from ctdata.publish.hierarchies import STAR

COUNTRIES = ["BJ", "NG", "TG", "UA", "MD", "PH", "US", "TH"]
LABELS = COUNTRIES + ["Western Africa", "Eastern Europe", STAR]

country = st.one_of(st.none(), st.sampled_from(COUNTRIES))
lumping = st.dictionaries(st.sampled_from(COUNTRIES), st.sampled_from(LABELS))


def _released(cit, coe, lump_cit, lump_coe):
    """Real rows through the synthesiser's path: relative country, each column's lumping, decoding."""
    cit_s, coe_s = pd.Series(cit, dtype=object), pd.Series(coe, dtype=object)
    rel = derived.relative_exploitation(cit_s, coe_s)
    cit_l = cit_s.map(lambda v: None if v is None else lump_cit.get(v, v))
    rel_l = rel.map(lambda v: None if v is None else v if v == derived.SAME else lump_coe.get(v, v))
    flag = derived.relative_cross_border(cit_l, rel_l)
    return cit_l, derived.absolute_exploitation(cit_l, rel_l), flag


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(country, country), min_size=1, max_size=30), lumping, lumping)
def test_no_lumped_internal_pair_counts_as_cross_border(pairs, lump_cit, lump_coe):
    cit = [a for a, _ in pairs]
    coe = [b for _, b in pairs]
    cit_l, coe_l, flag = _released(cit, coe, lump_cit, lump_coe)
    counted = derived.cross_border(cit_l, coe_l)
    for i, (a, b) in enumerate(pairs):
        if a is not None and b is not None and a == b:  # internal in reality
            assert counted.iloc[i] is False or counted.iloc[i] == False  # noqa: E712
            assert flag.iloc[i] == False  # noqa: E712
            assert coe_l.iloc[i] == cit_l.iloc[i]
        if a is not None and b is not None and a != b:  # cross-border in reality: the modelled flag keeps it
            assert flag.iloc[i] == True  # noqa: E712
        if a is None or b is None:
            assert pd.isna(flag.iloc[i])


def test_comparing_lumped_labels_would_count_an_internal_pair_cross_border():
    """Why the relative coding exists: lumping the two columns differently breaks a label comparison."""
    cit, coe = pd.Series(["BJ"], dtype=object), pd.Series(["BJ"], dtype=object)
    naive = derived.cross_border(cit.map({"BJ": "Western Africa"}), coe)
    assert naive.iloc[0] == True  # noqa: E712
    _, _, flag = _released(["BJ"], ["BJ"], {"BJ": "Western Africa"}, {})
    assert flag.iloc[0] == False  # noqa: E712


@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["0-8", "9-17", "18-20", "48+"])),
                          st.one_of(st.none(), st.booleans())), min_size=1, max_size=30))
def test_minor_age_band_is_a_child(rows):
    age = pd.Series([a for a, _ in rows], dtype=object)
    child = pd.Series([c for _, c in rows], dtype="boolean")
    out = derived.child_consistent(age, child)
    for i, (a, c) in enumerate(rows):
        if a in derived.MINOR_BANDS:
            assert out.iloc[i] == True  # noqa: E712
        elif c is None:
            assert pd.isna(out.iloc[i])
        else:
            assert out.iloc[i] == c
    labels = pd.Series(["true" if c else "false" for _, c in rows], dtype=object)
    assert all(v == "true" for v, (a, _) in zip(derived.child_consistent(age, labels), rows, strict=True)
               if a in derived.MINOR_BANDS)


def test_shares_of_derived_facts_read_any_spelling_and_leave_lumped_values_out() -> None:
    """A synthetic yes/no column may be text with a lumped '*' (the noise merged a rare value): the share
    is of the yes/no values, not an error (it stopped the release of a synthetic file)."""
    import pandas as pd

    from ctdata.publish.api import derived_fact_errors

    real = pd.DataFrame({"child": [True, False, False, None]})
    synthetic = pd.DataFrame({"child": ["false", "true", "*", None, "true", "false"]})
    got = derived_fact_errors(real, synthetic)["child"]
    assert got["real"] == 1 / 3 and got["synthetic"] == 0.5
