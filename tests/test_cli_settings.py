"""Command-line defaults are the settings dataclasses' defaults; k is written once."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from pathlib import Path

import click
import typer
from typer.testing import CliRunner

from ctdata.cli import app
from ctdata.linkage.settings import LinkageSettings
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


def test_estimate_help_shows_the_library_defaults() -> None:
    """`ctdata estimate --help` printed "the library's" instead of the values; now it shows them."""
    r = CliRunner().invoke(app, ["estimate", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    d = EstimateSettings()
    for option, value in (("--seed", d.seed), ("--bootstrap", d.bootstrap), ("--method", d.method),
                          ("--ci", d.ci), ("--alpha", d.alpha), ("--pthresh", d.pthresh)):
        line = next(x for x in r.output.splitlines() if f" {option} " in x)
        assert f"[default: {value}]" in line, line


#: The settings class behind each command's options; an option named like one of its fields mirrors it.
COMMAND_SETTINGS: dict[tuple[str, ...], type] = {
    ("estimate",): EstimateSettings,
    ("link",): LinkageSettings,
    ("publish", "kanon"): KAnonSettings,
    ("publish", "synthetic"): SyntheticSettings,
}
#: Options whose name differs from the field they set.
ALIASES = {"l_div": "l_diversity", "qi": "quasi_identifiers", "sensitive": "sensitive_attributes"}
#: Options that mirror a list-valued field and take its default when not given (a repeatable option).
FROM_SETTINGS_WHEN_EMPTY = {"qi", "sensitive"}


def _commands(cmd: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, cmd)]
    for name, sub in getattr(cmd, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


def test_every_option_mirroring_a_setting_defaults_to_it() -> None:
    compared: list[str] = []
    commands = dict(_commands(typer.main.get_command(app)))
    assert set(COMMAND_SETTINGS) <= set(commands)
    for path, cls in COMMAND_SETTINGS.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        defaults = cls()
        for p in commands[path].params:
            field = ALIASES.get(p.name, p.name)
            if field not in fields:
                continue
            compared.append(f"{' '.join(path)} --{p.name}")
            if p.name in FROM_SETTINGS_WHEN_EMPTY:
                assert p.default is None, p.name
                continue
            assert p.default == getattr(defaults, field), f"ctdata {' '.join(path)} --{p.name}"
    # the options known to mirror settings were all compared (the walk found them)
    for expected in ("estimate --seed", "estimate --bootstrap", "estimate --method", "estimate --ci",
                     "estimate --alpha", "estimate --pthresh", "estimate --model", "link --threshold",
                     "link --backend", "publish kanon --k", "publish kanon --l_div", "publish synthetic --epsilon",
                     "publish synthetic --seed"):
        assert expected in compared, expected


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

