"""Migration 0003 restores list values that early imports split into characters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command
from hypothesis import given
from hypothesis import strategies as st

from ctdata.store import db


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
    # rows written as the schema of 0002 has them (today's models have columns 0002 lacks)
    persons = sa.table("persons", sa.column("id"), sa.column("person_key"), sa.column("languages"),
                       sa.column("created_at"))
    cases = sa.table("case_records", *[sa.column(c) for c in (
        "id", "person_id", "source", "source_record_id", "source_kind", "agency", "status", "consent_sharing",
        "version", "created_at", "updated_at")])
    now = datetime(2026, 1, 1)
    common = {"source": "t", "source_kind": "case", "agency": "IOM", "status": "screening", "version": 1,
              "created_at": now, "updated_at": now}
    with eng.begin() as c:
        c.execute(sa.insert(persons), [  # "u;z;;;r;u" is the old import's mistake for "uz;ru"
            {"id": 1, "person_key": "a" * 32, "languages": "u;z;;;r;u", "created_at": now},
            {"id": 2, "person_key": "b" * 32, "languages": "ps;fa", "created_at": now},
        ])
        c.execute(sa.insert(cases), [
            {"id": 1, "person_id": 1, "source_record_id": "1", "consent_sharing": "I;O;M;;;U;N;H;C;R", **common},
            {"id": 2, "person_id": 2, "source_record_id": "2", "consent_sharing": "IOM", **common},
        ])
    with eng.connect() as c:
        assert c.exec_driver_sql("SELECT languages FROM persons ORDER BY person_key").scalars().all() == [
            "u;z;;;r;u",
            "ps;fa",
        ]
    command.upgrade(db.alembic_config(eng), "0003_repair_split_lists")
    with eng.connect() as c:
        langs = c.exec_driver_sql("SELECT languages FROM persons ORDER BY person_key").scalars().all()
        sharing = c.exec_driver_sql("SELECT consent_sharing FROM case_records ORDER BY id").scalars().all()
    assert langs == ["uz;ru", "ps;fa"]
    assert sharing == ["IOM;UNHCR", "IOM"]
    eng.dispose()


codes = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC", min_size=2, max_size=6), min_size=1, max_size=4)


@given(codes)
def test_repair_inverts_the_damage_and_spares_correct_values(items: list[str]) -> None:
    repaired = _repair_module().repaired
    text = ";".join(items)
    assert repaired(";".join(list(text))) == text
    assert repaired(text) is None
