"""A new data directory is the owner's alone: directories 0700, files 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ctdata.cases import users
from ctdata.cases.access import SYSTEM
from ctdata.cases.tx import store_engine, transaction
from ctdata.store import crypto, files


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_data_directory_is_private(sqlite_store) -> None:
    old = os.umask(0o022)  # the usual umask, which made the directory 0755 and the store 0644
    try:
        with transaction(store_engine()) as s:
            users.create_user(s, SYSTEM, "someone", "correct horse battery", "analyst", None, None)
        crypto.keyring()
    finally:
        os.umask(old)
    data = sqlite_store.data_dir
    assert _mode(data) == 0o700
    assert _mode(data / "keys") == 0o700
    written = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"ctdata.db", "ctdata.key"}
    assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}


def test_private_dir_creates_missing_parents_only(tmp_path: Path) -> None:
    (tmp_path / "existing").mkdir(mode=0o755)
    os.chmod(tmp_path / "existing", 0o755)
    files.private_dir(tmp_path / "existing" / "a" / "b")
    assert _mode(tmp_path / "existing") == 0o755  # not ours to change
    assert _mode(tmp_path / "existing" / "a") == 0o700
    assert _mode(tmp_path / "existing" / "a" / "b") == 0o700


def test_write_private_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "d" / "f"
    files.write_private(target, b"one")
    files.write_private(target, b"two")
    assert target.read_bytes() == b"two" and _mode(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["f"]


def test_create_private_once_keeps_the_first_content(tmp_path) -> None:
    """The first caller's content wins and later callers are told they did not create it."""
    from ctdata.store.files import create_private_once

    path = tmp_path / "new" / "k"
    assert create_private_once(path, b"first") is True
    assert create_private_once(path, b"second") is False
    assert path.read_bytes() == b"first"
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in path.parent.iterdir()) == ["k"]
