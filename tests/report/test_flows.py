"""`ctdata report annual` brings the warehouse up to date once, then renders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ctdata.cli import app


def test_report_annual_builds_the_warehouse_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    builds: list[dict[str, Any]] = []
    renders: list[int] = []

    def build(**kwargs: Any) -> dict[str, Any]:
        builds.append(kwargs)
        return {}

    def render_annual(year: int, out: Path, **kwargs: Any) -> dict[str, Any]:
        renders.append(year)
        return {"paths": {"html": str(out / "report.html")}, "sections": [], "seconds": {}}

    monkeypatch.setattr("ctdata.warehouse.build.build", build)
    monkeypatch.setattr("ctdata.report.annual.render_annual", render_annual)
    r = CliRunner().invoke(app, ["report", "annual", "--year", "2019", "--out", str(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["paths"]["html"].endswith("report.html")
    assert len(builds) == 1 and renders == [2019]
