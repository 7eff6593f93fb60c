"""Capture-pattern tables: the input of multiple systems estimation.

A table over t lists holds one count for each of the 2^t - 1 observable
capture patterns (which lists a person is on). Patterns nobody has are kept
as explicit zeros, because a zero is information to the log-linear model;
the all-zero pattern (on no list) is the unknown the model estimates, so a
table may never carry a count for it.

Rows are kept in binary order: row r (r = 1 .. 2^t - 1) is the pattern whose
bit i is list i, which is the order the R package MultipleSystemsEstimation
prints its fitted cells in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ctdata.errors import FileFormatError, NotFound, ValidationError
from ctdata.standard.cells import safe_frame

COUNT_COLUMN = "count"
MAX_LISTS = 12
_RESERVED = re.compile(r"[*+:,\s\[\]]")


def all_patterns(t: int) -> np.ndarray:
    """The 2^t - 1 observable patterns as a (2^t - 1) x t 0/1 matrix, in binary order."""
    codes = np.arange(1, 2**t)
    return ((codes[:, None] >> np.arange(t)[None, :]) & 1).astype(np.int8)


def _check_list_names(lists: Sequence[str]) -> tuple[str, ...]:
    names = tuple(str(x).strip() for x in lists)
    if len(names) < 2:
        raise ValidationError(f"need at least 2 lists for estimation, got {len(names)}")
    if len(names) > MAX_LISTS:
        raise ValidationError(f"at most {MAX_LISTS} lists are supported, got {len(names)}")
    for name in names:
        if not name:
            raise ValidationError("a list has an empty name")
        if _RESERVED.search(name):
            raise ValidationError(f"list name {name!r} may not contain spaces or any of * + : , [ ]")
        if name.lower() == COUNT_COLUMN:
            raise ValidationError(f"{COUNT_COLUMN!r} cannot be a list name")
    if len(set(names)) != len(names):
        raise ValidationError(f"list names repeat: {', '.join(names)}")
    return names


@dataclass(frozen=True)
class PatternTable:
    """Counts for every observable capture pattern over named lists (zeros included)."""

    lists: tuple[str, ...]
    counts: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        lists = _check_list_names(self.lists)
        counts = np.asarray(self.counts)
        expected = 2 ** len(lists) - 1
        if counts.shape != (expected,):
            raise ValidationError(f"{len(lists)} lists need {expected} pattern counts, got {counts.shape}")
        if counts.size and (np.any(counts < 0) or np.any(counts != np.round(counts))):
            raise ValidationError("pattern counts must be whole numbers >= 0")
        object.__setattr__(self, "lists", lists)
        counts = counts.astype(np.int64)
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    @property
    def t(self) -> int:
        return len(self.lists)

    @property
    def patterns(self) -> np.ndarray:
        return all_patterns(self.t)

    @property
    def observed(self) -> int:
        return int(self.counts.sum())

    def list_totals(self) -> dict[str, int]:
        """How many observed persons are on each list (whatever other lists they are on)."""
        totals = self.patterns.T.astype(np.int64) @ self.counts
        return dict(zip(self.lists, (int(x) for x in totals), strict=True))

    def overlaps(self) -> dict[tuple[str, str], int]:
        """For each pair of lists, how many persons are on both."""
        pat = self.patterns.astype(np.int64)
        out = {}
        for i in range(self.t):
            for j in range(i + 1, self.t):
                out[(self.lists[i], self.lists[j])] = int((pat[:, i] * pat[:, j]) @ self.counts)
        return out

    def with_counts(self, counts: np.ndarray) -> PatternTable:
        return PatternTable(self.lists, np.asarray(counts))

    def to_frame(self) -> pd.DataFrame:
        """One 0/1 column per list and a count column; every observable pattern, zeros included."""
        frame = pd.DataFrame(self.patterns.astype(int), columns=list(self.lists))
        frame[COUNT_COLUMN] = self.counts
        return frame

    def to_csv(self, path: Path | None = None) -> str:
        text = safe_frame(self.to_frame()).to_csv(index=False, lineterminator="\n")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_rows(
        cls, lists: Sequence[str], rows: Iterable[Sequence[object]], label: str = "row", first: int = 1
    ) -> PatternTable:
        """Build from rows of (0/1 per list..., count); omitted patterns count zero.

        Errors name the row as ``f"{label} {n}"`` with n counted from ``first``.
        """
        lists = _check_list_names(lists)
        t = len(lists)
        counts = np.zeros(2**t - 1, dtype=np.int64)
        seen: set[int] = set()
        for n, row in enumerate(rows, start=first):
            row = list(row)
            where = f"{label} {n}"
            if len(row) != t + 1:
                raise ValidationError(f"{where}: expected {t} list cells and a count, got {len(row)} values")
            code = _pattern_code(row[:t], lists, where)
            count = _count_value(row[t], where)
            if code in seen:
                raise ValidationError(f"{where}: pattern {_pattern_text(row[:t])} appears more than once")
            seen.add(code)
            if code == 0:
                if count:
                    raise ValidationError(
                        f"{where}: the all-zero pattern (on no list) cannot be observed but has count {count}"
                    )
                continue
            counts[code - 1] = count
        return cls(lists, counts)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, source: str = "table", columns: Sequence[str] | None = None
    ) -> PatternTable:
        """From a data frame with one 0/1 column per list and a ``count`` column."""
        columns = [str(c).strip() for c in (frame.columns if columns is None else columns)]
        lower = [c.lower() for c in columns]
        if COUNT_COLUMN not in lower:
            raise FileFormatError(f"{source}: no {COUNT_COLUMN!r} column (found: {', '.join(columns)})")
        if lower.count(COUNT_COLUMN) > 1:
            raise FileFormatError(f"{source}: more than one {COUNT_COLUMN!r} column")
        count_at = lower.index(COUNT_COLUMN)
        lists = [c for k, c in enumerate(columns) if k != count_at]
        if any(not c or c.startswith("Unnamed:") for c in lists):
            raise FileFormatError(f"{source}: a list column has no name")
        try:
            lists = list(_check_list_names(lists))
        except ValidationError as exc:
            raise FileFormatError(f"{source}: {exc}") from exc
        rows = []
        values = frame.to_numpy(dtype=object)
        for k, raw in enumerate(values):
            line = k + 2  # the header is line 1
            cells = [v for j, v in enumerate(raw) if j != count_at]
            rows.append([*_cells_01(cells, lists, f"{source} line {line}"), raw[count_at]])
        if not rows:
            raise FileFormatError(f"{source}: no pattern rows")
        try:
            table = cls.from_rows(lists, rows, label=f"{source} line", first=2)
        except ValidationError as exc:
            raise FileFormatError(str(exc)) from exc
        if table.observed == 0:
            raise FileFormatError(f"{source}: all counts are zero; nothing to estimate from")
        return table


def _pattern_text(cells: Sequence[object]) -> str:
    return "".join(str(int(c)) for c in cells)


def _cells_01(cells: Sequence[object], lists: Sequence[str], where: str) -> list[int]:
    out = []
    for name, value in zip(lists, cells, strict=True):
        out.append(_cell01(value, f"{where}, column {name!r}"))
    return out


def _cell01(value: object, where: str) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise FileFormatError(f"{where}: empty cell; list cells must be 0 or 1")
    text = str(value).strip()
    if text in ("0", "1", "0.0", "1.0"):
        return int(float(text))
    raise FileFormatError(f"{where}: {text!r} is not 0 or 1")


def _pattern_code(cells: Sequence[object], lists: Sequence[str], where: str) -> int:
    code = 0
    for i, (name, value) in enumerate(zip(lists, cells, strict=True)):
        try:
            bit = _cell01(value, f"{where}, column {name!r}")
        except FileFormatError as exc:
            raise ValidationError(str(exc)) from exc
        code |= bit << i
    return code


def _count_value(value: object, where: str) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise ValidationError(f"{where}: missing count")
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise ValidationError(f"{where}: count {text!r} is not a number") from None
    if not np.isfinite(number) or number < 0 or number != int(number):
        raise ValidationError(f"{where}: count {text!r} must be a whole number >= 0")
    return int(number)


def read_pattern_csv(path: Path | str) -> PatternTable:
    """Read a capture-pattern CSV: one 0/1 column per list and a ``count`` column.

    Patterns left out count zero. Raises FileFormatError with the offending
    line for non-0/1 cells, a missing count column or value, duplicate
    patterns, or a count on the all-zero pattern.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    return parse_pattern_csv(text, source=str(path))


def parse_pattern_csv(text: str, source: str = "csv") -> PatternTable:
    if not text.strip():
        raise FileFormatError(f"{source}: empty file")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        # header=None: pandas would silently rename a repeated column ("A.1"), hiding the mistake.
        raw = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, header=None, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileFormatError(f"{source}: not a readable CSV ({exc})") from exc
    header = ["" if pd.isna(v) else str(v) for v in raw.iloc[0]]
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = range(len(header))
    return PatternTable.from_frame(frame, source=source, columns=header)


def patterns_from_links(
    df: pd.DataFrame,
    individual_col: str = "individual_id",
    list_col: str = "list",
    lists: Sequence[str] | None = None,
) -> PatternTable:
    """Turn linked data (one row per individual x list membership) into a pattern table.

    Each individual (a linked person cluster) counts once, in the pattern of
    all the lists it appears on; repeated rows for the same individual and
    list count once. ``lists`` fixes the lists and their order (a list with
    no members is then kept, so the estimator can refuse it with a reason);
    by default the lists are those present, sorted by name.
    """
    for col in (individual_col, list_col):
        if col not in df.columns:
            found = ", ".join(map(str, df.columns))
            raise ValidationError(f"linked data has no {col!r} column (found: {found})")
    data = df[[individual_col, list_col]]
    if data.isna().any().any():
        raise ValidationError(f"linked data has empty {individual_col!r} or {list_col!r} values")
    data = data.astype({list_col: str}).drop_duplicates()
    present = sorted(data[list_col].unique())
    if lists is None:
        names = _check_list_names(present)
    else:
        unknown = sorted(set(present) - {str(x).strip() for x in lists})
        if unknown:
            raise ValidationError(f"linked data has lists not asked for: {', '.join(unknown)}")
        names = _check_list_names(lists)
    bit = {name: 1 << i for i, name in enumerate(names)}
    codes = data[list_col].map(bit).groupby(data[individual_col]).sum()
    counts = np.bincount(codes.to_numpy(dtype=np.int64), minlength=2 ** len(names))[1:]
    return PatternTable(names, counts)
