"""Migration 0006 rewrites stored agencies as canonical agency codes."""

from __future__ import annotations

import importlib.util

from alembic import command
from sqlalchemy import select

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
    with db.session_scope(eng) as s:
        p = Person(person_key="a" * 32)
        s.add(p)
        s.flush()

        def case(source: str, rid: str, agency: str) -> CaseRecord:
            return CaseRecord(
                person_id=p.id, source=source, source_record_id=rid, agency=agency, current_agency=agency
            )

        cases = [
            case("iom", "R1", "iom"),  # a template import typed in lower case
            case("IOM", "R2", "IOM"),
            case("iom", "R3", "iom"),  # imported twice under two spellings: the source stays apart
            case("IOM", "R3", "IOM"),
            case("ctdata", "x1", "örk"),  # registered through the case services
            case("unknown", "R4", "unknown"),
        ]
        s.add_all(cases)
        s.flush()
        s.add(
            Transfer(
                case_id=cases[0].id,
                from_office_country="TH",
                from_agency="iom",
                to_office_country="VN",
                to_agency="Straße",
                status="pending",
                requested_by="x",
            )
        )
        s.add(User(username="cw", password_hash="x", role="caseworker", office_country="AT", agency="Örk"))
        batch = ImportBatch(kind="standard", source="standard", path="a.csv", sha256="0" * 64)
        s.add(batch)
        s.flush()
        s.add(QuarantineRow(batch_id=batch.id, kind="standard", row_number=2, raw_enc=b"x", reason="r", source="iom"))
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
