"""The offline draft key: one per session, for case workers only, gone with the session; the service worker
script; signing out clears the browser's storage."""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.tx import transaction
from ctdata.store.models import AuthSession
from tests.web.test_pages import signed_in


def _key(body: dict[str, str]) -> bytes:
    return base64.urlsafe_b64decode(body["key"] + "==")


def test_a_session_has_one_key_that_ends_with_it(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    first = client.get("/offline/key")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    body = first.json()
    assert len(_key(body)) == 32 and body["csrf"] == csrf
    assert _key(client.get("/offline/key").json()) == _key(body)
    with transaction(engine) as s:
        expires = s.execute(select(AuthSession.expires_at).order_by(AuthSession.id.desc())).scalars().first()
    assert datetime.fromisoformat(body["expires_at"].removesuffix("Z")) == expires

    other, _ = signed_in(app, engine, "th")  # another session of the same account: another key
    assert _key(other.get("/offline/key").json()) != _key(body)

    r = client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["clear-site-data"] == '"cache", "storage"'
    assert client.get("/offline/key").status_code in (303, 401)


def test_only_case_workers_get_a_key(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "analyst")
    assert client.get("/offline/key").status_code == 403
    from fastapi.testclient import TestClient

    assert TestClient(app, follow_redirects=False).get("/offline/key").status_code in (303, 401)


def test_the_key_is_derived_from_the_session_and_refused_after_it(engine, actors) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from ctdata.cases.access import NotAuthenticated
    from ctdata.store.models import User

    with transaction(engine) as s:
        user = s.execute(select(User).where(User.username == "th")).scalar_one()
        new = users.start_session(s, user)
        key, expires = users.draft_key(s, new.token)
        assert len(key) == 32 and expires == new.expires_at
        assert users.draft_key(s, new.token)[0] == key
        users.end_session(s, new.token)
    with transaction(engine) as s, pytest.raises(NotAuthenticated):
        users.draft_key(s, new.token)


def test_service_worker_is_served_from_the_root(app) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    r = TestClient(app).get("/sw.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")
    assert r.headers["service-worker-allowed"] == "/" and "caches.open" in r.text


SCREENED = {"given_name": "Lan", "family_name": "Draftsent", "registration_date": "2024-05-02",
            "actions": "recruitment", "purposes": "forced_labour", "age_at_exploitation": "15"}


def test_a_draft_sent_twice_is_one_case(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """An offline draft whose answer was lost is sent again: the second sending registers nothing."""
    from sqlalchemy import func

    from ctdata.store.models import CaseRecord, Screening

    client, csrf = signed_in(app, engine, "th")
    draft = {"csrf_token": csrf, **SCREENED, "draft_id": "0123456789abcdef0123456789ABCDEF"}
    first = client.post("/screening/register", data=draft)
    second = client.post("/screening/register", data=draft)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(CaseRecord)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(Screening)).scalar_one() == 1
    # without a draft id every registration is a new case, as before
    assert client.post("/screening/register", data={"csrf_token": csrf, **SCREENED}).status_code == 303
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(CaseRecord)).scalar_one() == 2

    other, other_csrf = signed_in(app, engine, "th2")  # the same id from another account: refused
    r = other.post("/screening/register", data={**draft, "csrf_token": other_csrf})
    assert r.status_code == 422 and "another account" in r.text
    r = client.post("/screening/register", data={**draft, "draft_id": "not-hex"})
    assert r.status_code == 422 and "hexadecimal" in r.text
