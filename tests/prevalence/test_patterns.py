"""Capture-pattern tables: reading, validation and building from linked data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ctdata.errors import CtdataError, FileFormatError, NotFound, ValidationError
from ctdata.prevalence.patterns import PatternTable, parse_pattern_csv, patterns_from_links, read_pattern_csv


def test_reads_csv_and_fills_missing_patterns_with_zeros(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("A,B,C,count\n1,0,0,40\n0,1,0,30\n0,0,1,20\n1,1,0,6\n", encoding="utf-8")
    table = read_pattern_csv(path)
    assert table.lists == ("A", "B", "C")
    assert table.observed == 96
    assert len(table.counts) == 7
    assert table.counts.tolist() == [40, 30, 6, 20, 0, 0, 0]  # binary order: A, B, AB, C, AC, BC, ABC
    assert table.list_totals() == {"A": 46, "B": 36, "C": 20}
    assert table.overlaps() == {("A", "B"): 6, ("A", "C"): 0, ("B", "C"): 0}


def test_count_column_anywhere_any_case_and_semicolons() -> None:
    table = parse_pattern_csv("Count;LA;NGO\n5;1;0\n7;0;1\n2;1;1\n")
    assert table.lists == ("LA", "NGO")
    assert table.counts.tolist() == [5, 7, 2]


def test_all_zero_row_with_zero_count_is_accepted() -> None:
    assert parse_pattern_csv("A,B,count\n0,0,0\n1,0,3\n0,1,2\n1,1,1\n").observed == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B,n\n1,0,3\n", "no 'count' column"),
        ("A,B,count\n1,2,3\n", r"line 2, column 'B': '2' is not 0 or 1"),
        ("A,B,count\n1,yes,3\n", "'yes' is not 0 or 1"),
        ("A,B,count\n1,,3\n", "empty cell"),
        ("A,B,count\n1,0,3\n0,1,2\n1,0,4\n", r"line 4: pattern 10 appears more than once"),
        ("A,B,count\n0,0,5\n1,0,3\n", "all-zero pattern .* cannot be observed"),
        ("A,B,count\n1,0,-3\n", "whole number >= 0"),
        ("A,B,count\n1,0,2.5\n", "whole number >= 0"),
        ("A,B,count\n1,0,\n", "missing count"),
        ("A,B,count\n1,0,many\n", "not a number"),
        ("A,count\n1,3\n", "at least 2 lists"),
        ("A,A,count\n1,0,3\n", "repeat"),
        ("A,B,count,count\n1,0,3,3\n", "more than one 'count'"),
        ("A,B,count\n1,0,0\n0,1,0\n", "all counts are zero"),
        ("A,B,count\n", "no pattern rows"),
        ("", "empty file"),
        ("A B,C,count\n1,0,3\n", "may not contain spaces"),
    ],
)
def test_bad_csvs_give_one_clear_error(text: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message) as info:
        parse_pattern_csv(text, source="p.csv")
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("p.csv")


def test_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_pattern_csv(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"A,B,count\n1,0,\xff\xfe\n")
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_pattern_csv(bad)


def test_pattern_table_rejects_wrong_shapes() -> None:
    with pytest.raises(ValidationError, match="need 3 pattern counts"):
        PatternTable(("A", "B"), np.array([1, 2]))
    with pytest.raises(ValidationError, match="whole numbers"):
        PatternTable(("A", "B"), np.array([1, -2, 3]))


def test_patterns_from_links_counts_each_individual_once() -> None:
    links = pd.DataFrame(
        {
            "individual_id": [1, 1, 2, 3, 3, 3, 4, 4, 5],
            "list": ["ngo", "police", "ngo", "ngo", "police", "police", "shelter", "ngo", "shelter"],
        }
    )
    table = patterns_from_links(links)
    assert table.lists == ("ngo", "police", "shelter")
    assert table.observed == 5
    frame = table.to_frame().set_index(["ngo", "police", "shelter"])["count"]
    assert frame[(1, 1, 0)] == 2  # persons 1 and 3 (3's duplicate police row counts once)
    assert frame[(1, 0, 0)] == 1
    assert frame[(1, 0, 1)] == 1
    assert frame[(0, 0, 1)] == 1
    assert frame[(0, 1, 1)] == 0  # zeros are kept


def test_patterns_from_links_with_fixed_lists_and_bad_input() -> None:
    links = pd.DataFrame({"person": ["a", "b"], "agency": ["X", "Y"]})
    table = patterns_from_links(links, individual_col="person", list_col="agency", lists=["Y", "X", "Z"])
    assert table.lists == ("Y", "X", "Z")
    assert table.list_totals() == {"Y": 1, "X": 1, "Z": 0}
    with pytest.raises(ValidationError, match="not asked for"):
        patterns_from_links(links, individual_col="person", list_col="agency", lists=["X"])
    with pytest.raises(ValidationError, match="no 'individual_id' column"):
        patterns_from_links(links)
    with pytest.raises(CtdataError, match="empty"):
        patterns_from_links(pd.DataFrame({"individual_id": [1, None], "list": ["X", "Y"]}))


counts_strategy = st.integers(min_value=2, max_value=5).flatmap(
    lambda t: st.lists(st.integers(0, 500), min_size=2**t - 1, max_size=2**t - 1).map(lambda c: (t, c))
)


@settings(max_examples=60, deadline=None)
@given(counts_strategy)
def test_csv_round_trip(tc: tuple[int, list[int]]) -> None:
    t, counts = tc
    if sum(counts) == 0:
        counts[0] = 1
    table = PatternTable(tuple(f"L{k}" for k in range(t)), np.array(counts))
    again = parse_pattern_csv(table.to_csv())
    assert again.lists == table.lists
    assert again.counts.tolist() == table.counts.tolist()
    # Rows may come in any order and zero rows may be dropped: same table.
    frame = table.to_frame()
    shuffled = frame[frame["count"] > 0].sample(frac=1, random_state=1)
    assert parse_pattern_csv(shuffled.to_csv(index=False)).counts.tolist() == counts


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from(["A", "B", "C", "D"])),
        min_size=1,
        max_size=80,
    )
)
def test_links_to_patterns_agrees_with_sets(rows: list[tuple[int, str]]) -> None:
    assume(len({name for _, name in rows}) >= 2)
    links = pd.DataFrame(rows, columns=["individual_id", "list"])
    table = patterns_from_links(links)
    assert table.observed == links["individual_id"].nunique()
    memberships = links.drop_duplicates().groupby("list")["individual_id"].nunique().to_dict()
    assert table.list_totals() == memberships
