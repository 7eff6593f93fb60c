"""Bulk loads on SQLite drop and rebuild secondary indexes inside the load's transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ctdata.ingest import sinks as loader_mod
from ctdata.ingest.standard_import import import_standard
from ctdata.store import bulk, db

from ..ingest.helpers import record, write_records


def _indexes() -> set[str]:
    with db.session_scope() as s:
        return {
            r[0]
            for r in s.execute(
                text("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name IN ('persons', 'case_records')")
            )
        }


def test_indexes_are_rebuilt_after_a_large_load_and_kept_after_a_failed_one(
    sqlite_store, tmp_path: Path, monkeypatch
) -> None:
    db.upgrade()
    before = _indexes()
    assert "ix_case_office" in before and "ix_persons_person_key" in before
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    dropped: list[list[str]] = []
    real_bulk_load = bulk.bulk_load

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        cm = real_bulk_load(*args, **kwargs)

        class Wrap:
            def __enter__(self):  # type: ignore[no-untyped-def]
                got = cm.__enter__()
                dropped.append(list(got))
                return got

            def __exit__(self, *exc):  # type: ignore[no-untyped-def]
                return cm.__exit__(*exc)

        return Wrap()

    import ctdata.ingest.standard_import as si

    monkeypatch.setattr(si, "bulk_load", spy)
    res = import_standard(write_records(tmp_path / "a.csv", [record(i) for i in range(20)]))
    assert res.inserted == 20 and "ix_case_office" in dropped[0]
    assert _indexes() == before

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise OSError("disk went away")

    monkeypatch.setattr(loader_mod, "insert_tuples", broken)
    with pytest.raises(OSError):
        import_standard(write_records(tmp_path / "b.csv", [record(i, record_id=f"B{i}") for i in range(40)]))
    assert _indexes() == before
    with db.session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM case_records")).scalar() == 20


def test_small_loads_into_a_large_table_keep_their_indexes(sqlite_store, tmp_path: Path) -> None:
    db.upgrade()
    with db.session_scope() as s:
        with bulk.bulk_load(s, expected_rows=10, tables=("case_records",)) as dropped:
            assert dropped == []
        with bulk.bulk_load(s, expected_rows=bulk.REBUILD_MIN_ROWS, tables=("case_records",)) as dropped:
            assert "ix_case_year" in dropped
        names = {r[0] for r in s.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))}
        assert "ix_case_year" in names


def test_deferred_foreign_keys_are_checked_before_the_commit_and_switched_back_on(
    sqlite_store, tmp_path: Path, monkeypatch
) -> None:
    """A large first import loads with per-row foreign-key checks off and checks whole tables at the end."""
    from ctdata.errors import CtdataError
    from ctdata.ingest import parallel

    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    folder = tmp_path / "in"
    write_records(folder / "records.csv", [record(i) for i in range(10)])
    (folder / "assistance.csv").write_text(
        "record_id,assistance_type,date,provider,reintegration\nR0,medical,2011-05-01,NGO,1\n", encoding="utf-8"
    )
    real = parallel.write_columns

    def orphan(session, model, names, columns):  # type: ignore[no-untyped-def]
        if model.__tablename__ == "assistance":
            columns = [[10**9] * len(columns[0]), *columns[1:]]
        return real(session, model, names, columns)

    monkeypatch.setattr(parallel, "write_columns", orphan)
    with pytest.raises(CtdataError, match="without their parent"):
        import_standard(folder)
    with db.session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM case_records")).scalar() == 0
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
    monkeypatch.setattr(parallel, "write_columns", real)
    res = import_standard(folder)
    assert (res.loaded, res.tables["assistance"]["loaded"]) == (10, 1)
    with db.session_scope() as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM assistance")).scalar() == 1
