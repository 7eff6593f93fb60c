from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ctdata.analytics.indicators import headline
from ctdata.errors import FileFormatError
from ctdata.ingest.ctdc_import import import_ctdc
from ctdata.warehouse.build import build

from .helpers import ctdc_row, write_ctdc


def _rows() -> list[dict[str, str]]:
    return [
        ctdc_row(),
        ctdc_row(gender="Male", citizenship="NA", CountryOfExploitation="NA", majorityStatusAtExploit="Minor"),
        ctdc_row(gender="", ageBroad="09--17", majorityStatus="Minor", citizenship="ZZ", yearOfRegistration=""),
        ctdc_row(Datasource="Hotline", gender="Unknown", citizenship="-99", isForcedLabour="0", isSexualExploit="1"),
        ctdc_row(citizenship="PH", CountryOfExploitation="00", isForcedLabour="", isSexualExploit=""),
        ctdc_row(gender="Blue"),
    ]


def test_ctdc_import_and_indicators_match_independent_count(store, tmp_path: Path) -> None:
    src = write_ctdc(tmp_path / "ctdc.csv.gz", _rows(), gz=True)
    res = import_ctdc(src)
    assert (res.rows_read, res.loaded, res.quarantined) == (6, 5, 1)
    build(progress=False)
    ind = headline()
    d = pd.read_csv(src, keep_default_na=False, na_values=["", "-99", "Unknown", "00", "ZZ"], dtype=str)
    d = d[d.gender != "Blue"]
    assert ind["instances"] == len(d) == 5
    assert ind["by_citizenship"] == d.citizenship.value_counts().to_dict()
    assert ind["by_citizenship"]["NA"] == 1  # Namibia, not "missing"
    assert ind["by_sex"] == {"female": 2, "male": 1, "unknown": 2}
    child = (d.majorityStatusAtExploit == "Minor") | (d.majorityStatusAtExploit.isna() & (d.majorityStatus == "Minor"))
    assert ind["children"] == int(child.sum()) == 2
    both = d.citizenship.notna() & d.CountryOfExploitation.notna()
    assert ind["cross_border"] == int((both & (d.citizenship != d.CountryOfExploitation)).sum())
    assert ind["internal"] == int((both & (d.citizenship == d.CountryOfExploitation)).sum())
    assert ind["by_exploitation_type"]["forced_labour"] == int((d.isForcedLabour == "1").sum())
    assert ind["by_year"]["unknown"] == 1
    again = import_ctdc(src)
    assert again.already_present == 5 and again.inserted == 0


def test_not_a_ctdc_file(sqlite_store, tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="not a CTDC release"):
        import_ctdc(p)


def test_damaged_gzip_loses_nothing(store, tmp_path: Path) -> None:
    src = write_ctdc(tmp_path / "ctdc.csv.gz", [ctdc_row() for _ in range(3000)], gz=True)
    data = src.read_bytes()
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="damaged or truncated"):
        import_ctdc(bad)
    import_ctdc(src)
    build(progress=False)
    assert headline()["instances"] == 3000
