"""Independent check that a k-anonymised release is k-anonymous: pandas only, no ctdata code.

Usage: python scripts/check_kanon.py RELEASE_DIR K [QI ...]

Reads RELEASE_DIR/records.csv (skipping the HXL hashtag row), groups the rows by the
quasi-identifiers as written (a blank or a suppressed value is a value of its own, the strict
reading) and fails when any group has fewer than K rows. The published corridor table must not
have a count below K either. The quasi-identifiers default to the six of the public CTDC release.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

CTDC_QIS = ["registration_year", "data_source", "sex", "age_band", "citizenship", "country_of_exploitation"]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    folder, k = Path(argv[0]), int(argv[1])
    qis = argv[2:] or CTDC_QIS
    df = pd.read_csv(folder / "records.csv", dtype=str, keep_default_na=False)
    df = df[~df[qis[0]].str.startswith("#")]
    missing = [q for q in qis if q not in df.columns]
    if missing:
        print(f"release has no column(s) {missing}", file=sys.stderr)
        return 1
    sizes = df.groupby(qis, dropna=False).size()
    small = sizes[sizes < k]
    corridors = folder / "corridors.csv"
    low_corridors = 0
    if corridors.exists():
        c = pd.read_csv(corridors, dtype={"records": "int64"}, keep_default_na=False)
        low_corridors = int((c["records"] < k).sum())
    print(
        f"{len(df):,} rows, {len(sizes):,} classes on {len(qis)} quasi-identifiers, smallest {sizes.min()}, "
        f"classes below k={k}: {len(small)}; corridor rows below k: {low_corridors}"
    )
    if len(small) or low_corridors:
        print(small.head(10).to_string(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
