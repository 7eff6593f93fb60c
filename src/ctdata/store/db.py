"""Engine, sessions and schema upgrades for the case store.

SQLite is the embedded default (WAL journal so readers do not block the
writer); PostgreSQL is used when CTDATA_DATABASE_URL points at it. The schema
is owned by Alembic migrations; `upgrade()` brings any store to the current
revision and every entry point calls it before touching data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ctdata.config import settings
from ctdata.errors import ConfigError
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
    cur.close()


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str | None = None) -> Engine:
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
        engine = create_engine(raw, pool_size=10, max_overflow=20, pool_pre_ping=True)
    else:
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r} (use sqlite or postgresql)")
    return engine


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


def upgrade(eng: Engine | None = None) -> Engine:
    """Bring the store's schema to the latest revision (a no-op when it is current)."""
    eng = eng or engine()
    try:
        if current_revision(eng) != head_revision():
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
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
