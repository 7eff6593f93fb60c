"""Settings as data: frozen, keyword-only dataclasses with a strict dict/JSON round-trip.

Every group of settings in ctdata (linkage, releases, estimates) is one of
these, so that a run saves the settings it used, a reviewer reads the same
file, and a later run reloads it and gets the same answer. One class gives
them all the same rules:

- frozen and keyword-only (``@settings_dataclass``): a setting cannot change
  under a running job; derive a variant with ``dataclasses.replace`` (lists of
  settings are tuples, so they cannot be changed in place either);
- each value is checked against its field's type when the object is made
  (``1`` is accepted for a float, a list for a tuple, nothing else is converted;
  ``True`` and NaN are not numbers), then the class's own ``validate`` runs;
- ``from_dict``/``from_json``/``load`` reject unknown keys, naming them, so a
  misspelt setting is an error rather than a silently ignored default;
- ``to_dict`` gives JSON values only (lists for tuples, strings for paths),
  and ``from_dict(s.to_dict()) == s``.

It sits at the top of the package, left of every layer, and imports none.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self, TypeVar, Union, dataclass_transform

from ctdata.errors import ConfigError

__all__ = ["BaseSettings", "settings_dataclass"]

_T = TypeVar("_T", bound=type)


class _Mismatch(Exception):
    """A value does not fit a type (turned into one ConfigError naming the field)."""


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return "null"
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is list:
        return f"a list of {_describe(args[0])}" if args else "a list"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0])}"
        return f"a list of {len(args)} values ({', '.join(_describe(a) for a in args)})"
    if origin is dict:
        return f"an object of {_describe(args[0])} to {_describe(args[1])}" if args else "an object"
    return {bool: "true or false", int: "an integer", float: "a number", str: "text", Path: "a path"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _same(value: Any) -> Any:
    return value


#: the scalar types: which values each accepts (``True`` and NaN are not numbers), and the value kept
_SCALARS: dict[type, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    bool: (lambda v: isinstance(v, bool), _same),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), _same),
    float: (lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v == v, float),
    str: (lambda v: isinstance(v, str), _same),
    Path: (lambda v: isinstance(v, Path | str), Path),
}


def _coerce(value: Any, tp: Any) -> Any:
    """``value`` as type ``tp`` (only lossless, unsurprising conversions), or raise _Mismatch."""
    if tp is Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if value is None:
            if type(None) in args:
                return None
            raise _Mismatch
        for alt in args:
            if alt is type(None):
                continue
            try:
                return _coerce(value, alt)
            except _Mismatch:
                continue
        raise _Mismatch
    if tp is type(None):
        if value is None:
            return None
        raise _Mismatch
    if origin is Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise _Mismatch
    scalar = _SCALARS.get(tp) if isinstance(tp, type) else None
    if scalar is not None:
        accepts, store = scalar
        if accepts(value):
            return store(value)
        raise _Mismatch
    if origin is list or origin is tuple:
        if not isinstance(value, list | tuple):
            raise _Mismatch
        if origin is list:
            return [_coerce(v, args[0]) for v in value] if args else list(value)
        if not args:
            return tuple(value)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        if len(value) != len(args):
            raise _Mismatch
        return tuple(_coerce(v, a) for v, a in zip(value, args, strict=True))
    if origin is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        if not args:
            return dict(value)
        return {_coerce(k, args[0]): _coerce(v, args[1]) for k, v in value.items()}
    if isinstance(tp, type):
        if isinstance(value, tp):
            return value
        raise _Mismatch
    raise TypeError(f"settings cannot check values of type {tp!r}")  # a programming error, not the user's


def _plain(value: Any) -> Any:
    """A JSON value: tuples as lists, paths as text."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


@cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


class BaseSettings:
    """Base of every settings dataclass (declare them with ``@settings_dataclass``)."""

    def __post_init__(self) -> None:
        cls = type(self)
        for name, tp in _field_types(cls).items():
            value = getattr(self, name)
            try:
                coerced = _coerce(value, tp)
            except _Mismatch:
                raise ConfigError(f"{cls.__name__}: {name} must be {_describe(tp)}, got {value!r}") from None
            object.__setattr__(self, name, coerced)
        self.validate()

    def validate(self) -> None:
        """Rules between or within values beyond their types (raise a CtdataError); none by default."""

    def to_dict(self) -> dict[str, Any]:
        """Every setting, as JSON values."""
        return {name: _plain(getattr(self, name)) for name in _field_types(type(self))}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> Self:
        """Settings from a mapping; keys left out take their defaults, unknown keys are refused."""
        if not isinstance(data, dict):
            raise ConfigError(f"{cls.__name__}: settings must be an object of names to values, got {data!r}")
        known = _field_types(cls)
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ConfigError(
                f"{cls.__name__}: unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(sorted(known))})"
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> Self:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{cls.__name__}: settings are not valid JSON ({exc})") from None
        return cls.from_dict(data)

    @classmethod
    def from_table_and_environment(
        cls, table: dict[str, Any], prefix: str, readers: dict[str, Callable[[str], Any]]
    ) -> Self:
        """Settings from a table of the settings file, then ``{prefix}{NAME}`` environment variables over it.

        ``readers`` names the settings the environment may set and how each is read from text; an
        empty variable is no setting, and a malformed one is one clear line, never a traceback."""
        data: dict[str, Any] = dict(table)
        for key, read in readers.items():
            var = f"{prefix}{key.upper()}"
            raw = os.environ.get(var)
            if raw is None or not raw.strip():
                continue
            try:
                data[key] = read(raw.strip())
            except ValueError:
                kind = {int: "a whole number", float: "a number"}.get(read, "valid")  # type: ignore[call-overload]
                raise ConfigError(f"{var} must be {kind}, got {raw!r}") from None
        return cls.from_dict(data)

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Self:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: settings file not found")
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{p}: cannot read settings ({exc})") from None
        return cls.from_json(text)


@dataclass_transform(frozen_default=True, kw_only_default=True)
def settings_dataclass(cls: _T) -> _T:
    """``@dataclass(frozen=True, kw_only=True)`` for a subclass of ``BaseSettings``."""
    if not issubclass(cls, BaseSettings):
        raise TypeError(f"{cls.__name__} must subclass BaseSettings")
    return dataclasses.dataclass(frozen=True, kw_only=True)(cls)
