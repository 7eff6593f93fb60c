"""Migration 0011 turns the first revision's one-value perpetrator columns into code lists, keeping values."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from ctdata.store import db
from ctdata.store.models import CaseRecord, Perpetrator, Person


def test_a_perpetrator_written_before_keeps_its_values(store) -> None:
    eng = db.make_engine(store.url)
    command.upgrade(db.alembic_config(eng), "0010_case_void")
    with eng.begin() as c:
        p = c.execute(Person.__table__.insert().values(person_key="a" * 32)).inserted_primary_key[0]
        cid = c.execute(CaseRecord.__table__.insert().values(
            person_id=p, source="IOM", source_record_id="R1", agency="IOM")).inserted_primary_key[0]
        c.execute(text("INSERT INTO perpetrators (case_id, role, sex, citizenship) "
                       "VALUES (:c, 'recruiter', 'male', 'VN')"), {"c": cid})
    command.upgrade(db.alembic_config(eng), "0011_perpetrators")  # its own revision: later ones are not its test
    with eng.connect() as c:
        row = c.execute(select(Perpetrator.roles, Perpetrator.sex, Perpetrator.citizenship, Perpetrator.grouped)).one()
        region = c.execute(select(CaseRecord.origin_region)).scalar_one()
    assert row == (["recruiter"], ["male"], ["VN"], False)
    assert region is None
    command.downgrade(db.alembic_config(eng), "0010_case_void")
    with eng.connect() as c:
        assert c.execute(text("SELECT role, sex FROM perpetrators")).one() == ("recruiter", "male")
