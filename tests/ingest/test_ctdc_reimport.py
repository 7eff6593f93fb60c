"""A corrected CTDC release (SQLite and PostgreSQL): the same release with some rows changed updates those
records, audited and counted as updated, instead of adding the release again (the counts doubled); the same
file again changes nothing; a file of another name is another release; records the corrected file does not
load stay and are said. The standard template does the same with its record ids."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from ctdata.ingest.ctdc_import import import_ctdc, release_name
from ctdata.ingest.standard_import import import_standard
from ctdata.store import audit, db
from ctdata.store.models import AuditEntry, CaseRecord, Person

from .helpers import ctdc_row, record, write_ctdc, write_records


def _rows() -> list[dict[str, str]]:
    return [ctdc_row(citizenship=c, gender=g) for c, g in
            (("UA", "Female"), ("VN", "Male"), ("TH", "Female"), ("PH", "Female"), ("MD", "Male"))]


def _records(source: str | None = None) -> list[tuple[str, str, str | None, int]]:
    with db.session_scope() as s:
        q = select(CaseRecord.source_record_id, Person.sex, CaseRecord.version, CaseRecord.source).join(
            Person, Person.id == CaseRecord.person_id).order_by(CaseRecord.id)
        return [(rid, sex, src, v) for rid, sex, v, src in s.execute(q) if source is None or src == source]


def test_a_corrected_release_updates_its_records(store, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = import_ctdc(write_ctdc(tmp_path / "a" / "ctdc_global_kanon.csv.gz", _rows(), gz=True))
    assert first.inserted == 5
    before = _records()
    source = before[0][2]

    rows = _rows()
    rows[1]["gender"] = "Female"  # the release's corrections
    rows[3]["CountryOfExploitation"] = "TH"
    (tmp_path / "b").mkdir()
    fixed = import_ctdc(write_ctdc(tmp_path / "b" / "ctdc_global_kanon.csv.gz", rows, gz=True))
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.quarantined) == (0, 2, 3, 0)
    after = _records()
    assert len(after) == 5 and {r[2] for r in after} == {source}  # no record twice
    assert [r[0] for r in after] == [r[0] for r in before]
    assert after[1][1] == "female" and before[1][1] == "male"
    assert [r[3] for r in after] == [1, 2, 1, 2, 1]  # the changed records got a new version
    with db.session_scope() as s:
        q = select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id.desc())
        entry = s.scalars(q).first()
        assert entry is not None and entry.details["updated"] == 2
        assert entry.details["affected_ids_digest"] == audit.digest_ids(
            s.scalars(select(CaseRecord.id).where(CaseRecord.version == 2)).all())

    again = import_ctdc(tmp_path / "b" / "ctdc_global_kanon.csv.gz")  # the same file: nothing changes
    assert (again.inserted, again.updated, again.already_present) == (0, 0, 5)

    shorter = import_ctdc(write_ctdc(tmp_path / "ctdc_global_kanon.csv", rows[:3] + [ctdc_row(gender="Blue")]))
    assert (shorter.inserted, shorter.already_present, shorter.quarantined) == (0, 3, 1)
    assert any("2 record(s) of this release imported before were not loaded" in n for n in shorter.notices)
    assert len(_records()) == 5  # kept, not lost

    other = import_ctdc(write_ctdc(tmp_path / "ctdc_synthetic_2024.csv", _rows()))  # another release
    assert other.inserted == 5
    with db.session_scope() as s:
        assert s.execute(select(func.count()).select_from(CaseRecord)).scalar() == 10


def test_release_name_ignores_the_file_type() -> None:
    assert release_name(Path("/x/CTDC_Global Kanon.csv.gz")) == release_name(Path("ctdc_global kanon.CSV")) \
        == "ctdc_global-kanon"
    assert release_name(Path("a/ctdc_global_kanon_2021-07-15.csv.gz")) == "ctdc_global_kanon_2021-07-15"
    assert release_name(Path("b/ctdc_global_kanon_2021-07-15.xlsx")) == "ctdc_global_kanon_2021-07-15"


def test_the_standard_template_updates_a_corrected_record_alike(store, tmp_path: Path) -> None:
    import_standard(write_records(tmp_path / "records.csv", [record(i) for i in range(3)]))
    fixed = import_standard(write_records(tmp_path / "records.csv", [record(0), record(1, sex="male"), record(2)]))
    assert (fixed.inserted, fixed.updated, fixed.already_present) == (0, 1, 2)
    assert [r[1] for r in _records()] == ["female", "male", "female"]


def test_a_corrected_victim_perpetrator_release_updates_the_grouped_perpetrator_row(store, tmp_path: Path) -> None:
    """One grouped perpetrator row per victim: a corrected one replaces the victim's row, not adds a second."""
    from ctdata.store.models import Perpetrator

    from .test_ctdc_vp_import import vp_row, write_vp

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    import_ctdc(write_vp(tmp_path / "a" / "ctdc_vp.csv.gz", [vp_row(), vp_row(IP_Gender="Male")]))
    fixed = import_ctdc(write_vp(tmp_path / "b" / "ctdc_vp.csv.gz", [vp_row(), vp_row(IP_Gender="Female")]))
    assert (fixed.inserted, fixed.updated, fixed.already_present) == (0, 1, 1)
    per = fixed.tables["perpetrators"]
    assert (per["inserted"], per["updated"], per["already_present"]) == (0, 1, 1)
    with db.session_scope() as s:
        sexes = s.execute(select(Perpetrator.sex).order_by(Perpetrator.case_id)).scalars().all()
    assert sexes == [["female", "male"], ["female"]]
