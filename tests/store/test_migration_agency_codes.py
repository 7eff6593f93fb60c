"""Migration 0006 rewrites stored agencies as canonical agency codes."""

from __future__ import annotations

import importlib.util

from alembic import command
from sqlalchemy import insert, select

from ctdata.store import db
from ctdata.store.models import CaseRecord, ImportBatch, Person, QuarantineRow, Transfer, User


def _previous_revision() -> str:
    path = db.MIGRATIONS / "versions" / "0006_agency_codes.py"
    spec = importlib.util.spec_from_file_location("agency_codes_0006", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod.down_revision


def test_upgrade_turns_agency_spellings_into_one_code(store) -> None:
    eng = db.make_engine(store.url)
    command.upgrade(db.alembic_config(eng), _previous_revision())
    with eng.begin() as conn:

        def add(model: type, **values: object) -> int:
            # Core inserts of the given columns (and Python-side defaults): later revisions add columns
            # the models know and this revision's tables do not
            table = model.__table__  # type: ignore[attr-defined]
            return conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()

        pid = add(Person, person_key="a" * 32)

        def case(source: str, rid: str, agency: str) -> int:
            return add(
                CaseRecord, person_id=pid, source=source, source_record_id=rid, agency=agency, current_agency=agency
            )

        cases = [
            case("iom", "R1", "iom"),  # a template import typed in lower case
            case("IOM", "R2", "IOM"),
            case("iom", "R3", "iom"),  # imported twice under two spellings: the source stays apart
            case("IOM", "R3", "IOM"),
            case("ctdata", "x1", "örk"),  # registered through the case services
            case("unknown", "R4", "unknown"),
        ]
        add(
            Transfer,
            case_id=cases[0],
            from_office_country="TH",
            from_agency="iom",
            to_office_country="VN",
            to_agency="Straße",
            status="pending",
            requested_by="x",
        )
        add(User, username="cw", password_hash="x", role="caseworker", office_country="AT", agency="Örk")
        batch = add(ImportBatch, kind="standard", source="standard", path="a.csv", sha256="0" * 64)
        add(QuarantineRow, batch_id=batch, kind="standard", row_number=2, raw_enc=b"x", reason="r", source="iom")
    command.upgrade(db.alembic_config(eng), "head")
    with db.session_scope(eng) as s:
        rows = s.execute(
            select(CaseRecord.source, CaseRecord.source_record_id, CaseRecord.agency, CaseRecord.current_agency)
            .order_by(CaseRecord.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("IOM", "R1", "IOM", "IOM"),
            ("IOM", "R2", "IOM", "IOM"),
            ("iom", "R3", "IOM", "IOM"),
            ("IOM", "R3", "IOM", "IOM"),
            ("ctdata", "x1", "ÖRK", "ÖRK"),
            ("UNKNOWN", "R4", "UNKNOWN", "UNKNOWN"),
        ]
        assert s.execute(select(Transfer.from_agency, Transfer.to_agency)).one() == ("IOM", "STRASSE")
        assert s.execute(select(User.agency)).scalar_one() == "ÖRK"
        assert s.execute(select(QuarantineRow.source)).scalar_one() == "IOM"
    eng.dispose()
