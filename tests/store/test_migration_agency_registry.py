"""Migration 0008 registers every agency code the store already holds."""

from __future__ import annotations

import importlib.util

from alembic import command
from sqlalchemy import select

from ctdata.store import db
from ctdata.store.models import Agency, CaseRecord, Person, Transfer, User


def _migration():  # type: ignore[no-untyped-def]
    path = db.MIGRATIONS / "versions" / "0008_agency_registry.py"
    spec = importlib.util.spec_from_file_location("agency_registry_0008", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _previous_revision() -> str:
    return _migration().down_revision


def test_upgrade_seeds_the_registry_from_stored_agencies(store) -> None:
    eng = db.make_engine(store.url)
    command.upgrade(db.alembic_config(eng), _previous_revision())
    with eng.begin() as c:
        p = c.execute(Person.__table__.insert().values(person_key="a" * 32)).inserted_primary_key[0]
        cases = c.execute(
            CaseRecord.__table__.insert().returning(CaseRecord.id),
            [
                {"person_id": p, "source": "IOM", "source_record_id": "R1", "agency": "IOM", "current_agency": "IOM"},
                # transferred: its current agency is another one
                {"person_id": p, "source": "ctdata", "source_record_id": "x", "agency": "ÖRK",
                 "current_agency": "UNHCR"},
            ],
        ).scalars().all()
        c.execute(
            Transfer.__table__.insert().values(
                case_id=cases[0], from_office_country="TH", from_agency="IOM", to_office_country="VN",
                to_agency="CARITAS", status="pending", requested_by="x",
            )
        )
        c.execute(User.__table__.insert().values(username="cw", password_hash="x", role="caseworker",
                                                 office_country="AT", agency="NGO-X", active=True, failed_logins=0))
        c.execute(User.__table__.insert().values(username="a", password_hash="x", role="admin", agency=None,
                                                 active=True, failed_logins=0))
    this = _migration().revision  # later migrations (free text encrypted) do not go back down
    command.upgrade(db.alembic_config(eng), this)
    with db.session_scope(eng) as s:
        rows = s.execute(select(Agency.code, Agency.name, Agency.created_by).order_by(Agency.code)).all()
        assert [tuple(r) for r in rows] == [
            (code, code, "migration") for code in ("CARITAS", "IOM", "NGO-X", "UNHCR", "ÖRK")
        ]
    command.downgrade(db.alembic_config(eng), _previous_revision())
    command.upgrade(db.alembic_config(eng), this)  # down and up again: the registry is rebuilt
    with db.session_scope(eng) as s:
        assert len(s.execute(select(Agency.code)).all()) == 5
    command.upgrade(db.alembic_config(eng), "head")
    with db.session_scope(eng) as s:
        assert len(s.execute(select(Agency.code)).all()) == 5
    eng.dispose()
