"""Store fixtures for case-service tests: each test runs on SQLite and on PostgreSQL.

SQLite: a copy of a migrated template file per test. PostgreSQL (127.0.0.1:5432,
trust auth): one fresh database per test session, emptied between tests, dropped
at the end. Each test gets its own data directory and key file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher

from ctdata.cases import users as users_mod
from ctdata.cases.access import SYSTEM, Actor
from ctdata.cases.tx import transaction
from ctdata.config import reset_settings
from ctdata.store import crypto, db

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"


def _reset_caches() -> None:
    reset_settings()
    db.engine_for.cache_clear()
    crypto.keyring_for.cache_clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    eng = db.make_engine(f"sqlite:///{path}")
    db.upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    name = f"ctdata_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.format(name=name)
    eng = db.make_engine(url)
    db.upgrade(eng)
    eng.dispose()
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_pg(url: str) -> None:
    """Delete every row and restart the id sequences (much faster than TRUNCATE for tiny tables).

    session_replication_role=replica switches off triggers for this session only, which
    includes the audit log's append-only trigger and the foreign-key checks.
    """
    with psycopg.connect(url.replace("postgresql://", "postgresql://", 1), autocommit=False) as conn:
        conn.execute("SET session_replication_role = replica")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        for t in tables:
            conn.execute(f'DELETE FROM "{t}"')
        for (seq,) in conn.execute(
            "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'"
        ).fetchall():
            conn.execute(f'ALTER SEQUENCE "{seq}" RESTART WITH 1')
        conn.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A migrated, empty store for this test; CTDATA_* point at it and the caches are reset."""
    if request.param == "sqlite":
        path = tmp_path / "ctdata.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        _empty_pg(url)
    monkeypatch.setenv("CTDATA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CTDATA_DATABASE_URL", url)
    monkeypatch.delenv("CTDATA_KEY_FILE", raising=False)
    # Cheap argon2 parameters keep the suite fast; the real ones are exercised by test_users.
    monkeypatch.setattr(users_mod, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    _reset_caches()
    yield url
    db.engine_for(db.normalise_url(url)).dispose()
    _reset_caches()
    os.environ.pop("CTDATA_TEST_MARKER", None)


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    from ctdata.cases.tx import store_engine

    return store_engine(database_url)


PASSWORD = "correct-horse-42"


def make_user(
    engine,
    username: str,
    role: str,
    office: str | None = None,  # type: ignore[no-untyped-def]
    agency: str | None = None,
) -> Actor:
    with transaction(engine) as s:
        ensure_agency(s, agency)
        u = users_mod.create_user(s, SYSTEM, username, PASSWORD, role, office, agency)
        return Actor.of(u)


def ensure_agency(session, code: str) -> str | None:  # type: ignore[no-untyped-def]
    """Register an agency unless it is registered (a test factory's shortcut; the service refuses repeats)."""
    from ctdata.cases.agencies import register_agency
    from ctdata.standard.types import parser_for
    from ctdata.store.models import Agency

    try:
        code = parser_for("agency")(code)
    except ValueError:
        return None  # not a code: the service under test says so
    if code is not None and session.get(Agency, code) is None:
        register_agency(session, SYSTEM, code, None)
    return code


@pytest.fixture
def actors(engine) -> dict[str, Actor]:  # type: ignore[no-untyped-def]
    """admin, data_manager, caseworkers of IOM TH (th, th2) and IOM VN (vn), an analyst, a public user."""
    return {
        "admin": make_user(engine, "admin", "admin"),
        "dm": make_user(engine, "dm", "data_manager", None, "IOM"),
        "th": make_user(engine, "th", "caseworker", "TH", "IOM"),
        "th2": make_user(engine, "th2", "caseworker", "TH", "IOM"),
        "vn": make_user(engine, "vn", "caseworker", "VN", "IOM"),
        "analyst": make_user(engine, "analyst", "analyst"),
        "public": make_user(engine, "public", "public"),
    }


PERSON = {
    "given_name": "Mai",
    "family_name": "Tran",
    "date_of_birth": "1995-06-01",
    "sex": "female",
    "citizenship": ["VN"],
    "id_document_number": "C1234567",
}
CHILD = {
    "given_name": "Linh",
    "family_name": "Pham",
    "date_of_birth": "2012-02-03",
    "sex": "female",
    "citizenship": ["VN"],
}
CASE = {"office_country": "TH", "registration_date": "2024-03-01"}
