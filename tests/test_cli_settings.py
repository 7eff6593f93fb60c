"""Command-line defaults are the settings dataclasses' defaults; k is written once."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import typer
from typer.testing import CliRunner

from ctdata.cli import app
from ctdata.prevalence.settings import EstimateSettings
from ctdata.publish.settings import K, KAnonSettings, SyntheticSettings
from ctdata.publish.suppression import crosstab, suppress, suppress_array

SRC = Path(__file__).resolve().parents[1] / "src" / "ctdata"


def _defaults(*path: str) -> dict[str, object]:
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return {p.name: p.default for p in cmd.params}


def test_estimate_takes_the_library_seed_when_none_is_given(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("A,B,C,count\n1,0,0,30\n0,1,0,25\n0,0,1,20\n1,1,0,6\n1,0,1,5\n0,1,1,4\n1,1,1,2\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["estimate", str(p), "--method", "main", "--ci", "bootstrap", "--bootstrap", "20",
                                 "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["settings"]["seed"] == EstimateSettings().seed
    assert all(_defaults("estimate")[n] is None for n in ("method", "ci", "bootstrap", "seed", "alpha", "pthresh"))


def test_publish_options_default_to_the_release_settings() -> None:
    kanon, synthetic = _defaults("publish", "kanon"), _defaults("publish", "synthetic")
    ks, ss = KAnonSettings(), SyntheticSettings()
    assert (kanon["k"], kanon["l_div"], kanon["max_suppression"], kanon["include_unknown_consent"]) == (
        ks.k, ks.l_diversity, ks.max_suppression, ks.include_unknown_consent)
    assert (synthetic["epsilon"], synthetic["delta"], synthetic["seed"]) == (ss.epsilon, ss.delta, ss.seed)


def test_k_is_one_setting() -> None:
    assert KAnonSettings().k == K
    for fn in (suppress, suppress_array, crosstab):
        assert inspect.signature(fn).parameters["k"].default == K
    literal = re.compile(r"\bk\s*(?::\s*int\s*)?=\s*11\b|_K\s*=\s*11\b|else 11\b")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*") if p.suffix in (".py", ".html")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if literal.search(line)]
    assert not found, f"k written as a literal outside publish/settings.py: {found}"

