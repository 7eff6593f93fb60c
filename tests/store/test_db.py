from __future__ import annotations

from sqlalchemy import inspect

from ctdata.store import db


def test_upgrade_creates_schema_at_head(store) -> None:
    eng = db.upgrade()
    assert db.current_revision(eng) == db.head_revision()
    tables = set(inspect(eng).get_table_names())
    assert {"persons", "case_records", "audit_log", "quarantine", "users", "transfers", "returns"} <= tables
    db.upgrade(eng)  # idempotent
    assert db.current_revision(eng) == db.head_revision()


def test_sqlite_uses_wal(sqlite_store) -> None:
    eng = db.upgrade()
    with eng.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"


def test_postgres_url_forms_normalised() -> None:
    assert db.normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert db.normalise_url("sqlite:///x.db") == "sqlite:///x.db"
