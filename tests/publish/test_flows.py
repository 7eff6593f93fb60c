"""Release workflows: who may create, approve and withdraw, checked against the store's accounts, all audited."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from ctdata.cases.access import SYSTEM, Actor
from ctdata.cases.tx import transaction
from ctdata.cases.users import create_user
from ctdata.errors import PermissionDenied, ValidationError
from ctdata.publish.flows import approve_release, create_release, withdraw_release
from ctdata.publish.releases import ReleaseRegistry
from ctdata.publish.settings import KAnonSettings
from ctdata.store.models import AuditEntry, User
from tests.cases.conftest import ensure_agency
from tests.publish.conftest import make_rows


def _account(username: str, role: str, **kw: str) -> Actor:
    with transaction() as s:
        ensure_agency(s, kw.get("agency"))
        return Actor.of(create_user(s, SYSTEM, username, "a-long-password", role, **kw))


def _disable(actor: Actor) -> None:
    with transaction() as s:
        s.execute(select(User).where(User.username == actor.username)).scalar_one().active = False


def _audit() -> list[tuple[str, str, str | None]]:
    with transaction() as s:
        rows = s.execute(select(AuditEntry).where(AuditEntry.entity == "release").order_by(AuditEntry.id)).scalars()
        return [(e.action, e.actor, e.reason) for e in rows]


@pytest.fixture
def draft(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    reg = ReleaseRegistry(tmp_path / "releases")
    maker = _account("maker", "data_manager")
    entry, _ = create_release(maker, KAnonSettings(k=5), records=make_rows(400), registry=reg)
    return reg, maker, entry.release_id


def test_approval_needs_an_active_data_manager_account_other_than_the_creator(draft) -> None:  # type: ignore[no-untyped-def]
    reg, maker, rid = draft
    caseworker = _account("cw", "caseworker", office_country="TH", agency="IOM")
    analyst = _account("an", "analyst")
    retired = _account("old-dm", "data_manager")
    _disable(retired)
    refused = [
        Actor("nobody-at-all", "data_manager"),  # no account at all
        caseworker,
        replace(analyst, role="data_manager"),  # the role claimed is not the account's
        replace(caseworker, username="maker"),  # another account's id under the creator's name
        retired,
        maker,  # four eyes
        SYSTEM,  # the command line's own actor is no account
    ]
    for actor in refused:
        with pytest.raises(PermissionDenied):
            approve_release(actor, rid, registry=reg)
        assert reg.get(rid).state == "draft"
    checker = _account("checker", "data_manager")
    assert approve_release(checker, rid, registry=reg).state == "approved"
    assert [e.release_id for e in reg.public()] == [rid]
    log = _audit()
    assert log[0][:2] == ("release_create", "maker") and log[-1][:2] == ("release_approve", "checker")
    denied = [(actor, reason) for action, actor, reason in log if action == "access_denied"]
    assert [a for a, _ in denied] == [a.username for a in refused]
    assert denied[0][1] == "no such account" and "caseworker" in denied[1][1] and denied[4][1] == "account disabled"


def test_create_and_withdraw_need_the_right_roles(draft) -> None:  # type: ignore[no-untyped-def]
    reg, maker, rid = draft
    caseworker = _account("cw", "caseworker", office_country="TH", agency="IOM")
    with pytest.raises(PermissionDenied):
        create_release(caseworker, KAnonSettings(k=5), records=make_rows(50), registry=reg)
    analyst = _account("an", "analyst")
    entry, _ = create_release(analyst, KAnonSettings(k=5), records=make_rows(50), registry=reg)
    assert entry.created_by == "an" and entry.state == "draft"
    with pytest.raises(PermissionDenied):
        withdraw_release(analyst, rid, "not mine to withdraw", registry=reg)
    with pytest.raises(ValidationError):
        withdraw_release(maker, rid, "  ", registry=reg)
    assert withdraw_release(maker, rid, "wrong year range", registry=reg).state == "withdrawn"
    assert ("release_withdraw", "maker") in [(a, b) for a, b, _ in _audit()]
