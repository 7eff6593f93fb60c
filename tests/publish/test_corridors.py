"""The corridor table released beside k-anonymised records (what the portal's map draws)."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.errors import CtdataError
from ctdata.publish.api import release_kanon
from ctdata.publish.corridors import COLUMNS, FILE, corridor_table
from ctdata.publish.guard import consented
from ctdata.publish.kanon import KAnonSettings
from ctdata.publish.package import verify_release, write_release
from ctdata.publish.releases import ReleaseRegistry

from .conftest import CANARIES


def _expected(df: pd.DataFrame, k: int) -> dict[tuple[str, str], int]:
    """The pairs a naive count publishes: consented, two alpha-2 codes, cross-border, at least k."""
    out: dict[tuple[str, str], int] = {}
    ok = consented(df)
    for c, d, keep in zip(df["citizenship"], df["country_of_exploitation"], ok, strict=True):
        c = None if c is None or pd.isna(c) else str(c).split(";")[0].strip()
        d = None if d is None or pd.isna(d) else str(d).strip()
        if keep and c and d and len(c) == 2 and len(d) == 2 and c.isupper() and d.isupper() and c != d:
            out[(c, d)] = out.get((c, d), 0) + 1
    return {p: n for p, n in out.items() if n >= k}


def _frame(pairs: list[tuple[str | None, str | None, bool | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "citizenship": [p[0] for p in pairs],
            "country_of_exploitation": [p[1] for p in pairs],
            "consent_research": pd.array([p[2] for p in pairs], dtype="boolean"),
            "source_kind": "case",
        }
    )


def test_only_consented_cross_border_country_pairs_of_at_least_k():
    rows = (
        [("NG", "IT", True)] * 15
        + [("NG", "IT", False)] * 9  # refused: never counted
        + [("PH", "MY", True)] * 8  # 8 < k: withheld
        + [("PH", "MY", None)] * 6  # unknown consent: not counted by default
        + [("TH", "TH", True)] * 40  # internal: not a corridor
        + [("Western Africa", "IT", True)] * 30  # generalised: not a country
        + [(None, "IT", True)] * 30
        + [("NA", "ZA", True)] * 12  # Namibia, not a missing value
    )
    t = corridor_table(_frame(rows), k=11)
    assert list(t.columns) == list(COLUMNS)
    assert {(c, d): n for c, d, n in t.itertuples(index=False)} == {("NG", "IT"): 15, ("NA", "ZA"): 12}
    assert list(t["records"]) == sorted(t["records"], reverse=True)
    with_unknown = corridor_table(_frame(rows), k=11, include_unknown_consent=True)
    assert ("PH", "MY", 14) in set(with_unknown.itertuples(index=False, name=None))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["NG", "IT", "PH", "MY", "NA", "ng", "Africa", "", None]),
            st.sampled_from(["NG", "IT", "MY", "NA", "*", None]),
            st.sampled_from([True, False, None]),
        ),
        max_size=120,
    ),
    st.integers(1, 12),
)
def test_table_is_exactly_the_pairs_of_at_least_k(rows, k):
    t = corridor_table(_frame(rows), k=k)
    got = {(c, d): n for c, d, n in t.itertuples(index=False)}
    assert got == _expected(_frame(rows), k)
    assert all(n >= k for n in got.values())


def test_release_carries_the_table_with_checksum_and_docs(rows, tmp_path):
    reg = ReleaseRegistry(tmp_path)
    entry, _ = release_kanon(rows, KAnonSettings(k=11), reg, created_by="maker")
    out = tmp_path / entry.release_id
    manifest = json.loads((out / "manifest.json").read_text())
    assert FILE in manifest["files"] and verify_release(out) == []
    table = pd.read_csv(out / FILE, dtype=str, keep_default_na=False)
    assert list(table.columns) == list(COLUMNS)
    assert {(c, d): int(n) for c, d, n in table.itertuples(index=False)} == _expected(rows, 11)
    dp = json.loads((out / "datapackage.json").read_text())
    res = next(r for r in dp["resources"] if r["path"] == FILE)
    assert res["hash"] == "sha256:" + manifest["files"][FILE]["sha256"]
    readme = (out / "README.md").read_text()
    assert "## Aggregate tables" in readme and FILE in readme and "withheld" in readme


def test_no_identifier_in_the_table(rows, tmp_path):
    df = rows.copy()
    for col, value in CANARIES.items():
        df[col] = value
    entry, _ = release_kanon(df, KAnonSettings(k=5), ReleaseRegistry(tmp_path), created_by="maker")
    text = (tmp_path / entry.release_id / FILE).read_text()
    assert not any(v in text for v in CANARIES.values())


def test_table_names_are_checked(rows, tmp_path):
    bad = pd.DataFrame({"citizenship": ["NG"], "country_of_exploitation": ["IT"], "records": [20]})
    for name, table in (
        ("../x.csv", bad),
        ("records.csv", bad),
        ("corridors.csv", bad.assign(record_id=1)),
    ):
        with pytest.raises(CtdataError):
            write_release(
                rows.head(50)[["sex"]],
                tmp_path / f"r{abs(hash(name)) % 1000}{len(table.columns)}",
                release_id="kanon-x-v1",
                kind="kanon",
                title="t",
                settings={},
                report={},
                method_summary="m",
                tables={name: (table, "what")},
            )
    assert np.all(corridor_table(rows.iloc[:0], k=5).columns == list(COLUMNS))
