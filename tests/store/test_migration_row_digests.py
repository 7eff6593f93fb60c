"""Migration 0014 drops the unkeyed row digests stored before it (they could confirm a guessed name);
the rows themselves stay."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from ctdata.store import db


def test_unkeyed_digests_are_dropped_and_rows_kept(store) -> None:
    eng = db.make_engine(store.url)
    cfg = db.alembic_config(eng)
    command.upgrade(cfg, "0013_recruitment_legal_funding")
    with eng.begin() as c:
        c.execute(text("INSERT INTO persons (person_key, created_at) VALUES (:k, CURRENT_TIMESTAMP)"), {"k": "a" * 32})
        pid = c.execute(text("SELECT id FROM persons")).scalar_one()
        c.execute(text(
            "INSERT INTO case_records (person_id, source, source_record_id, source_kind, agency, status, version, "
            "row_hash, created_at, updated_at) VALUES (:p, 'IOM', 'R1', 'case', 'IOM', 'screening', 1, :h, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"p": pid, "h": "f" * 32})
        c.execute(text(
            "INSERT INTO import_batches (kind, source, path, sha256, rows_read, loaded, already_present, quarantined, "
            "status, started_at) VALUES ('standard', 'IOM', 'x.csv', :s, 1, 0, 0, 1, 'done', CURRENT_TIMESTAMP)"),
            {"s": "0" * 64})
        bid = c.execute(text("SELECT id FROM import_batches")).scalar_one()
        c.execute(text(
            "INSERT INTO quarantine (batch_id, kind, table_name, row_number, raw_enc, reason, status, row_hash, "
            "created_at) VALUES (:b, 'standard', 'records', 2, :raw, 'sex: blue', 'open', :h, CURRENT_TIMESTAMP)"),
            {"b": bid, "raw": b"sealed", "h": "e" * 32})
    command.upgrade(cfg, "0014_keyed_row_digests")
    with eng.connect() as c:
        assert c.execute(text("SELECT source_record_id, row_hash FROM case_records")).one() == ("R1", None)
        assert c.execute(text("SELECT reason, row_hash FROM quarantine")).one() == ("sex: blue", None)
    command.upgrade(cfg, "head")
