"""Disable and enable accounts, reset passwords, end sessions: library, CLI and the admin page, all audited.

A disabled account cannot sign in and its live tokens and cookies stop working at once.
Runs on SQLite and PostgreSQL (tests/web/conftest.py).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.access import SYSTEM, NotAuthenticated
from ctdata.cases.tx import transaction
from ctdata.cli.user import user_admin_command
from ctdata.errors import Conflict, PermissionDenied
from ctdata.store.models import AuditEntry
from tests.web.conftest import PASSWORD, bearer
from tests.web.test_pages import csrf_in, followed, signed_in

P = "/api/v1"
NEW = "a-brand-new-secret"


def _login(client, username: str, password: str) -> int:  # type: ignore[no-untyped-def]
    return client.post(f"{P}/auth/login", json={"username": username, "password": password}).status_code


def _actions(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        return list(
            s.execute(
                select(AuditEntry.action).where(AuditEntry.action.like("user.%"), AuditEntry.action != "user.list")
            ).scalars()
        )


def test_cli_disable_enable_reset_and_end_sessions(client, engine, actors, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CTDATA_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    th = bearer(engine, "th")
    assert client.get(f"{P}/auth/me", headers=th).status_code == 200

    user_admin_command("disable", "th")
    assert "th disabled" in capsys.readouterr().out
    assert client.get(f"{P}/auth/me", headers=th).status_code == 401  # the live token stops at once
    assert _login(client, "th", PASSWORD) == 401

    user_admin_command("enable", "th")
    assert _login(client, "th", PASSWORD) == 200
    assert client.get(f"{P}/auth/me", headers=th).status_code == 401  # ended sessions stay ended

    th = bearer(engine, "th")
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW + "\n"))
    user_admin_command("reset-password", "th", password_stdin=True)
    assert client.get(f"{P}/auth/me", headers=th).status_code == 401
    assert _login(client, "th", PASSWORD) == 401 and _login(client, "th", NEW) == 200

    th = bearer(engine, "th")
    assert client.get(f"{P}/auth/me", headers=th).status_code == 200
    user_admin_command("end-sessions", "th")
    assert "session(s) of th ended" in capsys.readouterr().out
    assert client.get(f"{P}/auth/me", headers=th).status_code == 401

    assert _actions(engine)[-4:] == ["user.deactivate", "user.activate", "user.reset_password", "user.end_sessions"]
    with transaction(engine) as s:
        text = " ".join(str(e.details) for e in s.execute(select(AuditEntry)).scalars())
    assert NEW not in text and PASSWORD not in text


def test_only_admins_and_not_themselves(engine, actors):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        users.set_active(s, actors["dm"], "th", False)
    with pytest.raises(PermissionDenied), transaction(engine) as s:
        users.reset_password(s, actors["th"], "th", NEW)
    with pytest.raises(Conflict), transaction(engine) as s:
        users.set_active(s, actors["admin"], "admin", False)
    with transaction(engine) as s:
        users.set_active(s, SYSTEM, "vn", False)
    with pytest.raises(NotAuthenticated, match="^wrong username or password$"), transaction(engine) as s:
        users.authenticate(s, "vn", PASSWORD)


def test_admin_page(app, engine, actors, client):  # type: ignore[no-untyped-def]
    th_token = bearer(engine, "th")
    browser, _ = signed_in(app, engine, "admin")
    page = browser.get("/admin/users")
    assert page.status_code == 200 and 'id="user-th"' in page.text and "/admin/users" in page.text
    csrf = csrf_in(page.text)

    assert browser.post("/admin/users/th/disable", data={}).status_code == 403  # no CSRF token
    assert client.get(f"{P}/auth/me", headers=th_token).status_code == 200
    r = followed(browser, browser.post("/admin/users/th/disable", data={"csrf_token": csrf}))
    assert r.status_code == 200 and "th is disabled" in r.text
    assert client.get(f"{P}/auth/me", headers=th_token).status_code == 401
    assert _login(client, "th", PASSWORD) == 401
    r = followed(browser, browser.post("/admin/users/th/enable", data={"csrf_token": csrf}))
    assert r.status_code == 200 and _login(client, "th", PASSWORD) == 200

    r = browser.post("/admin/users/th/reset-password", data={"csrf_token": csrf, "password": "short"})
    assert r.status_code == 422 and "at least 8 characters" in r.text
    r = followed(browser, browser.post("/admin/users/th/reset-password", data={"csrf_token": csrf, "password": NEW}))
    assert r.status_code == 200 and _login(client, "th", NEW) == 200

    th_token = bearer(engine, "th")
    r = followed(browser, browser.post("/admin/users/th/end-sessions", data={"csrf_token": csrf}))
    assert r.status_code == 200 and "ended" in r.text
    assert client.get(f"{P}/auth/me", headers=th_token).status_code == 401
    r = browser.post("/admin/users/nobody/disable", data={"csrf_token": csrf})
    assert r.status_code == 404

    caseworker, _ = signed_in(app, engine, "th")
    assert caseworker.get("/admin/users").status_code == 403
    assert _actions(engine)[-4:] == ["user.deactivate", "user.activate", "user.reset_password", "user.end_sessions"]
