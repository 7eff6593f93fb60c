"""Accounts: argon2 hashes, lockout after repeated failures, sessions that expire, commands."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.access import SYSTEM, NotAuthenticated
from ctdata.cases.service import _fold, _name_matches
from ctdata.cases.tx import transaction
from ctdata.cli.agency import agency_add
from ctdata.cli.user import user_add_command, user_list_command
from ctdata.errors import Conflict, PermissionDenied, ValidationError
from ctdata.store.models import AuditEntry, AuthSession, LoginLockout, User
from tests.cases.conftest import PASSWORD, make_user


def test_real_argon2_hash_round_trip():
    h = users.PasswordHasher().hash("s3cret-pass")
    assert h.startswith("$argon2id$") and users.check_password(h, "s3cret-pass")
    assert not users.check_password(h, "s3cret-pasS") and not users.check_password("garbage", "x")


def test_create_user_rules(engine, actors):
    with transaction(engine) as s:
        stored = s.execute(select(User.password_hash).where(User.username == "th")).scalar_one()
        assert stored.startswith("$argon2") and PASSWORD not in stored
    for args, err in [
        (("x y", PASSWORD, "admin"), ValidationError),
        (("new", "short", "admin"), ValidationError),
        (("new", PASSWORD, "wizard"), ValidationError),
        (("new", PASSWORD, "caseworker"), ValidationError),  # no office
        (("th", PASSWORD, "analyst"), Conflict),
    ]:
        with pytest.raises(err):
            with transaction(engine) as s:
                users.create_user(s, SYSTEM, *args)
    with pytest.raises(PermissionDenied):
        with transaction(engine) as s:
            users.create_user(s, actors["th"], "new", PASSWORD, "admin")


def test_lockout_after_repeated_failures_is_per_source(engine, actors, monkeypatch):
    monkeypatch.setenv("CTDATA_MAX_FAILED_LOGINS", "3")
    from ctdata.config import reset_settings

    reset_settings()
    for _ in range(3):
        with transaction(engine) as s:
            with pytest.raises(NotAuthenticated):
                users.authenticate(s, "th", "wrong", "10.0.0.1")
    with transaction(engine) as s, pytest.raises(NotAuthenticated, match="^wrong username or password$"):
        users.authenticate(s, "th", PASSWORD, "10.0.0.1")  # right password, but locked for this source
    with transaction(engine) as s:  # the owner elsewhere is not locked out by the stranger
        assert users.authenticate(s, "th", PASSWORD, "10.0.0.2").username == "th"
    with transaction(engine) as s:
        u = s.execute(select(User).where(User.username == "th")).scalar_one()
        lock = s.execute(select(LoginLockout).where(LoginLockout.client == "10.0.0.1")).scalar_one()
        assert users.locked_until(s, u) == lock.locked_until is not None
        lock.locked_until = lock.locked_until - timedelta(hours=1)  # time passes
    with transaction(engine) as s:
        assert users.authenticate(s, "th", PASSWORD, "10.0.0.1").username == "th"
        reasons = s.execute(select(AuditEntry.reason).where(AuditEntry.action == "login_failed")).scalars().all()
        assert len(reasons) == 4 and "locked" in reasons[2] and reasons[3] == "account locked for this source"
        assert s.execute(select(LoginLockout)).first() is None  # a success forgets that source's failures


def test_unknown_user_and_disabled_account_fail_alike(engine, actors):
    with transaction(engine) as s:
        users.set_active(s, SYSTEM, "vn", False)
    for name in ("nobody", "vn"):
        with transaction(engine) as s, pytest.raises(NotAuthenticated, match="wrong username or password"):
            users.authenticate(s, name, PASSWORD)


def test_sessions_store_only_a_hash_and_expire(engine, actors):
    with transaction(engine) as s:
        u = s.execute(select(User).where(User.username == "th")).scalar_one()
        new = users.start_session(s, u)
    with transaction(engine) as s:
        row = s.execute(select(AuthSession)).scalar_one()
        assert row.token_hash == users.token_hash(new.token) and new.token not in row.token_hash
        actor, _ = users.session_actor(s, new.token)
        assert (actor.username, actor.role, actor.office_country) == ("th", "caseworker", "TH")
        row.expires_at = row.expires_at - timedelta(days=1)
    with transaction(engine) as s, pytest.raises(NotAuthenticated, match="expired"):
        users.session_actor(s, new.token)
    with transaction(engine) as s, pytest.raises(NotAuthenticated):
        users.session_actor(s, "forged")


def test_logout_revokes(engine, actors):
    with transaction(engine) as s:
        u = s.execute(select(User).where(User.username == "vn")).scalar_one()
        new = users.start_session(s, u)
        users.end_session(s, new.token)
    with transaction(engine) as s, pytest.raises(NotAuthenticated):
        users.session_actor(s, new.token)


def test_user_commands(engine, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    with pytest.raises(ValidationError, match="unknown agency 'IOM'.*ctdata agency add IOM"):
        user_add_command("amira", "caseworker", "th", "IOM", password_stdin=True)
    agency_add("iom", name="International Organization for Migration")
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    user_add_command("amira", "caseworker", "th", "IOM", password_stdin=True)
    assert "amira created with role caseworker (IOM TH)" in capsys.readouterr().out
    user_list_command(as_json=True)
    listed = json.loads(capsys.readouterr().out)
    assert [(u["username"], u["office_country"]) for u in listed] == [("amira", "TH")]
    with transaction(engine) as s:
        assert users.authenticate(s, "amira", "a-long-password").role == "caseworker"
    make_user(engine, "zed", "analyst")
    user_list_command()
    assert "zed" in capsys.readouterr().out


@given(st.lists(st.text(alphabet="abcdeéàñ", min_size=1, max_size=6), min_size=1, max_size=3))
def test_every_prefix_of_every_name_word_matches(words):
    given_name, family = " ".join(words[:-1]) or None, words[-1]
    for w in words:
        assert _name_matches([_fold(w[: max(1, len(w) // 2)])], given_name, family)
    assert not _name_matches(["zzz"], given_name, family)
