"""Row alignment of a corrected file with the rows stored before (``ingest.alignment``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.ingest import alignment
from ctdata.ingest.alignment import align

#: a small alphabet, so that rows repeat as CTDC's do
ROWS = st.lists(st.sampled_from("abcde"), max_size=30)
EDITS = st.lists(st.tuples(st.sampled_from("idc"), st.integers(0, 40), st.sampled_from("abcdeXYZ")), max_size=6)


def _edit(old: list[str], edits: list[tuple[str, int, str]]) -> list[str]:
    new = list(old)
    for op, at, row in edits:
        at = at % (len(new) + 1)
        if op == "i":
            new.insert(at, row)
        elif new and at < len(new):
            if op == "d":
                del new[at]
            else:
                new[at] = row
    return new


def test_a_row_inserted_at_the_top_shifts_nothing() -> None:
    al = align(["a", "b", "c"], ["x", "a", "b", "c"])
    assert al.old_of == [None, 0, 1, 2] and not any(al.changed) and al.kept == []


def test_a_row_deleted_is_kept() -> None:
    al = align(["a", "b", "c"], ["a", "c"])
    assert al.old_of == [0, 2] and al.kept == [1]


def test_a_row_changed_in_place_is_paired_with_its_old_row() -> None:
    al = align(["a", "b", "c", "d"], ["x", "a", "B", "c"])  # inserted at the top, changed, deleted at the end
    assert al.old_of == [None, 0, 1, 2] and al.changed == [False, False, True, False] and al.kept == [3]


def test_a_replaced_block_of_another_size_is_not_guessed() -> None:
    al = align(["a", "b", "c"], ["a", "x", "B", "c"])
    assert al.old_of == [0, None, None, 2] and al.kept == [1] and not any(al.changed)


def test_unknown_digests_match_nothing() -> None:
    al = align([None, "a", None], [None, "a", None])
    assert al.old_of == [0, 1, 2] and al.changed == [True, False, True]


def test_identical_rows_are_interchangeable() -> None:
    old = ["a"] * 50 + ["b"] + ["a"] * 50
    al = align(old, ["a"] + old)
    assert al.old_of.count(None) == 1 and not any(al.changed) and al.kept == []


@settings(max_examples=300, deadline=None)
@given(ROWS, EDITS)
def test_any_edit_aligns_one_to_one_and_in_order(old: list[str], edits: list[tuple[str, int, str]]) -> None:
    new = _edit(old, edits)
    al = align(old, new)
    paired = [o for o in al.old_of if o is not None]
    assert paired == sorted(set(paired))  # each old row at most once, order kept
    assert sorted(paired + al.kept) == list(range(len(old)))  # every old row is paired or kept
    for j, o in enumerate(al.old_of):
        if o is not None:
            assert (old[o] != new[j]) == al.changed[j]  # present rows are equal, updated ones differ


@settings(max_examples=300, deadline=None)
@given(ROWS, st.lists(st.tuples(st.integers(0, 40), st.sampled_from("abcdeXYZ")), max_size=6))
def test_inserting_rows_updates_none(old: list[str], inserts: list[tuple[int, str]]) -> None:
    new = _edit(old, [("i", at, row) for at, row in inserts])
    al = align(old, new)
    assert not any(al.changed) and al.kept == [] and al.old_of.count(None) == len(inserts)


@settings(max_examples=300, deadline=None)
@given(ROWS, st.lists(st.integers(0, 40), max_size=6))
def test_deleting_rows_updates_none(old: list[str], deletes: list[int]) -> None:
    new = _edit(old, [("d", at, "a") for at in deletes])
    al = align(old, new)
    assert not any(al.changed) and None not in al.old_of and len(al.kept) == len(old) - len(new)


def test_long_files_with_repeated_rows_align_quickly() -> None:
    """100,000 rows, a fifth of them one repeated row, 20 scattered edits: the anchors keep it short."""
    import random
    import time

    rng = random.Random(4)
    old = [f"r{rng.randrange(20_000)}" if rng.random() > 0.2 else "same" for _ in range(100_000)]
    new = _edit(old, [(rng.choice("idc"), rng.randrange(100_000), f"new{k}") for k in range(20)])
    t = time.perf_counter()
    al = align(old, new)
    took = time.perf_counter() - t
    assert sum(o is not None and not c for o, c in zip(al.old_of, al.changed, strict=True)) >= 100_000 - 40
    assert took < 10, took


def _lcs_length(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev_diag = 0
        for j, y in enumerate(b):
            prev_diag, row[j + 1] = row[j + 1], prev_diag + 1 if x == y else max(row[j + 1], row[j])
    return row[-1]


@settings(max_examples=300, deadline=None)
@given(ROWS, ROWS)
def test_the_stretches_are_aligned_by_a_shortest_edit_script(a: list[str], b: list[str]) -> None:
    matches = alignment._myers(a, b, 1000)
    assert matches is not None and len(matches) == _lcs_length(a, b)
    assert all(a[i] == b[j] for i, j in matches)
    assert [i for i, _ in matches] == sorted({i for i, _ in matches}) and [j for _, j in matches] == sorted(
        {j for _, j in matches}
    )


@settings(max_examples=100, deadline=None)
@given(ROWS, EDITS)
def test_a_stretch_beyond_the_edit_limit_still_aligns_one_to_one(old: list[str], edits) -> None:
    new = _edit(old, edits)
    limit, alignment.MYERS_LIMIT = alignment.MYERS_LIMIT, 0  # SequenceMatcher for every stretch
    try:
        al = align(old, new)
    finally:
        alignment.MYERS_LIMIT = limit
    paired = [o for o in al.old_of if o is not None]
    assert paired == sorted(set(paired)) and sorted(paired + al.kept) == list(range(len(old)))


def test_rows_changed_among_copies_of_themselves_are_updates() -> None:
    """A shortest edit script may delete one copy and insert the corrected row a copy away: slid together,
    the row is corrected in place (an update), not a new record beside a kept one."""
    old = ["a"] * 5 + ["u1"] + ["b"] * 5 + ["u2"] + ["a"] * 5 + ["b"] * 3
    new = list(old)
    for at, row in ((2, "x"), (8, "y"), (14, "z"), (18, "w")):
        new[at] = row
    al = align(old, new)
    assert [j for j, c in enumerate(al.changed) if c] == [2, 8, 14, 18] and al.kept == []
    assert all(o == j for j, o in enumerate(al.old_of))
