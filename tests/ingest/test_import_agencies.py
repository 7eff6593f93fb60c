"""An import registers the agencies of the rows it loads and names them in its summary."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ctdata.cases.access import SYSTEM
from ctdata.cases.agencies import list_agencies, register_agency
from ctdata.cases.tx import transaction
from ctdata.ingest.ctdc_import import import_ctdc
from ctdata.ingest.quarantine import list_rows, retry
from ctdata.ingest.standard_import import import_standard
from ctdata.store import audit, db
from ctdata.store.models import AuditEntry

from .helpers import ctdc_row, record, write_ctdc, write_records


def _codes() -> list[str]:
    with db.session_scope() as s:
        return [a["code"] for a in list_agencies(s)]


def test_an_import_registers_its_agencies_and_reports_them(store, tmp_path: Path) -> None:
    with transaction() as s:
        register_agency(s, SYSTEM, "IOM", "International Organization for Migration")
    rows = [record(0, agency="iom"), record(1, agency="ÖRK"), record(2, agency="örk"), record(3, agency="Caritas"),
            record(4, agency="NGO-X", sex="not a sex")]  # quarantined: its agency is not registered
    res = import_standard(write_records(tmp_path / "records.csv", rows), actor="dm")
    assert (res.loaded, res.quarantined) == (4, 1)
    assert res.agencies_registered == ["CARITAS", "ÖRK"]
    assert res.to_dict()["agencies_registered"] == ["CARITAS", "ÖRK"]
    assert any("CARITAS, ÖRK" in n for n in res.notices)
    assert _codes() == ["CARITAS", "IOM", "ÖRK"]
    with db.session_scope() as s:
        q = select(AuditEntry).where(AuditEntry.action == "agency.create", AuditEntry.actor == "dm")
        assert s.execute(q).scalar_one().details["codes"] == ["CARITAS", "ÖRK"]
        imp = s.execute(select(AuditEntry).where(AuditEntry.action == "import")).scalar_one()
        assert imp.details["agencies_registered"] == ["CARITAS", "ÖRK"]
        assert audit.verify(s).ok
    again = import_standard(write_records(tmp_path / "records.csv", rows), actor="dm")
    assert again.agencies_registered == [] and again.to_dict()["agencies_registered"] == []
    # the quarantined row, corrected, loads under its agency and registers it
    (q,) = list_rows()
    out = retry([q["id"]], {"sex": "female"}, actor="dm")
    assert out["loaded"] == 1 and out["agencies_registered"] == ["NGO-X"]
    assert _codes() == ["CARITAS", "IOM", "NGO-X", "ÖRK"]


def test_a_ctdc_import_registers_its_agency(store, tmp_path: Path) -> None:
    res = import_ctdc(write_ctdc(tmp_path / "ctdc.csv", [ctdc_row(), ctdc_row()]))
    assert res.loaded == 2 and res.agencies_registered == ["CTDC"]
    assert _codes() == ["CTDC"]
    assert import_ctdc(tmp_path / "ctdc.csv").agencies_registered == []


def test_a_partner_registered_meanwhile_by_another_import(store) -> None:
    """Two imports of one new partner at once: both saw it missing; the second used to fail on the
    registry's unique key after all its work. Now the first writer registers it and the other goes on."""
    from sqlalchemy import event, text

    from ctdata.cases.agencies import register_imported

    eng = db.upgrade()
    fired: list[bool] = []

    def before(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if not fired and statement.lstrip().upper().startswith("INSERT INTO AGENCIES"):
            fired.append(True)
            other = db.make_engine()
            with other.begin() as c:  # the other import commits its registration first
                c.execute(text("INSERT INTO agencies (code, name, created_at, created_by) "
                               "VALUES ('NGO-Y', 'NGO-Y', CURRENT_TIMESTAMP, 'other')"))
            other.dispose()

    event.listen(eng, "before_cursor_execute", before)
    try:
        with transaction(eng) as s:
            assert register_imported(s, "dm", ["NGO-Y", "NGO-Z"], None) == ["NGO-Z"]
    finally:
        event.remove(eng, "before_cursor_execute", before)
    assert fired and _codes() == ["NGO-Y", "NGO-Z"]
