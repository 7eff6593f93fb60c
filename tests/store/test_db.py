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


def test_processes_opening_a_new_store_at_once(store) -> None:
    """The server and CLI commands started together on a new store each brought its schema up to date:
    on PostgreSQL they deadlocked creating the version table. Migrations now run one at a time."""
    import threading

    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            db.upgrade(db.make_engine())
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a migration is stuck"
    assert not errors, errors
    assert db.current_revision(db.make_engine()) == db.head_revision()
