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
one. A digest of None (unknown: a row stored before digests were kept, an unreadable row) matches
nothing.

How: the common head and tail are matched first; the middle is cut at rows that occur exactly once
in both files (patience diff's anchors, kept in order by a longest increasing subsequence); the
stretches between anchors are aligned by Myers' shortest edit script, so a file that only gains
rows keeps every old row (and one that only loses rows pairs every new one): `SequenceMatcher`'s
greedy longest blocks can pair an old row with an inserted one where rows repeat, which would be an
update of the wrong record. A stretch needing more than ``MYERS_LIMIT`` edits (a file reordered or
rewritten) falls back to `SequenceMatcher`, whose cost grows with the repeats of a row in the
stretch; the anchors keep stretches short (the 97,750-row CTDC file: under 0.1 s for one edit, about
3 s for 1,000 scattered edits).
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

__all__ = ["Alignment", "align"]

Opcode = tuple[str, int, int, int, int]
#: edits beyond which a stretch is aligned by `SequenceMatcher` (Myers' cost grows with their square)
MYERS_LIMIT = 1000


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
    matches = _myers(a[i0:i1], b[j0:j1], MYERS_LIMIT)
    if matches is None:
        sm = SequenceMatcher(None, a[i0:i1], b[j0:j1], autojunk=False)
        return [(t, p + i0, q + i0, r + j0, s + j0) for t, p, q, r, s in sm.get_opcodes()]
    ops: list[Opcode] = []
    i, j = 0, 0
    for x, y in [*matches, (i1 - i0, j1 - j0)]:
        if x > i or y > j:
            tag = "replace" if x > i and y > j else ("delete" if x > i else "insert")
            ops.append((tag, i + i0, x + i0, j + j0, y + j0))
        if x < i1 - i0:  # a match (not the end): one row of an equal run
            if ops and ops[-1][0] == "equal" and ops[-1][2] == x + i0 and ops[-1][4] == y + j0:
                ops[-1] = ("equal", ops[-1][1], x + i0 + 1, ops[-1][3], y + j0 + 1)
            else:
                ops.append(("equal", x + i0, x + i0 + 1, y + j0, y + j0 + 1))
        i, j = x + 1, y + 1
    return ops


def _myers(a: Sequence[Hashable], b: Sequence[Hashable], limit: int) -> list[tuple[int, int]] | None:
    """The matched pairs (i, j) of a shortest edit script from ``a`` to ``b`` (Myers 1986, greedy
    forward search), in order; None when it needs more than ``limit`` edits."""
    n, m = len(a), len(b)
    v = {1: 0}
    trace: list[tuple[int, ...]] = []  # trace[d]: the furthest x on diagonals -d, -d+2, ..., d with d edits
    for d in range(min(n + m, limit) + 1):
        for k in range(-d, d + 1, 2):
            x = v[k + 1] if k == -d or (k != d and v[k - 1] < v[k + 1]) else v[k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            v[k] = x
            if x >= n and y >= m:
                return _backtrack(trace, n, m)
        trace.append(tuple(v[j] for j in range(-d, d + 1, 2)))
    return None


def _backtrack(trace: list[tuple[int, ...]], n: int, m: int) -> list[tuple[int, int]]:
    """The matches on the path that reached (n, m) with ``len(trace)`` edits, walked back."""
    matches: list[tuple[int, int]] = []
    x, y = n, m
    for d in range(len(trace), 0, -1):
        prev = trace[d - 1]
        k = x - y

        def at(kk: int, prev: tuple[int, ...] = prev, d: int = d) -> int:
            return prev[(kk + d - 1) // 2]

        down = k == -d or (k != d and at(k - 1) < at(k + 1))
        pk = k + 1 if down else k - 1
        px = at(pk)
        sx = px if down else px + 1  # where this step's snake began
        while x > sx:
            x -= 1
            y -= 1
            matches.append((x, y))
        x, y = px, px - pk
    while x > 0 and y > 0:
        x -= 1
        y -= 1
        matches.append((x, y))
    return matches[::-1]


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
    return _compact(ops, a, b)


def _coalesce(ops: list[Opcode]) -> list[Opcode]:
    """Adjacent equal blocks as one."""
    out: list[Opcode] = []
    for op in ops:
        if out and op[0] == "equal" and out[-1][0] == "equal":
            out[-1] = ("equal", out[-1][1], op[2], out[-1][3], op[4])
        else:
            out.append(op)
    return out


def _compact(ops: list[Opcode], a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """A deletion and an insertion with a run of equal rows between them, where the run repeats the
    deleted (or inserted) rows, brought together into one replaced block (as diff's compaction slides
    a change along repeated lines). A shortest edit script may delete one copy of a repeated row and
    insert the corrected row a few copies away; slid together they are the row corrected in place."""
    ops = _coalesce(ops)
    out: list[Opcode] = []
    k = 0
    while k < len(ops):
        if k + 2 < len(ops) and ops[k + 1][0] == "equal" and {ops[k][0], ops[k + 2][0]} == {"insert", "delete"}:
            slid = _slide(ops[k], ops[k + 1], ops[k + 2], a, b)
            if slid is not None:
                out += slid
                k += 3
                continue
        out.append(ops[k])
        k += 1
    return _coalesce(out)


def _slide(x: Opcode, e: Opcode, y: Opcode, a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode] | None:
    """``x``, the equal block ``e`` and ``y`` (a deletion and an insertion) as an equal block and one
    replaced block, when ``x`` slides right over ``e`` or ``y`` slides left over it; else None."""
    _, e1, e2, f1, f2 = e
    n = e2 - e1
    if x[0] == "delete":
        _, i1, i2, _, _ = x
        if all(a[i1 + t] == a[i2 + t] for t in range(n)):
            return [("equal", i1, i1 + n, f1, f2), ("replace", i1 + n, i2 + n, y[3], y[4])]
        _, _, _, j1, j2 = y
        if all(b[j2 - 1 - t] == b[f2 - 1 - t] for t in range(n)):
            return [("replace", x[1], x[2], f1, f1 + j2 - j1), ("equal", e1, e2, f1 + j2 - j1, f2 + j2 - j1)]
        return None
    _, _, _, j1, j2 = x
    if all(b[j1 + t] == b[j2 + t] for t in range(n)):
        return [("equal", e1, e2, j1, j1 + n), ("replace", y[1], y[2], j1 + n, j2 + n)]
    _, i1, i2, _, _ = y
    if all(a[i2 - 1 - t] == a[e2 - 1 - t] for t in range(n)):
        return [("replace", e1, e1 + i2 - i1, x[3], x[4]), ("equal", e1 + i2 - i1, e2 + i2 - i1, f1, f2)]
    return None


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
