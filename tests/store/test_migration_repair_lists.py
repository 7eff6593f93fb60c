"""Migration 0003 restores list values that early imports split into characters."""

from __future__ import annotations

from alembic import command
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ctdata.store import db
from ctdata.store.models import CaseRecord, Person


def _repair_module():
    import importlib.util

    path = db.MIGRATIONS / "versions" / "0003_repair_split_lists.py"
    spec = importlib.util.spec_from_file_location("repair_0003", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_upgrade_repairs_damaged_lists_and_leaves_good_ones(store) -> None:
    eng = db.make_engine(store.url)
    command.upgrade(db.alembic_config(eng), "0002_linkage")
    with db.session_scope(eng) as s:
        damaged = Person(person_key="a" * 32, languages=list("uz;ru"))  # the old import's mistake
        good = Person(person_key="b" * 32, languages=["ps", "fa"])
        s.add_all([damaged, good])
        s.flush()
        s.add_all(
            [
                CaseRecord(
                    person_id=damaged.id,
                    source="t",
                    source_record_id="1",
                    agency="IOM",
                    consent_sharing=list("IOM;UNHCR"),
                ),
                CaseRecord(person_id=good.id, source="t", source_record_id="2", agency="IOM", consent_sharing=["IOM"]),
            ]
        )
    with eng.connect() as c:
        assert c.exec_driver_sql("SELECT languages FROM persons ORDER BY person_key").scalars().all() == [
            "u;z;;;r;u",
            "ps;fa",
        ]
    command.upgrade(db.alembic_config(eng), "head")
    with db.session_scope(eng) as s:
        langs = s.scalars(select(Person.languages).order_by(Person.person_key)).all()
        sharing = s.scalars(select(CaseRecord.consent_sharing).order_by(CaseRecord.source_record_id)).all()
    assert langs == [["uz", "ru"], ["ps", "fa"]]
    assert sharing == [["IOM", "UNHCR"], ["IOM"]]
    eng.dispose()


codes = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC", min_size=2, max_size=6), min_size=1, max_size=4)


@given(codes)
def test_repair_inverts_the_damage_and_spares_correct_values(items: list[str]) -> None:
    repaired = _repair_module().repaired
    text = ";".join(items)
    assert repaired(";".join(list(text))) == text
    assert repaired(text) is None
