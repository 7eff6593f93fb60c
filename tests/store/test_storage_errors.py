"""The disk says no: a full disk, a read-only data directory. One clear line, nothing changed; verify only reads."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from ctdata.cli import output
from ctdata.cli.app import app
from ctdata.errors import StorageError
from ctdata.ingest.standard_import import import_standard
from ctdata.store import audit, db
from ctdata.store.models import CaseRecord
from tests.conftest import reset_caches
from tests.ingest.helpers import record, write_records


def _cases(eng) -> int:  # type: ignore[no-untyped-def]
    with db.session_scope(eng) as s:
        return s.execute(select(func.count()).select_from(CaseRecord)).scalar()


def test_sqlite_disk_full_is_one_clear_error_and_changes_nothing(sqlite_store, tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (SQLITE_FULL), made real by capping the file's pages."""
    import_standard(write_records(tmp_path / "a.csv", [record(0)]))
    eng = db.upgrade()
    with eng.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()
    eng.dispose()

    @event.listens_for(eng, "connect")
    def _cap(dbapi_conn, _rec) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    before = _cases(eng)
    rows = [record(i, family_name="X" * 400) for i in range(1, 400)]
    with pytest.raises(StorageError, match=r"disk holding the case store is full .*nothing was changed"):
        import_standard(write_records(tmp_path / "b.csv", rows))
    assert _cases(eng) == before


def _run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["ctdata", *args])
    with pytest.raises(SystemExit) as exit_:
        output.run(app)
    return int(exit_.value.code or 0), capsys.readouterr().err


def test_no_space_left_is_one_line_in_the_cli(sqlite_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """ENOSPC raised at a file write (the warehouse copy of a backup) is one line, not a traceback."""
    import_standard(write_records(tmp_path / "a.csv", [record(0)]))
    (sqlite_store.data_dir / "warehouse").mkdir()
    from ctdata.store import backup

    def full(src, dst, *a, **k):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(backup.shutil, "copytree", full)
    code, err = _run_cli(monkeypatch, capsys, "backup", str(tmp_path / "bk"))
    assert code == 2
    assert "no space left on the device" in err and "free space" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def other_user_dir() -> Iterator[Path]:
    """A folder that a non-root process can reach (pytest's tmp folders are root's alone)."""
    d = Path(tempfile.mkdtemp(prefix="ctdata-ro-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _as_reader(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run as a user who cannot write the data directory: nobody when we are root (root writes anywhere)."""
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def _read_only_copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    for p in [dst, *dst.rglob("*")]:
        if os.geteuid() == 0:
            os.chown(p, 65534, 65534)
    for p in dst.rglob("*"):
        p.chmod(0o400 if p.is_file() else 0o500)
    dst.chmod(0o500)


def test_read_only_data_directory(sqlite_store, tmp_path: Path, other_user_dir: Path) -> None:
    """A command that writes says the folder is read-only; `audit verify` checks the read-only copy."""
    import_standard(write_records(tmp_path / "a.csv", [record(0), record(1)]))
    eng = db.upgrade()
    with db.session_scope(eng) as s:
        want = audit.verify(s)
    assert want.ok
    eng.dispose()
    reset_caches()
    data = other_user_dir / "data"
    _read_only_copy(sqlite_store.data_dir, data)
    env = {**os.environ, "CTDATA_DATA_DIR": str(data), "CTDATA_DATABASE_URL": f"sqlite:///{data / 'ctdata.db'}",
           "HOME": str(other_user_dir)}
    env.pop("CTDATA_CONFIG", None)
    cli = [sys.executable, "-m", "ctdata.cli"]
    r = _as_reader([*cli, "user", "list"], env)
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "is read-only" in r.stderr and "unable to open database file" not in r.stderr, r.stderr
    r = _as_reader([*cli, "audit", "verify", "--json"], env)
    assert r.returncode == 0, r.stderr
    assert f'"head": "{want.head}"' in r.stdout and '"ok": true' in r.stdout
    assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in sqlite_store.data_dir.iterdir())


def test_read_only_copy_with_a_write_ahead_log_verifies(sqlite_store, tmp_path: Path, other_user_dir: Path) -> None:
    """A copy of a live store (its -wal not yet checkpointed) on a read-only folder is verified, not refused.

    SQLite reads a write-ahead log only through a shared-memory file that a read-only folder cannot
    hold; verification reads a private copy and leaves the read-only one as it was.
    """
    import sqlite3

    import_standard(write_records(tmp_path / "a.csv", [record(0), record(1)]))
    eng = db.upgrade()
    with db.session_scope(eng) as s:
        want = audit.verify(s)
    eng.dispose()
    reset_caches()
    live = sqlite3.connect(sqlite_store.data_dir / "ctdata.db")
    try:
        live.execute("PRAGMA wal_autocheckpoint=0")
        live.execute("CREATE TABLE scratch_wal (x)")
        live.execute("DROP TABLE scratch_wal")
        live.commit()
        assert (sqlite_store.data_dir / "ctdata.db-wal").stat().st_size > 0
        data = other_user_dir / "data"
        _read_only_copy(sqlite_store.data_dir, data)
    finally:
        live.close()
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    env = {**os.environ, "CTDATA_DATA_DIR": str(data), "CTDATA_DATABASE_URL": f"sqlite:///{data / 'ctdata.db'}",
           "HOME": str(other_user_dir)}
    env.pop("CTDATA_CONFIG", None)
    r = _as_reader([sys.executable, "-m", "ctdata.cli", "audit", "verify", "--json"], env)
    assert r.returncode == 0, r.stderr
    assert f'"head": "{want.head}"' in r.stdout and '"ok": true' in r.stdout
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == before
