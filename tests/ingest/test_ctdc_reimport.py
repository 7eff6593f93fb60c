"""A corrected CTDC release (SQLite and PostgreSQL): the same release with some rows changed updates those
records, audited and counted as updated, instead of adding the release again (the counts doubled); the same
file again changes nothing; a file of another name is another release; records the corrected file does not
load stay and are said. The standard template does the same with its record ids."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from ctdata.ingest.ctdc_import import import_ctdc, release_name
from ctdata.ingest.standard_import import import_standard
from ctdata.store import audit, db
from ctdata.store.models import AuditEntry, CaseRecord, ImportBatch, Person

from .helpers import ctdc_row, record, write_ctdc, write_records
from .test_alignment import _edit


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
    assert shorter.not_in_file == 2
    assert any("2 row(s) of this release imported before are not in this file" in n for n in shorter.notices)
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


# --- row identity by alignment: a corrected file that inserts or deletes rows shifts no record -------------


def _by_source(source: str) -> list[tuple[str, str, int, str | None]]:
    """(record id, sex, version, country of exploitation) of a release's records, by record id."""
    with db.session_scope() as s:
        q = select(CaseRecord.source_record_id, Person.sex, CaseRecord.version, CaseRecord.country_of_exploitation)
        q = q.join(Person, Person.id == CaseRecord.person_id).where(CaseRecord.source == source)
        return sorted(tuple(r) for r in s.execute(q))  # type: ignore[misc]


def _two_files(tmp_path: Path, old: list[dict[str, str]], new: list[dict[str, str]], name: str = "ctdc_global.csv"):
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    first = import_ctdc(write_ctdc(tmp_path / "a" / name, old))
    source = _records()[-1][2]
    before = _by_source(source)
    second = import_ctdc(write_ctdc(tmp_path / "b" / name, new))
    return first, second, source, before


def _reconciles(res) -> bool:
    return res.rows_read == res.inserted + res.updated + res.already_present + res.quarantined


def test_a_row_inserted_at_the_top_updates_no_record(store, tmp_path: Path) -> None:
    rows = _rows()
    _, fixed, source, before = _two_files(tmp_path, rows, [ctdc_row(citizenship="NG", gender="Male"), *rows])
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.quarantined) == (1, 0, 5, 0)
    assert _reconciles(fixed) and fixed.not_in_file == 0
    after = _by_source(source)
    assert [r for r in after if r in before] == before  # every record as it was, version 1
    assert len(after) == 6 and [r[1] for r in after if r not in before] == ["male"]
    again = import_ctdc(tmp_path / "b" / "ctdc_global.csv")  # the corrected file again: nothing changes
    assert (again.inserted, again.updated, again.already_present) == (0, 0, 6)


def test_a_row_deleted_is_kept_and_said(store, tmp_path: Path) -> None:
    rows = _rows()
    _, fixed, source, before = _two_files(tmp_path, rows, rows[:1] + rows[2:])
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.quarantined) == (0, 0, 4, 0)
    assert _reconciles(fixed) and fixed.not_in_file == 1
    assert any("1 row(s) of this release imported before are not in this file" in n for n in fixed.notices)
    assert _by_source(source) == before  # nothing deleted, nothing rewritten
    with db.session_scope() as s:
        q = select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id.desc())
        entry = s.scalars(q).first()
        assert entry is not None and entry.details["not_in_file"] == 1 and entry.details["updated"] == 0


def test_a_changed_row_among_shifted_ones_is_the_only_update(store, tmp_path: Path) -> None:
    """A row inserted at the top and one deleted lower down shift nothing; the row changed in place is updated."""
    rows = _rows()
    new = [ctdc_row(citizenship="NG"), rows[0], {**rows[1], "CountryOfExploitation": "TH"}, rows[2], rows[4]]
    _, fixed, source, before = _two_files(tmp_path, rows, new)
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.not_in_file) == (1, 1, 3, 1)
    after = {r[0]: r for r in _by_source(source)}
    changed = before[1][0]  # the second row's record (rows 1..5 have ids :1..:5)
    assert after[changed][2:] == (2, "TH")
    assert {rid: r for rid, r in after.items() if rid != changed and r in before} == {
        r[0]: r for r in before if r[0] != changed}


def test_a_changed_row_beside_an_inserted_one_is_not_guessed(store, tmp_path: Path) -> None:
    """Two new rows where one was: which of them is the old row corrected cannot be told, so neither
    rewrites it (the old record is kept and said, both rows are new records)."""
    rows = _rows()
    new = [rows[0], ctdc_row(citizenship="NG"), {**rows[1], "CountryOfExploitation": "TH"}, *rows[2:]]
    _, fixed, source, before = _two_files(tmp_path, rows, new)
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.not_in_file) == (2, 0, 4, 1)
    assert all(r in _by_source(source) for r in before)


def test_identical_rows_are_interchangeable(store, tmp_path: Path) -> None:
    """CTDC files repeat rows; a duplicate inserted, deleted or changed among them moves no other record."""
    a, b = ctdc_row(gender="Female"), ctdc_row(gender="Male")
    rows = [a, a, a, b, a, a, b, b]
    _, fixed, source, before = _two_files(tmp_path, rows, [a, *rows[:5], rows[6]])
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.not_in_file) == (1, 0, 6, 2)
    after = _by_source(source)
    assert all(r in after for r in before) and len(after) == 9
    assert sorted(r[1] for r in after) == ["female"] * 6 + ["male"] * 3


def test_a_victim_perpetrator_row_inserted_at_the_top_moves_no_perpetrator(store, tmp_path: Path) -> None:
    from ctdata.store.models import Perpetrator

    from .test_ctdc_vp_import import vp_row, write_vp

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rows = [vp_row(IP_Gender="Male"), vp_row(IP_Gender="Female")]
    import_ctdc(write_vp(tmp_path / "a" / "ctdc_vp.csv.gz", rows))
    with db.session_scope() as s:
        before = s.execute(select(Perpetrator.case_id, Perpetrator.sex).order_by(Perpetrator.case_id)).all()
    fixed = import_ctdc(write_vp(tmp_path / "b" / "ctdc_vp.csv.gz", [vp_row(IP_Gender="Female;Male"), *rows]))
    assert (fixed.inserted, fixed.updated, fixed.already_present) == (1, 0, 2)
    per = fixed.tables["perpetrators"]
    assert (per["inserted"], per["updated"], per["already_present"]) == (1, 0, 2)
    with db.session_scope() as s:
        after = s.execute(select(Perpetrator.case_id, Perpetrator.sex).order_by(Perpetrator.case_id)).all()
    assert after[:2] == before and after[2][1] == ["female", "male"]


def test_a_second_correction_aligns_in_the_order_the_first_gave(store, tmp_path: Path) -> None:
    """Rows a correction added sit where it put them: a later correction that changes one of them in place
    updates it, and a row deleted before and given back finds its kept record."""
    rows = _rows()
    x = ctdc_row(citizenship="NG", gender="Male")
    _, first, source, before = _two_files(tmp_path, rows, [x, *rows[:3], rows[4]])
    assert (first.inserted, first.not_in_file) == (1, 1)
    mid = _by_source(source)
    ((x_id, *_),) = [r for r in mid if r not in before]
    (tmp_path / "c").mkdir()
    again = import_ctdc(write_ctdc(tmp_path / "c" / "ctdc_global.csv", [{**x, "gender": "Female"}, *rows]))
    assert (again.inserted, again.updated, again.already_present, again.not_in_file) == (0, 1, 5, 0)
    assert _by_source(source) == [(x_id, "female", 2, "RU") if r[0] == x_id else r for r in mid]


_ALPHABET = [("Female", "RU"), ("Male", "RU"), ("Female", "TH"), ("Male", "UA"), ("Female", "PH"), ("Male", "NG")]
_RELEASE = st.lists(st.sampled_from(_ALPHABET[:4]), min_size=1, max_size=8)
_EDITS = st.lists(st.tuples(st.sampled_from("idc"), st.integers(0, 9), st.sampled_from(_ALPHABET)), max_size=4)
_names = itertools.count()


def _content(rows: list[tuple[str, str]]) -> Counter[tuple[str, str]]:
    return Counter(rows)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=_RELEASE, edits=st.lists(_EDITS, min_size=2, max_size=2))
def test_any_correction_leaves_the_file_s_rows_and_keeps_the_rest(store, tmp_path: Path, old, edits) -> None:
    """Random inserts, deletes and changes, twice: after each import the release's records are the file's
    rows (each once) plus rows the file no longer has, kept as they were and counted; the counts reconcile;
    the same file again changes nothing."""
    name = f"ctdc_prop_{next(_names)}.csv"  # a release of its own per example, in the test's one store
    files = [old]
    for e in edits:
        files.append(_edit(files[-1], e))
    for k, rows in enumerate(files):
        (tmp_path / str(k)).mkdir(exist_ok=True)
        path = write_ctdc(tmp_path / str(k) / name, [ctdc_row(gender=g, CountryOfExploitation=c) for g, c in rows])
        everything = _everything()
        res = import_ctdc(path)
        with db.session_scope() as s:  # an identical file of another name is the release it was imported as
            source = s.scalar(select(ImportBatch.source).where(ImportBatch.id == res.batch_id))
        stored = {rid: got for (src, rid), got in everything.items() if src == source}
        after = {rid: got for (src, rid), got in _everything().items() if src == source}
        assert _reconciles(res) and res.quarantined == 0 and res.rows_read == len(rows)
        assert len(after) == len(stored) + res.inserted == len(rows) + res.not_in_file
        kept = _content([content for content, _ in after.values()]) - _content(rows)
        assert kept.total() == res.not_in_file  # the file's rows are all there, and only the kept ones besides
        assert kept <= _content([content for content, _ in stored.values()])  # kept: rows stored before
        bumped = [rid for rid, (_, v) in after.items() if rid in stored and v != stored[rid][1]]
        assert len(bumped) == res.updated  # updated means a new version of a stored record, nothing else
        assert {rid: after[rid] for rid in stored if rid not in bumped} == {
            rid: stored[rid] for rid in stored if rid not in bumped}
        again = import_ctdc(path)
        assert (again.inserted, again.updated, again.already_present) == (0, 0, len(rows))


def _everything() -> dict[tuple[str, str], tuple[tuple[str, str], int]]:
    """(source, record id) -> ((gender, country of exploitation), version) of every record."""
    with db.session_scope() as s:
        q = select(CaseRecord.source, CaseRecord.source_record_id, Person.sex, CaseRecord.country_of_exploitation,
                   CaseRecord.version).join(Person, Person.id == CaseRecord.person_id)
        return {(src, rid): ((sex.capitalize(), c), v) for src, rid, sex, c, v in s.execute(q)}


def test_a_quarantined_row_of_a_corrected_file_is_retried_as_its_own_record(store, tmp_path: Path) -> None:
    """A row a corrected file adds at the top and quarantines keeps the id alignment gave it: retried, it is
    a new record, not an update of the record whose row number it has."""
    from ctdata.ingest import quarantine

    rows = _rows()
    _, fixed, source, before = _two_files(tmp_path, rows, [ctdc_row(gender="Blue", citizenship="NG"), *rows])
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.quarantined) == (0, 0, 5, 1)
    (entry,) = quarantine.list_rows()
    out = quarantine.retry([entry["id"]], {"gender": "Male"})
    assert out["loaded"] == 1
    after = _by_source(source)
    assert len(after) == 6 and all(r in after for r in before)
    assert [r[1] for r in after if r not in before] == ["male"]


# --- a corrected file with its columns in another order; a quarantined row a corrected file loads ----------


def _write_in_order(path: Path, rows: list[dict[str, str]], header: list[str]) -> Path:
    """A CTDC file with the same header names as `write_ctdc`'s, in the order given."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(rows)
    return path


def _reordered() -> list[str]:
    from ctdata.ingest.ctdc_columns import KANON_HEADER

    header = list(KANON_HEADER)
    return header[1::2] + header[::2]


def test_the_same_rows_with_their_columns_in_another_order_are_already_present(store, tmp_path: Path) -> None:
    """The row digest does not depend on the order of the file's columns: the same rows are already
    present (they were all counted updated, each record given a new version with nothing changed)."""
    rows = _rows()
    _, _, source, before = _two_files(tmp_path, rows, rows)
    (tmp_path / "c").mkdir()
    moved = import_ctdc(_write_in_order(tmp_path / "c" / "ctdc_global.csv", rows, _reordered()))
    assert (moved.inserted, moved.updated, moved.already_present, moved.not_in_file) == (0, 0, 5, 0)
    assert _by_source(source) == before  # every record version 1
    rows[2] = {**rows[2], "CountryOfExploitation": "TH"}  # a real correction in a reordered file is one update
    (tmp_path / "d").mkdir()
    fixed = import_ctdc(_write_in_order(tmp_path / "d" / "ctdc_global.csv", rows, _reordered()[::-1]))
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.not_in_file) == (0, 1, 4, 0)


def _file_order_digest(row: dict[str, str]) -> str:
    """A row's digest as imports stored it before the digest left out the column order: the keyed
    BLAKE2b of its fields in file order (`write_ctdc`'s), joined by the unit separator."""
    import hashlib

    from ctdata.ingest.ctdc_columns import KANON_HEADER
    from ctdata.store.crypto import keyring

    text = "\x1f".join(row[c] for c in KANON_HEADER)
    return hashlib.blake2b(text.encode(), digest_size=16, key=keyring().digest_key).hexdigest()


def test_a_store_holding_digests_of_the_old_definition_still_knows_its_rows(store, tmp_path: Path) -> None:
    """Digests stored before the change (fields in file order) are compared as they were made: the same
    file again is already present, its quarantined row keeps its one open entry; after that the store
    holds the new digests, so the rows with their columns in another order are already present too."""
    from ctdata.store.models import QuarantineRow

    rows = [*_rows(), ctdc_row(gender="Blue")]
    (tmp_path / "a").mkdir()
    path = write_ctdc(tmp_path / "a" / "ctdc_global.csv", rows)
    first = import_ctdc(path)
    assert (first.inserted, first.quarantined) == (5, 1)
    with db.session_scope() as s:  # the store as an import before the change left it (no new version)
        for cid, rid in s.execute(select(CaseRecord.id, CaseRecord.source_record_id)).all():
            digest = _file_order_digest(rows[int(rid.rsplit(":", 1)[1]) - 1])
            s.execute(update(CaseRecord).where(CaseRecord.id == cid).values(row_hash=digest))
        s.execute(update(QuarantineRow).values(row_hash=_file_order_digest(rows[5])))
    again = import_ctdc(path)
    assert (again.inserted, again.updated, again.already_present, again.quarantined) == (0, 0, 5, 1)
    assert any("already in quarantine" in n for n in again.notices) and again.resolved == 0
    with db.session_scope() as s:
        assert s.scalars(select(QuarantineRow.status)).all() == ["open"]
        assert set(s.scalars(select(CaseRecord.version))) == {1}
    (tmp_path / "b").mkdir()
    moved = import_ctdc(_write_in_order(tmp_path / "b" / "ctdc_global.csv", rows, _reordered()))
    assert (moved.inserted, moved.updated, moved.already_present, moved.quarantined) == (0, 0, 5, 1)
    with db.session_scope() as s:
        assert s.scalars(select(QuarantineRow.status)).all() == ["open"]
        assert set(s.scalars(select(CaseRecord.version))) == {1}


def test_a_quarantined_row_a_corrected_file_loads_under_a_shifted_number_closes_its_entry(
    store, tmp_path: Path
) -> None:
    """Row 3 quarantined; the corrected file adds a row at the top and fixes row 3 (now row 4): the fixed
    row is the quarantined row's record, its entry is resolved (counted in the import's audit entry) and
    cannot be retried into a second record (it stayed open, and a retry inserted the row again)."""
    from ctdata.errors import NotFound
    from ctdata.ingest import quarantine

    rows = _rows()
    bad = [*rows[:2], {**rows[2], "gender": "Blue"}, *rows[3:]]
    first, fixed, source, before = _two_files(tmp_path, bad, [ctdc_row(citizenship="NG"), *rows])
    assert (first.inserted, first.quarantined) == (4, 1)
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.quarantined) == (2, 0, 4, 0)
    assert fixed.resolved == 1 and fixed.not_in_file == 0
    (entry,) = quarantine.list_rows("all")
    assert entry["status"] == "resolved"
    with db.session_scope() as s:
        q = select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id.desc())
        audited = s.scalars(q).first()
        assert audited is not None and audited.details["quarantine_resolved"] == 1
    after = _by_source(source)
    assert len(after) == 6 and all(r in after for r in before)
    assert f"{source}:3" in {r[0] for r in after}  # the quarantined row's record id
    try:
        quarantine.retry([entry["id"]], {})
    except NotFound:
        pass
    assert len(_by_source(source)) == 6
    again = import_ctdc(tmp_path / "b" / "ctdc_global.csv")
    assert (again.inserted, again.updated, again.already_present) == (0, 0, 6)


def test_a_quarantined_row_whose_place_a_corrected_file_rewrites_is_closed(store, tmp_path: Path) -> None:
    """Two new rows where a quarantined row was: which one is its row corrected cannot be told, so both are
    new records and the entry is superseded (a retry of it could add its row a second time)."""
    from ctdata.errors import NotFound
    from ctdata.ingest import quarantine

    rows = _rows()
    bad = [*rows[:2], {**rows[2], "gender": "Blue"}, *rows[3:]]
    _, fixed, source, _ = _two_files(tmp_path, bad, [*rows[:2], ctdc_row(citizenship="NG"), *rows[2:]])
    assert (fixed.inserted, fixed.updated, fixed.already_present, fixed.quarantined) == (2, 0, 4, 0)
    assert fixed.resolved == 1 and fixed.not_in_file == 0
    (entry,) = quarantine.list_rows("all")
    assert entry["status"] == "superseded"
    try:
        quarantine.retry([entry["id"]], {})
    except NotFound:
        pass
    assert len(_by_source(source)) == 6


def test_a_quarantined_row_a_correction_added_keeps_its_place(store, tmp_path: Path) -> None:
    """A row a corrected file adds at the top and quarantines has its place stored; the next correction,
    which fixes it, loads it as that entry's record and resolves the entry."""
    from ctdata.ingest import quarantine
    from ctdata.store.models import QuarantineRow

    rows = _rows()
    x = ctdc_row(citizenship="NG", gender="Male")
    _, first, source, _ = _two_files(tmp_path, rows, [*rows[:2], {**x, "gender": "Blue"}, *rows[2:]])
    assert first.quarantined == 1
    (entry,) = quarantine.list_rows()
    (tmp_path / "c").mkdir()
    again = import_ctdc(
        write_ctdc(tmp_path / "c" / "ctdc_global.csv", [ctdc_row(citizenship="PH"), *rows[:2], x, *rows[2:]])
    )
    assert (again.inserted, again.updated, again.already_present, again.resolved) == (2, 0, 5, 1)
    assert quarantine.list_rows("all")[0]["status"] == "resolved"
    with db.session_scope() as s:
        entry_rid = s.scalar(select(QuarantineRow.record_id).where(QuarantineRow.id == entry["id"]))
        q = select(CaseRecord.source_record_id).join(Person, Person.id == CaseRecord.person_id)
        loaded = s.scalars(
            q.where(CaseRecord.source == source, Person.sex == "male", Person.citizenship == ["NG"])
        ).all()
    assert loaded == [entry_rid]  # the corrected row is the entry's record


def test_the_row_digest_reads_fields_by_column_name() -> None:
    """Same names and values in another order: the same digest; another name, another value or the former
    definition (fields in file order): another digest."""
    from ctdata.ingest.prepare import RowDigest, file_order_hashes, row_hash

    key = b"k" * 32
    cols, row = ["a", "b", "c"], ("1", "", "x")
    digest = RowDigest(cols, key).of(row)
    assert RowDigest(["c", "a", "b"], key).many([("x", "1", "")]) == [digest]
    assert row_hash({"b": None, "c": "x", "a": "1"}, key) == digest
    assert RowDigest(["a", "b", "d"], key).of(row) != digest
    assert RowDigest(cols, key).of(("1", "", "y")) != digest
    assert file_order_hashes([row], key) != [digest]
