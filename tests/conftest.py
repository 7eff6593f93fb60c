"""Shared fixtures: an isolated case store on SQLite and on a real PostgreSQL 15.

Store tests take the `store` fixture, which is parametrised over both
backends. PostgreSQL is the server the machine runs (127.0.0.1:5432, or
CTDATA_TEST_PG_URL); each test session creates its own database and drops
it at the end. CI installs and starts the server; the tests never skip it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

# No test may reach the user's own store: a session fixture that migrates a template store before any test
# sets CTDATA_* read the default data directory (platformdirs), and after `ctdata demo` had put a store and
# key there the template recorded that key, so 136 tests failed and 39 errored with a key conflict. Every
# test process starts from a data directory of its own, empty, and no configured database or key file.
os.environ["CTDATA_DATA_DIR"] = tempfile.mkdtemp(prefix="ctdata-test-home-")
for _name in ("CTDATA_DATABASE_URL", "CTDATA_KEY_FILE", "CTDATA_CONFIG"):
    os.environ.pop(_name, None)

# Time is no test here: CI shares 2 cores with Spark and Chromium, so Hypothesis' per-example deadline
# and its "too slow" health check measure the machine's load, not the rule under test.
settings.register_profile("ctdata", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ctdata")

PG_ADMIN = os.environ.get("CTDATA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def reset_caches() -> None:
    from ctdata.config import reset_settings
    from ctdata.store import crypto, db

    reset_settings()
    db.engine_for.cache_clear()
    db._factory.cache_clear()
    crypto.keyring_for.cache_clear()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    name = f"ctdata_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from ctdata.store import db

    db.engine_for.cache_clear()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Store:
    backend: str
    url: str
    data_dir: Path


def _pg_reset(url: str) -> None:
    """Empty the per-session PostgreSQL database between tests (schema and all)."""
    from sqlalchemy import create_engine, text

    from ctdata.store.db import normalise_url

    eng = create_engine(normalise_url(url))
    with eng.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """An empty, isolated store (and data directory) on each backend."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("CTDATA_DATA_DIR", str(data_dir))
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_server_url")
        _pg_reset(url)
    else:
        url = f"sqlite:///{data_dir / 'ctdata.db'}"
    monkeypatch.setenv("CTDATA_DATABASE_URL", url)
    reset_caches()
    yield Store(request.param, url, data_dir)
    from ctdata.store import db

    for eng in list(_engines()):
        eng.dispose()
    db.engine_for.cache_clear()
    reset_caches()


def _engines() -> Iterator[object]:
    from ctdata.store import db

    try:
        yield db.engine()
    except Exception:  # noqa: BLE001 - best-effort cleanup
        return


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Only SQLite: for tests of file handling where the backend does not matter."""
    data_dir = tmp_path / "data"
    url = f"sqlite:///{data_dir / 'ctdata.db'}"
    monkeypatch.setenv("CTDATA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CTDATA_DATABASE_URL", url)
    reset_caches()
    yield Store("sqlite", url, data_dir)
    reset_caches()


#: The one Spark session of a test run: local[2] with one shuffle partition (the tests' data is small,
#: and every extra partition is a task's overhead on every query).
SPARK_TEST_SETTINGS = {"master": "local[2]", "shuffle_partitions": 1, "driver_memory": "1g", "app_name": "ctdata-tests"}


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """The process's Spark session, started once per test run (a JVM start costs several seconds).

    PySpark comes with the `spark` extra that the test extras pull in, and Java with the machine
    (scripts/test.sh installs it where missing): the Spark tests never skip.
    """
    from ctdata import spark_session

    yield spark_session.session(spark_session.SparkSettings(**SPARK_TEST_SETTINGS))
    spark_session.stop()
