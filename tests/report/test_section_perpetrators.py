"""The annual report's victims-and-perpetrators section: the within-region share with its definition."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctdata.analytics.filters import Filters
from ctdata.ingest.ctdc_import import import_ctdc
from ctdata.report.annual import build_sections
from ctdata.report.model import ReportContext
from ctdata.report.section_perpetrators import perpetrators_section
from ctdata.warehouse.build import build
from ctdata.warehouse.query import connect
from tests.ingest.test_ctdc_vp_import import vp_row, write_vp


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_section_states_the_share_and_its_definition(store, tmp_path: Path) -> None:
    rows = [vp_row()] * 3 + [vp_row(IP_citizen_UNRegion="Europe")] + [vp_row(yearRegister="2020")]
    import_ctdc(write_vp(tmp_path / "vp.csv.gz", rows))
    build(progress=False)
    sec = perpetrators_section(ReportContext(connect(), 2019, Filters()))
    text = " ".join(sec.paragraphs)
    assert sec.empty_note == ""
    assert "4 victims registered in 2019" in text
    assert "75% of the 4 victims" in text and "among the regions of their perpetrators" in text
    assert [f.id for f in sec.figures] == ["relation", "sex"]
    empty = perpetrators_section(ReportContext(connect(), 2018, Filters()))
    assert "No perpetrators are recorded" in empty.empty_note
    assert "perpetrators" in [s.id for s in build_sections(ReportContext(connect(), 2019, Filters()))]
