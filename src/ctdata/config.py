"""Settings from CTDATA_* environment variables, then ./ctdata.toml, then defaults.

Defaults must work with no configuration at all: the store is a SQLite file
and the keys live in a per-user data directory, created on first use.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs

from ctdata.errors import ConfigError
from ctdata.settings_base import BaseSettings, settings_dataclass


def _toml() -> dict:
    path = Path(os.environ.get("CTDATA_CONFIG", "ctdata.toml"))
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


@settings_dataclass
class Settings(BaseSettings):
    """Where the store, keys, warehouse and releases live, and the login rules (frozen, types checked)."""

    data_dir: Path
    database_url: str
    key_file: Path
    warehouse_dir: Path
    releases_dir: Path
    session_minutes: int = 60
    max_failed_logins: int = 5
    lockout_minutes: int = 15

    def ensure_dirs(self) -> None:
        for d in (self.data_dir, self.warehouse_dir, self.releases_dir, self.key_file.parent):
            d.mkdir(parents=True, exist_ok=True)


def toml_table(name: str) -> dict:
    """A table of ctdata.toml (``[spark]``), or an empty one; a value that is not a table is refused."""
    value = _toml().get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"ctdata.toml: [{name}] must be a table of settings, got {value!r}")
    return value


def _get(toml: dict, key: str, default: str | None = None) -> str | None:
    env = os.environ.get(f"CTDATA_{key.upper()}")
    if env:
        return env
    val = toml.get(key.lower())
    return str(val) if val is not None else default


#: Whole-number settings (default in ``Settings``).
_INTEGERS = ("session_minutes", "max_failed_logins", "lockout_minutes")


def _integer(key: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{key} (CTDATA_{key.upper()} or ctdata.toml) must be a whole number, got {raw!r}") from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    t = _toml()
    given: dict[str, Any] = {}
    for key in _INTEGERS:
        raw = _get(t, key)
        if raw is not None and raw.strip():
            given[key] = _integer(key, raw)
    data_dir = Path(_get(t, "data_dir") or platformdirs.user_data_dir("ctdata", appauthor=False)).expanduser()
    db = _get(t, "database_url") or f"sqlite:///{data_dir / 'ctdata.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=db,
        key_file=Path(_get(t, "key_file") or data_dir / "keys" / "ctdata.key").expanduser(),
        warehouse_dir=Path(_get(t, "warehouse_dir") or data_dir / "warehouse").expanduser(),
        releases_dir=Path(_get(t, "releases_dir") or data_dir / "releases").expanduser(),
        **given,
    )


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI's --data-dir change the environment)."""
    settings.cache_clear()
