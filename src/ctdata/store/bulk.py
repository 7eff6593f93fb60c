"""Settings for a bulk load inside one transaction (imports of large files).

SQLite keeps the pages of the tables and indexes being filled in its page
cache; the default connection cache (64 MB) is too small for a million-row
import, so the load raises it for its own duration and puts it back afterwards.

A large load into a table that is small compared with the load also drops the
table's secondary indexes first and builds them again at the end: SQLite
builds an index from sorted keys much faster than it inserts a million keys in
random order (``person_key`` is an HMAC, offices and years are unordered).
SQLite DDL is transactional, so the drop, the rows and the rebuilt indexes
commit together, and a failure anywhere rolls back to the old indexes: other
connections never see the table without them. Indexes that back a UNIQUE
constraint are never dropped (re-import look-ups and integrity need them).
PostgreSQL needs none of this here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ctdata.errors import CtdataError

#: page cache of a bulk load, in KiB (negative = size, as SQLite's PRAGMA cache_size takes it)
BULK_CACHE_KIB = 256 * 1024
#: secondary indexes are rebuilt only for loads of at least this many rows ...
REBUILD_MIN_ROWS = 50_000
#: ... that are at least this multiple of the rows the table already holds
REBUILD_MIN_RATIO = 1.0


def _indexes(conn, table: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": table},
    )
    return [(name, sql) for name, sql in rows if not sql.upper().startswith("CREATE UNIQUE")]


@contextmanager
def bulk_load(session: Session, expected_rows: int = 0, tables: tuple[str, ...] = ()) -> Iterator[list[str]]:
    """Run a bulk load of about ``expected_rows`` rows into ``tables`` with settings suited to it.

    Yields the names of the indexes it dropped (rebuilt when the block succeeds).
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield []
        return
    before = conn.execute(text("PRAGMA cache_size")).scalar()
    conn.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
    dropped: list[tuple[str, str]] = []
    try:
        if expected_rows >= REBUILD_MIN_ROWS:
            for table in tables:
                held = (
                    conn.execute(
                        text(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT :n)"),
                        {"n": int(expected_rows / REBUILD_MIN_RATIO) + 1},
                    ).scalar()
                    or 0
                )
                if expected_rows >= held * REBUILD_MIN_RATIO:
                    for name, sql in _indexes(conn, table):
                        conn.execute(text(f'DROP INDEX "{name}"'))
                        dropped.append((name, sql))
        yield [name for name, _sql in dropped]
        for _name, sql in dropped:
            conn.execute(text(sql))
    finally:
        conn.execute(text(f"PRAGMA cache_size={int(before or -65536)}"))


@contextmanager
def deferred_foreign_keys(eng: Engine, tables: tuple[str, ...]) -> Iterator[Session]:
    """One transaction on a connection of its own with SQLite's per-row foreign-key checks off;
    every table in `tables` is checked at once before the commit (a violation rolls everything back).

    SQLite checks each inserted row's parents with an index look-up; ``PRAGMA foreign_key_check``
    does the same for whole tables in one pass of C, for a fifth of the insert cost of the
    companion tables. The setting cannot change inside a transaction, so it is made before the
    first write and put back after the commit or rollback, before the connection goes back to
    the pool (and a connection that could not be reset is discarded).
    """
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        session = Session(bind=conn, expire_on_commit=False)
        try:
            yield session
            session.flush()
            bad = [row for t in tables for row in session.execute(text(f"PRAGMA foreign_key_check({t})")).fetchmany(5)]
            if bad:
                raise CtdataError(f"the import would leave rows without their parent ({bad[0][0]} row {bad[0][1]})")
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            try:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
            except BaseException:
                conn.invalidate()
                raise
