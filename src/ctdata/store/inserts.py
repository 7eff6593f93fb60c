"""Insert rows unless a row with the same key exists: the first writer wins, nobody fails.

Why: "read, then insert what is missing" is a race when the server and CLI processes write at
once. On PostgreSQL (read committed) two transactions can both see a key missing and the second
insert fails on the unique index after all its work; on SQLite a process that read before it
took the write lock can do the same. `INSERT ... ON CONFLICT DO NOTHING` asks the database
instead, and RETURNING says which rows this transaction wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_INSERT = {"sqlite": sqlite_insert, "postgresql": pg_insert}


def insert_new(session: Session, model: type[Any], rows: list[dict[str, Any]], key: str) -> list[Any]:
    """Insert the rows whose `key` is not in `model`'s table yet; returns the keys this call inserted."""
    if not rows:
        return []
    insert = _INSERT[session.get_bind().dialect.name]
    column = getattr(model, key)
    stmt = insert(model).values(rows).on_conflict_do_nothing(index_elements=[key]).returning(column)
    return sorted(session.execute(stmt).scalars())
