"""Write the generated tables as CSV (UTF-8, header row, empty cell for unknown).

Values are quoted (pyarrow quotes every string), unknowns are empty cells; text a spreadsheet
would run as a formula gets a leading apostrophe (ctdata.standard.cells).

pyarrow's CSV writer is several times faster than pandas for a million rows of
strings; columns are written in the template's order, so the files are exactly
what `ctdata import standard` reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ctdata.errors import CtdataError
from ctdata.standard import cells
from ctdata.standard.template import column_names


def write_table(path: Path, columns: dict[str, np.ndarray], order: list[str]) -> int:
    """Write `columns` (all object/str arrays of equal length) in `order`; returns the row count."""
    missing = [c for c in order if c not in columns]
    if missing:
        raise ValueError(f"{path.name}: missing columns {missing}")
    arrays = []
    for c in order:
        # Plain conversion then empty -> null in C: far faster than pa.array(..., mask=...).
        values = pa.array(np.asarray(columns[c], dtype=object), type=pa.string())
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        arrays.append(_safe(values))
    table = pa.Table.from_arrays(arrays, names=order)
    try:
        pacsv.write_csv(table, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))
    except OSError as exc:
        raise CtdataError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return table.num_rows


def _safe(values: pa.Array) -> pa.Array:
    """ctdata.standard.cells.safe_cell over a column, in C: text a spreadsheet would run gets an apostrophe."""
    unsafe = pc.and_(
        pc.match_substring_regex(values, cells.UNSAFE_PATTERN),
        pc.invert(pc.match_substring_regex(values, cells.NUMBER_PATTERN)),
    )
    if not pc.any(unsafe).as_py():
        return values
    quoted = pc.binary_join_element_wise(pa.scalar(cells.PREFIX), values, pa.scalar(""))
    return pc.if_else(unsafe, quoted, values)


def template_order(table: str) -> list[str]:
    return column_names(table)
