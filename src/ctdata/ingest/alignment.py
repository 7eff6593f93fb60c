"""Which row of a corrected file is which row imported before: alignment by content, as ``diff`` aligns lines.

A source without record ids (a public CTDC release) knows a row only by its place in the file. Matching
rows by their number is fragile: a corrected file that inserts or deletes one row near the top shifts
every later row, and each would be "corrected" with its neighbour's content. Rows are aligned instead
by a digest of their content, old sequence against new, with `difflib.SequenceMatcher` (``autojunk``
off: CTDC files repeat rows thousands of times, and a repeated row is no junk):

- ``equal`` blocks: the same rows, in the same order: each new row is its old row (already present);
- ``insert``: rows only in the new file (new records);
- ``delete``: rows only in the old one (the file no longer has them: kept, and said);
- ``replace`` of as many new rows as old ones: the old rows corrected in place, paired in order (each
  new row with exactly one old row: an update). A replaced block of unequal sizes is not guessed:
  which of two new rows is the old row corrected cannot be told, so its new rows are new and its old
  rows kept.

Identical rows are interchangeable (either copy is the same content), so any copy may keep any
record of that content. Inside a ``replace`` or ``insert``/``delete`` block no new row equals an old
one (`SequenceMatcher` would have matched it). A digest of None (unknown: a row stored before
digests were kept, an unreadable row) matches nothing.

For speed on 100,000-row files the common head and tail are matched first, and the middle is cut at
rows that occur exactly once in both files (patience diff's anchors, kept in order by a longest
increasing subsequence); `SequenceMatcher` then aligns the short stretches between anchors. Its cost
grows with the repeats of a row in the stretch it looks at, which the anchors keep short.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["Alignment", "align"]

Opcode = tuple[str, int, int, int, int]


@dataclass(frozen=True)
class Alignment:
    """Each new row's old row, and the old rows the new file no longer has."""

    #: for each new row (by index): the index of the old row it is, or None (a new row)
    old_of: list[int | None]
    #: for each new row paired with an old one: whether its content changed (an update)
    changed: list[bool]
    #: old rows no new row is (by index, in order)
    kept: list[int]
    #: the opcodes (tag, i1, i2, j1, j2) the alignment was read from, in order
    opcodes: list[Opcode]


def _tokens(seq: Sequence[Hashable | None], tag: str) -> list[Hashable]:
    """None as a token that equals nothing else."""
    return [(tag, i) if d is None else d for i, d in enumerate(seq)]


def _anchors(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Pairs (i, j) of rows occurring once in ``a`` and once in ``b`` with a[i] == b[j], the longest
    chain of them increasing in both i and j."""
    count_a: dict[Hashable, int] = {}
    for x in a:
        count_a[x] = count_a.get(x, 0) + 1
    pos_b: dict[Hashable, int] = {}
    count_b: dict[Hashable, int] = {}
    for j, x in enumerate(b):
        count_b[x] = count_b.get(x, 0) + 1
        pos_b[x] = j
    pairs = [(i, pos_b[x]) for i, x in enumerate(a) if count_a[x] == 1 and count_b.get(x) == 1]
    # longest increasing subsequence of the j's (the i's increase already)
    tails: list[int] = []  # j of the last pair of the best chain of each length
    tail_at: list[int] = []  # index in pairs of that pair
    back: list[int] = []
    for k, (_, j) in enumerate(pairs):
        n = bisect.bisect_left(tails, j)
        if n == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[n] = j
            tail_at[n] = k
        back.append(tail_at[n - 1] if n else -1)
    out: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    return out[::-1]


def _stretch(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, i1: int, j0: int, j1: int) -> list[Opcode]:
    """Opcodes of a[i0:i1] against b[j0:j1], in the whole sequences' indices."""
    if i0 == i1 and j0 == j1:
        return []
    if i0 == i1:
        return [("insert", i0, i1, j0, j1)]
    if j0 == j1:
        return [("delete", i0, i1, j0, j1)]
    sm = SequenceMatcher(None, a[i0:i1], b[j0:j1], autojunk=False)
    return [(t, p + i0, q + i0, r + j0, s + j0) for t, p, q, r, s in sm.get_opcodes()]


def _opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    ops: list[Opcode] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    i, j = head, head
    for ai, bj in _anchors(a[head : n - tail], b[head : m - tail]):
        ai, bj = ai + head, bj + head
        ops += _stretch(a, b, i, ai, j, bj)
        ops.append(("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    ops += _stretch(a, b, i, n - tail, j, m - tail)
    if tail:
        ops.append(("equal", n - tail, n, m - tail, m))
    return ops


def align(old: Sequence[Hashable | None], new: Sequence[Hashable | None]) -> Alignment:
    """Align the digests of a source's stored rows (in their order) with those of its new file (see the module)."""
    a, b = _tokens(old, "old"), _tokens(new, "new")
    ops = _opcodes(a, b)
    old_of: list[int | None] = [None] * len(b)
    changed = [False] * len(b)
    kept: list[int] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            old_of[j1:j2] = range(i1, i2)
        elif tag == "replace" and i2 - i1 == j2 - j1:
            old_of[j1:j2] = range(i1, i2)
            changed[j1:j2] = [True] * (j2 - j1)
        elif tag in ("delete", "replace"):
            kept.extend(range(i1, i2))
    return Alignment(old_of, changed, kept, ops)
