"""The one table from a Protocol purpose to the exploitation type screening writes into the case."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ctdata.standard import vocab


def test_every_purpose_makes_one_known_exploitation_type():
    assert list(vocab.PURPOSE_EXPLOITATION_TYPE) == vocab.PURPOSES.codes
    assert set(vocab.PURPOSE_EXPLOITATION_TYPE.values()) <= set(vocab.EXPLOITATION_TYPES.codes)
    assert set(vocab.COMBINED_EXPLOITATION_TYPES.values()) <= set(vocab.EXPLOITATION_TYPES.codes)
    assert vocab.exploitation_types_of(["forced_labour"]) == ["forced_labour"]
    assert vocab.exploitation_types_of(["sexual_exploitation"]) == ["sexual_exploitation"]
    assert vocab.exploitation_types_of(["sexual_exploitation", "forced_labour"]) == ["sex_and_labour"]
    assert vocab.exploitation_types_of([]) == []


@given(st.lists(st.sampled_from(vocab.PURPOSES.codes)))
def test_types_of_purposes_are_known_ordered_and_lose_no_purpose(purposes):
    types = vocab.exploitation_types_of(purposes)
    assert types == [c for c in vocab.EXPLOITATION_TYPES.codes if c in types]
    assert set(types) <= vocab.SCREENED_EXPLOITATION_TYPES
    assert bool(types) == bool(purposes)
    covered = set(types)
    for combined_parts, combined in vocab.COMBINED_EXPLOITATION_TYPES.items():
        if combined in covered:
            covered |= combined_parts
    assert {vocab.PURPOSE_EXPLOITATION_TYPE[p] for p in purposes} <= covered
    both = {"forced_labour", "sexual_exploitation"} <= set(purposes)
    assert ("sex_and_labour" in types) == both
    assert not (both and ({"forced_labour", "sexual_exploitation"} & set(types)))
