"""Migration 0013 adds the recruitment, legal, funding and follow-up columns, empty on the rows before it,
and its downgrade removes them keeping the rows."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from ctdata.store import db

NEW = {
    "case_records": {"recruitment_tactics", "promised_job_enc", "promised_sector"},
    "assistance": {"legal_types", "funding_source", "funding_name"},
    "returns": {"follow_up_date", "reintegration_status"},
}


def _columns(eng, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(eng).get_columns(table)}


def test_columns_added_empty_and_removed_keeping_rows(store) -> None:
    eng = db.make_engine(store.url)
    cfg = db.alembic_config(eng)
    command.upgrade(cfg, "0012_user_language")
    with eng.begin() as c:
        c.execute(text("INSERT INTO persons (person_key, created_at) VALUES (:k, CURRENT_TIMESTAMP)"), {"k": "a" * 32})
        pid = c.execute(text("SELECT id FROM persons")).scalar_one()
        c.execute(text(
            "INSERT INTO case_records (person_id, source, source_record_id, source_kind, agency, status, version, "
            "created_at, updated_at) VALUES (:p, 'IOM', 'R1', 'case', 'IOM', 'screening', 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"), {"p": pid})
        # no child rows: on SQLite a downgrade rebuilds case_records, which a row referencing it forbids
    for table, names in NEW.items():
        assert not names & _columns(eng, table), table
    command.upgrade(cfg, "0013_recruitment_legal_funding")
    for table, names in NEW.items():
        assert names <= _columns(eng, table), table
    with eng.connect() as c:
        assert c.execute(text("SELECT recruitment_tactics, promised_sector FROM case_records")).one() == (None, None)
    command.downgrade(cfg, "0012_user_language")
    for table, names in NEW.items():
        assert not names & _columns(eng, table), table
    with eng.connect() as c:
        assert c.execute(text("SELECT source_record_id FROM case_records")).scalar_one() == "R1"
    command.upgrade(cfg, "head")
