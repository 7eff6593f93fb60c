"""Settings for a bulk load inside one transaction (imports of large files).

SQLite keeps the pages of the tables and indexes being filled in its page
cache; the default connection cache (64 MB) is too small for a million-row
import whose indexes are written in random order, so the load raises it for
its own duration and puts it back afterwards. PostgreSQL needs nothing here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

#: page cache of a bulk load, in KiB (negative = size, as SQLite's PRAGMA cache_size takes it)
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def bulk_load(session: Session) -> Iterator[None]:
    """Run a bulk load with settings suited to it; restores the connection's settings afterwards."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.execute(text("PRAGMA cache_size")).scalar()
    conn.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
    try:
        yield
    finally:
        conn.execute(text(f"PRAGMA cache_size={int(before or -65536)}"))
