"""Web fixtures: the app on each store (SQLite and PostgreSQL), a client, bearer headers per role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.tx import transaction
from ctdata.store.models import User
from ctdata.web.app import create_app
from ctdata.web.security import LoginLimiter
from tests.cases.conftest import (  # noqa: F401  (fixtures re-exported for tests/web)
    CASE,
    CHILD,
    PASSWORD,
    PERSON,
    actors,
    database_url,
    engine,
    make_user,
    pg_database,
    sqlite_template,
)


@pytest.fixture
def app(database_url: str, engine):  # type: ignore[no-untyped-def]  # noqa: F811
    return create_app(database_url, login_limiter=LoginLimiter(per_username=50, per_client=1000))


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, headers={"accept": "application/json"})


def bearer(engine, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]  # noqa: F811
    """Headers with a fresh session token (no login round trip: argon2 is not what these tests test)."""
    with transaction(engine) as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return {"Authorization": f"Bearer {users.start_session(s, user).token}"}


@pytest.fixture
def headers(engine, actors) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]  # noqa: F811
    return {key: bearer(engine, actor.username) for key, actor in actors.items()}
