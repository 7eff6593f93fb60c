"""Every settings class is frozen, keyword-only data with a strict, lossless dict/JSON round-trip."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata import config
from ctdata.errors import ConfigError, CtdataError
from ctdata.linkage.settings import BACKENDS, LinkageSettings
from ctdata.prevalence.settings import CI_METHODS, METHODS, EstimateSettings
from ctdata.publish.settings import KAnonSettings, SyntheticSettings
from ctdata.settings_base import BaseSettings, settings_dataclass

CLASSES = (LinkageSettings, KAnonSettings, SyntheticSettings, EstimateSettings, config.Settings)
#: Values for the fields that have no default.
REQUIRED: dict[type, dict[str, Any]] = {
    config.Settings: {"data_dir": Path("d"), "database_url": "sqlite:///d/ctdata.db", "key_file": Path("d/k.key"),
                      "warehouse_dir": Path("d/w"), "releases_dir": Path("d/r")},
}


def make(cls: type, **values: Any) -> Any:
    return cls(**{**REQUIRED.get(cls, {}), **values})

#: Values a field's type alone does not pin down (a backend is a name from a list, a size has a unit).
OVERRIDES: dict[type, dict[str, st.SearchStrategy[Any]]] = {
    LinkageSettings: {
        "backend": st.sampled_from(BACKENDS),
        "memory_limit": st.sampled_from(["", "4GB", "512MB", "1.5 gib", "100B"]),
        "threshold": st.floats(0.001, 0.999),
        "prior_recall": st.floats(0.01, 1.0),
        "uncertain_band": st.tuples(st.floats(0, 1), st.floats(0, 1)).map(lambda t: tuple(sorted(t))),
    },
    KAnonSettings: {"k": st.integers(1, 50), "l_diversity": st.integers(1, 5), "max_suppression": st.floats(0, 1)},
    SyntheticSettings: {
        "epsilon": st.floats(0.01, 10),
        "delta": st.floats(1e-12, 1e-4),
        "lump_share": st.floats(0.01, 0.99),
        "columns": st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=6),
    },
    EstimateSettings: {"method": st.sampled_from(METHODS), "ci": st.sampled_from(CI_METHODS),
                       "alpha": st.floats(0.001, 0.999)},
    config.Settings: {},
}


def _strategy(tp: Any) -> st.SearchStrategy[Any]:
    """Values of a field's type, as JSON can carry them (finite floats, text)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_strategy(a) for a in args))
    if tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-(2**40), 2**40)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if tp is str:
        return st.text(max_size=20)
    if tp is Path:
        return st.text(alphabet="abc/._-", max_size=12).map(Path)
    if origin is list:
        return st.lists(_strategy(args[0]), max_size=4)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(_strategy(args[0]), max_size=4).map(tuple)
        return st.tuples(*(_strategy(a) for a in args))
    if origin is dict:
        return st.dictionaries(_strategy(args[0]), _strategy(args[1]), max_size=4)
    raise AssertionError(f"no strategy for {tp!r}")


def settings_of(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: OVERRIDES[cls].get(f.name, _strategy(hints[f.name])) for f in dataclasses.fields(cls)}
    required = {n: v for n, v in fields.items() if n in REQUIRED.get(cls, {})}
    optional = {n: v for n, v in fields.items() if n not in required}
    chosen = st.fixed_dictionaries(required, optional=optional)  # the rest left at their defaults

    def build(values: dict[str, Any]) -> Any:
        try:
            return cls(**values)
        except CtdataError:  # a combination the class's own rules refuse (e.g. too few columns)
            return None

    return chosen.map(build).filter(lambda s: s is not None)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_round_trip_through_dict_and_json_is_lossless(cls: type, data: st.DataObject) -> None:
    s = data.draw(settings_of(cls))
    assert cls.from_dict(s.to_dict()) == s
    assert cls.from_json(s.to_json()) == s
    assert json.loads(s.to_json()) == s.to_dict()  # to_dict is JSON already (no tuples, no paths)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_save_and_load(cls: type, tmp_path) -> None:
    s = make(cls)
    s.save(tmp_path / "s.json")
    assert cls.load(tmp_path / "s.json") == s
    with pytest.raises(ConfigError, match="not found"):
        cls.load(tmp_path / "missing.json")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_unknown_keys_are_refused_by_name(cls: type) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'no_such_setting'"):
        cls.from_dict({"no_such_setting": 1})
    with pytest.raises(ConfigError, match=r"unknown settings 'a', 'b'"):
        cls.from_json('{"a": 1, "b": 2}')
    with pytest.raises(ConfigError, match="not valid JSON"):
        cls.from_json("{")
    with pytest.raises(ConfigError, match="must be an object"):
        cls.from_json("[1, 2]")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_frozen_and_keyword_only(cls: type) -> None:
    s = make(cls)
    name = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(s, name, getattr(s, name))
    with pytest.raises(TypeError):
        cls(getattr(s, name))
    assert dataclasses.replace(s) == s


def test_linkage_settings_were_mutable_and_are_not() -> None:
    s = LinkageSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.threshold = 0.5  # type: ignore[misc]
    assert dataclasses.replace(s, threshold=0.5).threshold == 0.5
    with pytest.raises(ConfigError, match="threshold"):
        dataclasses.replace(s, threshold=2.0)  # a variant is validated too


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_no_setting_is_a_list_that_could_change_in_place(cls: type) -> None:
    s = make(cls)
    assert not [f.name for f in dataclasses.fields(cls) if isinstance(getattr(s, f.name), list)]
    assert LinkageSettings(blocking_rules=["l.a = r.a"]).blocking_rules == ("l.a = r.a",)


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (LinkageSettings, {"threshold": "0.5"}, "threshold must be a number or null, got '0.5'"),
        (LinkageSettings, {"threshold": True}, "threshold must be a number"),
        (LinkageSettings, {"threshold": float("nan")}, "threshold must be a number"),
        (LinkageSettings, {"seed": 1.5}, "seed must be an integer"),
        (LinkageSettings, {"uncertain_band": [0.2]}, "uncertain_band must be a list of 2 values"),
        (LinkageSettings, {"blocking_rules": "l.a = r.a"}, "blocking_rules must be a list of text"),
        (LinkageSettings, {"constrained": 1}, "constrained must be true or false"),
        (KAnonSettings, {"max_levels": {"sex": "0"}}, "max_levels must be an object of text to an integer"),
        (SyntheticSettings, {"rows": "10"}, "rows must be an integer or null"),
        (EstimateSettings, {"bootstrap": None}, "bootstrap must be an integer"),
        (config.Settings, {"session_minutes": "60"}, "session_minutes must be an integer"),
        (config.Settings, {"data_dir": 3}, "data_dir must be a path"),
    ],
)
def test_types_are_checked_on_creation(cls: type, values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make(cls, **values)
    with pytest.raises(ConfigError):
        cls.from_dict({**REQUIRED.get(cls, {}), **values})


def test_json_shapes_are_taken_back() -> None:
    """JSON has no tuples and writes 1.0 as 1: both come back as the field's type."""
    s = LinkageSettings.from_dict({"uncertain_band": [0, 1], "u_max_pairs": 1000})
    assert s.uncertain_band == (0.0, 1.0) and isinstance(s.uncertain_band, tuple)
    assert isinstance(s.u_max_pairs, float)
    assert SyntheticSettings.from_dict({"year_range": [2001, 2002]}).year_range == (2001, 2002)


def test_rules_of_a_class_run_on_creation() -> None:
    for make in (lambda: LinkageSettings(threshold=1.5), lambda: KAnonSettings(k=0),
                 lambda: SyntheticSettings(epsilon=0), lambda: EstimateSettings(method="guess")):
        with pytest.raises(CtdataError):
            make()


def test_the_decorator_wants_the_base() -> None:
    with pytest.raises(TypeError, match="BaseSettings"):
        settings_dataclass(type("Loose", (), {}))

    @settings_dataclass
    class Small(BaseSettings):
        n: int = 1

    assert Small.from_dict({"n": 2}) == Small(n=2)
    assert dataclasses.fields(Small)[0].kw_only


def test_a_malformed_number_in_the_environment_is_one_clear_line(monkeypatch, tmp_path) -> None:
    """CTDATA_SESSION_MINUTES=abc stopped every command with a ValueError traceback."""
    env = {"CTDATA_DATA_DIR": str(tmp_path / "d"), "CTDATA_SESSION_MINUTES": "abc", "CTDATA_CONFIG": "none.toml"}
    p = subprocess.run([sys.executable, "-m", "ctdata.cli", "user", "list"], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=120)
    assert p.returncode == 2
    assert p.stderr.strip() == ("error: session_minutes (CTDATA_SESSION_MINUTES or ctdata.toml) "
                                "must be a whole number, got 'abc'")
    monkeypatch.setenv("CTDATA_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("CTDATA_SESSION_MINUTES", " 30 ")
    monkeypatch.setenv("CTDATA_MAX_FAILED_LOGINS", "")
    config.reset_settings()
    try:
        s = config.settings()
        assert (s.session_minutes, s.max_failed_logins) == (30, config.Settings.__dataclass_fields__[
            "max_failed_logins"].default)
    finally:
        config.reset_settings()
