"""Read a table as batches of columns instead of one dict per row.

A million-row import spends most of its time on per-row Python objects, so the
bulk path reads column lists: each template column of a batch is one Python
list, which validation maps through a per-value cache and the loader zips into
the tuples that ``executemany`` wants.

Clean UTF-8 CSV files are parsed by Arrow's C++ reader; anything unusual (a row
with too many or too few fields, another encoding, an XLSX workbook) is read by
the row reader of ``readers.py``, so the answers - which rows are read, their
numbers, their values and the reasons of unreadable rows - are the same either
way. The file is read once: Arrow gives rows block by block until it meets a
block with a row it cannot read, and the row reader goes on from the first
row not given yet (Arrow and the row reader read the rows before it alike), so
the row reader decides everything from there on.
"""

from __future__ import annotations

import gzip
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ctdata.errors import FileFormatError
from ctdata.ingest.readers import RawRow, Table, _csv_rows, _dialect

BATCH_ROWS = 20_000
#: bytes Arrow parses at a time
BLOCK = 8 << 20
_UTF8 = {"utf-8", "utf-8-sig", "utf8", "utf_8", "utf_8_sig", "utf8-sig"}


@dataclass
class ColumnBatch:
    """Rows of one stretch of a file, column by column.

    ``values[j][i]`` is the text of file column ``j`` in readable row ``i``;
    ``""`` means empty (the row reader's None). Unreadable rows (wrong field
    count) are kept whole in ``bad`` with their reason.
    """

    columns: list[str]
    numbers: list[int]
    values: list[list[str]]
    bad: list[RawRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def rows_read(self) -> int:
        return len(self.numbers) + len(self.bad)

    def column(self, name: str) -> list[str] | None:
        try:
            return self.values[self.columns.index(name)]
        except ValueError:
            return None

    def raw(self, i: int) -> RawRow:
        """Readable row i as the row reader would have given it (for quarantine)."""
        return RawRow(
            self.numbers[i],
            {c: (col[i] if col[i] != "" else None) for c, col in zip(self.columns, self.values, strict=True)},
        )

    def raw_fields(self) -> Iterator[tuple[str, ...]]:
        """Each readable row's fields as text, in file order."""
        return zip(*self.values, strict=True) if self.values else iter(())


def batches(table: Table, size: int | None = None) -> Iterator[ColumnBatch]:
    """The table's rows as column batches (Arrow for clean UTF-8 CSV, the row reader otherwise)."""
    size = size or BATCH_ROWS
    if table.kind in ("csv", "csv.gz") and table.encoding.lower() in _UTF8 and _arrow_available():
        before = _stamp(table.path)
        done = yield from _arrow_batches(table, size)
        if done is None:
            return
        # Arrow met a row it cannot read: the row reader takes over after the rows already given,
        # reading the file again, which is only the same file if nobody wrote to it meanwhile.
        if _stamp(table.path) != before:
            raise FileFormatError(f"{table.path.name}: the file changed while it was being imported")
        yield from _row_batches((r for r in _rows_of(table) if r.number > done), table.columns, size)
        return
    yield from _row_batches(_rows_of(table), table.columns, size)


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _arrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
        from pyarrow import csv as _pacsv  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return False
    return True


def _rows_of(table: Table) -> Iterator[RawRow]:
    if table.kind == "xlsx":
        return table.rows
    return _csv_rows(table.path, table.kind, table.encoding, table.columns)


def _row_batches(rows: Iterator[RawRow], columns: list[str], size: int) -> Iterator[ColumnBatch]:
    numbers: list[int] = []
    good: list[list[str]] = []
    bad: list[RawRow] = []
    for r in rows:
        if r.error:
            bad.append(r)
        else:
            numbers.append(r.number)
            good.append(["" if (v := r.values.get(c)) is None else v for c in columns])
        if len(numbers) + len(bad) >= size:
            yield _make(columns, numbers, good, bad)
            numbers, good, bad = [], [], []
    if numbers or bad:
        yield _make(columns, numbers, good, bad)


def _make(columns: list[str], numbers: list[int], good: list[list[str]], bad: list[RawRow]) -> ColumnBatch:
    values = [list(c) for c in zip(*good, strict=True)] if good else [[] for _ in columns]
    return ColumnBatch(columns, numbers, values, bad)


# --- Arrow -------------------------------------------------------------------------------------------


def _open(table: Table) -> IO[bytes]:
    return gzip.open(table.path, "rb") if table.kind == "csv.gz" else table.path.open("rb")


def _options(table: Table, on_invalid: Any, threads: bool) -> dict[str, Any]:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    names = [f"c{j}" for j in range(len(table.columns))]
    delim = _dialect(table.path, table.kind, table.encoding).delimiter
    return {
        "read_options": pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads, block_size=BLOCK),
        "parse_options": pacsv.ParseOptions(
            delimiter=delim, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        ),
    }


def _arrow_can_read(table: Table) -> bool:
    """True when Arrow reads every row of the file with the header's field count."""
    if not _arrow_available():
        return False
    try:
        for _b in _arrow_batches_checked(table):
            pass
    except _Unreadable:
        return False
    return True


def _arrow_batches_checked(table: Table) -> Iterator[ColumnBatch]:
    done = yield from _arrow_batches(table, BATCH_ROWS)
    if done is not None:
        raise _Unreadable


class _Unreadable(Exception):
    pass


def _arrow_batches(table: Table, size: int) -> Generator[ColumnBatch, None, int | None]:
    """Batches read by Arrow, in one pass; returns None when Arrow read the whole file, else the
    number of the last row it gave, at the first block holding a row with the wrong field count (or
    anything else Arrow cannot read). Rows are only given from blocks before that one, which Arrow
    and the row reader read alike, so the row reader can go on from there with the same answers."""
    from pyarrow import csv as pacsv

    invalid = 0

    def on_invalid(_row: Any) -> str:
        nonlocal invalid
        invalid += 1
        return "skip"

    columns = list(table.columns)
    n = len(columns)
    number = 0
    given = 0
    pending: list[list[str]] = [[] for _ in range(n)]
    numbers: list[int] = []
    with _open(table) as fh:
        try:
            reader = pacsv.open_csv(fh, **_options(table, on_invalid, threads=False))
        except Exception:  # noqa: BLE001 - anything Arrow dislikes is left to the row reader
            return 0
        while True:
            try:
                rb = reader.read_next_batch()
            except StopIteration:
                break
            except Exception:  # noqa: BLE001 - as above, from the first row not given yet
                return given
            if invalid:
                return given
            cols = [rb.column(j).to_pylist() for j in range(n)]
            m = rb.num_rows
            nums = list(range(number + 1, number + m + 1))
            number += m
            blank = _blank_rows(cols, m)
            if blank:
                keep = [i for i in range(m) if i not in blank]
                cols = [[c[i] for i in keep] for c in cols]
                nums = [nums[i] for i in keep]
            for j in range(n):
                pending[j].extend(cols[j])
            numbers.extend(nums)
            while len(numbers) >= size:
                given = numbers[size - 1]
                yield ColumnBatch(columns, numbers[:size], [c[:size] for c in pending])
                numbers = numbers[size:]
                pending = [c[size:] for c in pending]
    if invalid:
        return given
    if numbers:
        yield ColumnBatch(columns, numbers, pending)
    return None


def _blank_rows(cols: list[list[str]], m: int) -> set[int]:
    """Rows whose every field is blank: the row reader skips them (their number is still used up)."""
    if not cols:
        return set()
    first = cols[0]
    if "" not in first and not any(map(str.isspace, first)):  # the common case, at C speed
        return set()
    candidates = [i for i in range(m) if not first[i].strip()]
    return {i for i in candidates if all(not c[i].strip() for c in cols)}
