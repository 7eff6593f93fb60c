"""The row count behind the progress bar and the two-process threshold equals a line-by-line count."""

from __future__ import annotations

import gzip
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.ingest.standard_import import _count_rows


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"")), st.booleans(), st.booleans())
def test_block_count_equals_line_iteration(tmp_path_factory, body: bytes, gz: bool, trailing: bool) -> None:
    data = body + (b"\n" if trailing else b"")
    path = tmp_path_factory.mktemp("count") / ("t.csv.gz" if gz else "t.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    opener = gzip.open if gz else open
    with opener(path, "rb") as fh:
        expected = max(sum(1 for _ in fh) - 1, 0)
    assert _count_rows(SimpleNamespace(kind="csv.gz" if gz else "csv", path=path)) == expected
