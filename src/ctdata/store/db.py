"""Engine, sessions and schema upgrades for the case store.

SQLite is the embedded default (WAL journal so readers do not block the
writer); PostgreSQL is used when CTDATA_DATABASE_URL points at it. The schema
is owned by Alembic migrations; `upgrade()` brings any store to the current
revision and every entry point calls it before touching data.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ctdata.config import settings
from ctdata.errors import ConfigError, StorageError
from ctdata.store import audit
from ctdata.store.files import private_file
from ctdata.store.keys import ensure_store_key

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB page cache: bulk imports maintain several indexes
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA secure_delete=ON")  # deleted and overwritten content is zeroed, not left in free space
    cur.close()


#: SQLite's words for a write the disk refused -> what to tell the user
_SQLITE_REFUSALS = (
    ("database or disk is full", "the disk holding the case store is full"),
    ("attempt to write a readonly database", "the case store is read-only"),
    ("unable to open database file", "the case store cannot be opened"),
    ("disk i/o error", "the disk holding the case store failed a read or write"),
)


def _where(url: Any) -> str:
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database).expanduser()
        folder = path.parent
        if not folder.is_dir():
            return f" ({folder} does not exist)"
        if not os.access(folder, os.W_OK) or _read_only_fs(folder):
            return (f" ({folder} is read-only: ctdata writes its store and journal there; to only check the "
                    "audit log of a read-only copy use `ctdata audit verify`)")
        return f" ({path})"
    return f" ({url.render_as_string()})"


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def refused_write(exc: BaseException, url: Any = None) -> StorageError | None:
    """A database error that is the disk's refusal (full, read-only), as one clear line; None for others.

    Takes SQLAlchemy's wrapped errors and the drivers' own (the bulk loader uses the driver's cursor).
    """
    orig = getattr(exc, "orig", None) or exc
    if url is None:
        try:
            url = make_url(normalise_url(settings().database_url))
        except (ArgumentError, ConfigError):
            return None
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate == "53100":
        return StorageError(f"the disk holding the PostgreSQL database is full{_where(url)}: nothing was changed")
    if sqlstate == "25006":
        return StorageError(f"the PostgreSQL database is read-only{_where(url)}: nothing was changed")
    if url.get_backend_name() == "sqlite" and isinstance(orig, sqlite3.Error):
        text_ = str(orig).lower()
        for words, said in _SQLITE_REFUSALS:
            if words in text_:
                return StorageError(f"{said}{_where(url)}: nothing was changed")
    return None


def _refused_write(context: Any) -> StorageError | None:
    """`refused_write` hooked on every engine (SQLAlchemy raises what it returns instead)."""
    url = context.engine.url if context.engine is not None else None
    return refused_write(context.original_exception, url) if url is not None else None


def scrub(eng: Engine, tables: tuple[str, ...] = ()) -> str:
    """Make content just deleted or overwritten unreadable in the database's files, as far as it can.

    SQLite: `secure_delete` (on for every connection) already zeroed the old content in the
    pages; the WAL still holds the earlier versions of those pages until a checkpoint, so the
    WAL is checkpointed and truncated to zero bytes. PostgreSQL: an UPDATE leaves the old row
    version (a dead tuple) in the table's file; VACUUM marks that space free for reuse, which
    is as far as an online database goes: it does not overwrite the bytes (VACUUM FULL rewrites
    the table into new files but leaves the old blocks to the file system), and the server's
    WAL segments and any base backups keep the old versions until they are recycled. Returns
    what was done, in words.
    """
    if eng.dialect.name == "sqlite":
        with eng.connect() as conn:
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if busy:
            return "SQLite: secure_delete zeroed the old content; the WAL is in use by another connection and " \
                "is truncated at its next checkpoint"
        return "SQLite: secure_delete zeroed the old content; WAL checkpointed and truncated"
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for t in tables:
            conn.exec_driver_sql(f'VACUUM "{t}"')
    return "PostgreSQL: VACUUM marked the old row versions free; their bytes may stay on disk until reused"


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str | None = None, *, connections: int = 30, keep: int | None = None) -> Engine:
    """An engine on the store; on PostgreSQL it opens at most `connections`, `keep` of them kept open when
    idle (default a third; the rest are closed after use, and opening one costs the server a process).

    Each process has its own pool and the server counts them all against its max_connections
    (100 by default), so N web workers share one budget (`ctdata.web.shared.WebSettings.db_connections`).
    """
    raw = normalise_url(url or settings().database_url)
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"CTDATA_DATABASE_URL is not a database URL: {raw!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("mode"):
            private_file(Path(parsed.database).expanduser())
        engine = create_engine(raw, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif parsed.get_backend_name() == "postgresql":
        kept = min(connections, keep) if keep is not None else max(1, connections // 3)
        engine = create_engine(raw, pool_size=kept, max_overflow=max(0, connections - kept), pool_pre_ping=True)
    else:
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
    event.listen(engine, "handle_error", _refused_write)
    return engine


def readonly_engine(url: str | None = None) -> Engine:
    """An engine that can only read: for checking a store (or a copy of one) without changing a byte.

    SQLite: the file is opened read-only; when its folder cannot be written either (a copy on
    read-only media) and no write-ahead log is beside it, it is opened as immutable, which needs
    no lock files. PostgreSQL: every transaction is READ ONLY.
    """
    raw = normalise_url(url or settings().database_url)
    parsed = make_url(raw)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").expanduser()
        if not path.is_file():
            raise ConfigError(f"no case store at {path}")
        wal = path.with_name(path.name + "-wal")
        writable = os.access(path.parent, os.W_OK) and not _read_only_fs(path.parent)
        if not writable and wal.exists() and wal.stat().st_size:
            # SQLite reads a write-ahead log only through a shared-memory file beside it, which a
            # read-only folder cannot hold: read a private copy of the two files instead.
            path = _private_copy(path, wal)
            writable = True
        mode = "mode=ro" if writable or wal.exists() else "immutable=1"
        eng = create_engine(f"sqlite:///file:{path}?{mode}&uri=true",
                            connect_args={"timeout": 30, "check_same_thread": False})
    elif parsed.get_backend_name() == "postgresql":
        eng = create_engine(raw, connect_args={"options": "-c default_transaction_read_only=on"})
    else:
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
    event.listen(eng, "handle_error", _refused_write)
    return eng


def _private_copy(path: Path, wal: Path) -> Path:
    """Copy a store and its write-ahead log into a private folder (0700) removed when the process ends."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="ctdata-verify-"))
    atexit.register(shutil.rmtree, folder, True)
    try:
        shutil.copyfile(path, folder / path.name)
        shutil.copyfile(wal, folder / wal.name)
    except OSError as exc:
        raise StorageError(f"{path} has a write-ahead log and its folder is read-only, and a private copy "
                           f"to read it could not be made: {exc.strerror}") from None
    return folder / path.name


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return engine_for(normalise_url(settings().database_url))


def alembic_config(eng: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = eng
    return cfg


def current_revision(eng: Engine) -> str | None:
    with eng.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


#: PostgreSQL advisory lock key that serialises schema upgrades (any number; fixed for ctdata)
MIGRATION_LOCK = 7042012
_migrating = threading.Lock()
_inside = threading.local()


@contextmanager
def _one_migration_at_a_time(eng: Engine) -> Iterator[None]:
    """Hold the store's migration lock: the server and CLI commands started together on a new store
    each upgrade its schema, and Alembic is safe neither across processes (PostgreSQL deadlocked
    creating the version table; SQLite said it already exists) nor across threads of one process."""
    if getattr(_inside, "yes", False):  # a migration that opens the store itself (e.g. for its key)
        yield
        return
    with _migrating:
        _inside.yes = True
        try:
            with _store_lock(eng):
                yield
        finally:
            _inside.yes = False


@contextmanager
def _store_lock(eng: Engine) -> Iterator[None]:
    """PostgreSQL: a session advisory lock. SQLite: an exclusive lock on a file beside the database."""
    if eng.dialect.name == "postgresql":
        with eng.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
        return
    database = eng.url.database if eng.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    lock = Path(database).with_name(Path(database).name + ".migrate.lock")
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError:  # a read-only folder: nobody can migrate it anyway, and the upgrade will say so
        yield
        return
    with os.fdopen(fd, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def upgrade(eng: Engine | None = None) -> Engine:
    """Bring the store's schema to the latest revision (a no-op when it is current)."""
    eng = eng or engine()
    try:
        if current_revision(eng) != head_revision():
            with _one_migration_at_a_time(eng):
                if current_revision(eng) != head_revision():  # another process may have done it meanwhile
                    command.upgrade(alembic_config(eng), "head")
        ensure_store_key(eng)
    except OperationalError as exc:
        raise ConfigError(f"cannot open the case store at {eng.url.render_as_string()}: {exc.orig}") from None
    return eng


@lru_cache(maxsize=8)
def _factory(eng: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=eng, expire_on_commit=False)


@contextmanager
def session_scope(eng: Engine | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    eng = eng or upgrade()
    session = _factory(eng)()
    audit.watch_keys(session)
    try:
        yield session
        session.commit()
    except Exception as exc:
        session.rollback()
        refused = refused_write(exc, eng.url)
        if refused is not None:
            raise refused from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
