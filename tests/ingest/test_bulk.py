"""The bulk (column) path of `import standard` gives the same answers as the per-row rules.

Each fast piece is checked against the slow, obvious one it replaces: the Arrow
column reader against the row reader, column validation against the standard's
pydantic row model, bulk pseudonyms and ciphertexts against the one-value
functions, `derive_values` against the previous per-row `derive`, and the rows
stored by an import against `person_values`/`case_values` of each row.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ctdata.errors import CtdataError
from ctdata.ingest.columns import batches
from ctdata.ingest.prepare import LIST_FIELDS, row_hash
from ctdata.ingest.readers import open_table
from ctdata.ingest.standard_import import import_standard
from ctdata.ingest.validate import TableValidator
from ctdata.standard.ages import derive, derive_values
from ctdata.standard.dates import age_on, age_range, parse_partial_date
from ctdata.standard.models import ROW_MODELS
from ctdata.standard.template import TABLES, column_names
from ctdata.standard.vocab import age_band
from ctdata.store import db
from ctdata.store.crypto import keyring, load_keyring
from ctdata.store.fields import unseal_list
from ctdata.store.models import CaseRecord, Person

from .helpers import record, write_records

_FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- reader ----------------------------------------------------------------------------------------------

_cell = st.one_of(
    st.sampled_from(["", " ", "UA", "a,b", 'say "hi"', "x\ny", '"', "Олена", "1", "  2011-05  "]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00\r"), max_size=6),
)


def _rows_via_reader(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    good, bad = [], []
    for r in open_table(path).rows:
        (bad if r.error else good).append((r.number, r.values) if not r.error else (r.number, r.error))
    return good, bad


def _rows_via_batches(path: Path, size: int) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    good, bad = [], []
    for b in batches(open_table(path), size=size):
        good += [(b.raw(i).number, b.raw(i).values) for i in range(len(b))]
        bad += [(r.number, r.error or "") for r in b.bad]
    return good, bad


@_FAST
@given(
    rows=st.lists(st.lists(_cell, min_size=1, max_size=4), min_size=1, max_size=12),
    blank_lines=st.lists(st.integers(0, 12), max_size=2),
    size=st.integers(1, 5),
)
def test_column_reader_agrees_with_row_reader(tmp_path_factory, rows, blank_lines, size) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["a", "b", "c"])
    lines = []
    for r in rows:
        line = io.StringIO()
        csv.writer(line, lineterminator="\n").writerow(r)
        lines.append(line.getvalue())
    for k in blank_lines:
        lines.insert(min(k, len(lines)), "\n")
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text(buf.getvalue() + "".join(lines), encoding="utf-8")
    assert _rows_via_batches(path, size) == _rows_via_reader(path)


@_FAST
@given(
    bad_at=st.lists(st.integers(0, 400), max_size=3),
    size=st.integers(1, 60),
    block=st.sampled_from([1 << 10, 4 << 10, 1 << 20]),
)
def test_arrow_hands_over_to_the_row_reader_mid_file(tmp_path_factory, bad_at, size, block) -> None:
    """A bad row after several Arrow blocks: the rows before it come from Arrow, the rest from the
    row reader, and the answers are the row reader's for the whole file."""
    from ctdata.ingest import columns

    lines = [f"R{i},{'x' * (i % 7)},{i}\n" for i in range(400)]
    for k in sorted(bad_at, reverse=True):
        lines.insert(k, f"B{k},too,many,fields\n" if k % 2 else f"B{k},few\n")
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text("a,b,c\n" + "".join(lines), encoding="utf-8")
    old = columns.BLOCK
    columns.BLOCK = block
    try:
        assert _rows_via_batches(path, size) == _rows_via_reader(path)
    finally:
        columns.BLOCK = old


def test_file_written_to_before_the_row_reader_takes_over_is_an_error(tmp_path: Path, monkeypatch) -> None:
    """The row reader reads the file again after Arrow's rows: a file changed meanwhile is refused."""
    from ctdata.ingest import columns

    monkeypatch.setattr(columns, "BLOCK", 256)
    lines = [f"R{i},{'x' * (i % 7)},{i}\n" for i in range(300)] + ["B,few\n"]
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n" + "".join(lines), encoding="utf-8")
    it = batches(open_table(path), size=5)
    next(it)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("R999,late,1\n")
    with pytest.raises(CtdataError, match="changed while it was being imported"):
        list(it)


def test_clean_file_is_read_by_arrow_with_the_same_rows(tmp_path: Path) -> None:
    path = write_records(tmp_path / "r.csv", [record(i, given_name=' "Ola", \n Nowak ') for i in range(7)])
    from ctdata.ingest import columns

    assert columns._arrow_can_read(open_table(path))
    assert _rows_via_batches(path, 3) == _rows_via_reader(path)


# --- validation ------------------------------------------------------------------------------------------

_values: dict[str, Any] = {
    "office_country": ["UA", "ukr", "Ukraine", "QQ", "", "-99", " ru "],
    "registration_date": ["2011", "2011-02", "2011-02-30", "31/12/2011", "soon", " 2012-01-05 "],
    "date_of_birth": ["1990", "1990-13", "2000-02-29", "", "x"],
    "sex": ["female", " Male ", "blue", "unknown", "Transgender or gender non-conforming"],
    "citizenship": ["UA;RU", "ukr, RUS", "UA;QQ", ";", ""],
    "age_at_exploitation": ["17", "17.0", "17.5", "-99", "old", "200"],
    "exploitation_types": ["forced_labour;sexual_exploitation", "forced_labor", "", "Forced labour"],
    "consent_research": ["1", "yes", "0", "maybe", "-99"],
    "child_at_exploitation": ["true", "n", "2"],
    "given_name": ["  Ola ", "", " "],
    "languages": ["uk; ru", " ", "en"],
    "record_id": ["R1", " ", ""],
}


@_FAST
@given(st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _values.items()}), min_size=1, max_size=8))
def test_column_validation_agrees_with_the_pydantic_row_model(rows: list[dict[str, str]]) -> None:
    """The standard's pydantic model decides: same accept/reject (besides required columns) and values."""
    validator = TableValidator("records")
    names = column_names("records")
    raw = {c: [r.get(c, "") for r in rows] if c in _values else None for c in names}
    clean, reasons = validator.validate_columns(raw, len(rows))
    model = ROW_MODELS["records"]
    required = [c.name for c in TABLES["records"] if c.required]
    for i, r in enumerate(rows):
        # Field by field: the standard's date type raises its own error, which pydantic passes through.
        expect: dict[str, Any] = dict(model.model_validate({}).model_dump())
        bad_fields: set[str] = set()
        for k, v in r.items():
            if v == "":
                continue
            try:
                expect[k] = model.model_validate({k: v}).model_dump()[k]
            except (pydantic.ValidationError, CtdataError):
                bad_fields.add(k)
        reason = reasons[i] or ""
        named = {part.split(":", 1)[0].strip() for part in reason.split("; ") if ":" in part}
        parse_errors = {f for f in named if f"{f}: required value is empty" not in reason}
        if reason.endswith(" more"):  # a reason lists the first five problems
            assert parse_errors <= bad_fields and len(named) == 5
        else:
            assert parse_errors == bad_fields
        if not bad_fields:
            got = {c: clean[c][i] for c in names}
            assert got == {k: (None if v == "" else v) for k, v in expect.items()}
            empty_required = {c for c in required if got[c] in (None, "", [])}
            assert (reasons[i] is None) == (not empty_required)


# --- derived ages -----------------------------------------------------------------------------------------


def _reference_derive(row: dict[str, Any]) -> dict[str, Any]:
    """The per-row rule as it was before the bulk path (PartialDate objects, age_on/age_range)."""
    reg = parse_partial_date(row.get("registration_date"))
    dob = parse_partial_date(row.get("date_of_birth"))
    age_reg = row.get("age_at_registration")
    lo = hi = age_reg
    if age_reg is None and dob is not None and reg is not None:
        age_reg = age_on(dob, reg)
        lo, hi = age_range(dob, reg) or (None, None)
    band = row.get("age_band") or age_band(age_reg)
    if band is None and lo is not None and age_band(lo) == age_band(hi):
        band = age_band(lo)
    child_reg = row.get("child_at_registration")
    if lo is not None and (hi < 18 or lo >= 18):
        child_reg = hi < 18
    elif child_reg is None and band is not None:
        child_reg = band in ("0-8", "9-17")
    age_exp = row.get("age_at_exploitation")
    child_exp = row.get("child_at_exploitation")
    if age_exp is not None:
        child_exp = age_exp < 18
    return {
        "registration_year": reg.year if reg else None,
        "age_at_registration": age_reg,
        "age_band": band,
        "child_at_registration": child_reg,
        "age_at_exploitation": age_exp,
        "child_at_exploitation": child_exp,
    }


def _partial(d: date, precision: int) -> str:
    return str(d)[: (4, 7, 10)[precision]]


_pdate = st.one_of(st.none(), st.builds(_partial, st.dates(date(1930, 1, 1), date(2030, 12, 31)), st.integers(0, 2)))
_opt_int = st.one_of(st.none(), st.integers(-2, 90))
_opt_bool = st.one_of(st.none(), st.booleans())


@settings(max_examples=300, deadline=None)
@given(
    _pdate,
    _pdate,
    _opt_int,
    st.one_of(st.none(), st.sampled_from(["0-8", "9-17", "18-20", "48+"])),
    _opt_bool,
    _opt_int,
    _opt_bool,
)
def test_derive_values_agrees_with_reference(reg, dob, age_reg, band, child_reg, age_exp, child_exp) -> None:
    row = {
        "registration_date": reg,
        "date_of_birth": dob,
        "age_at_registration": age_reg,
        "age_band": band,
        "child_at_registration": child_reg,
        "age_at_exploitation": age_exp,
        "child_at_exploitation": child_exp,
    }
    got = derive_values(reg, dob, age_reg, band, child_reg, age_exp, child_exp)
    assert dict(zip(_reference_derive(row), got, strict=True)) == _reference_derive(row)


# --- crypto -------------------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.text(max_size=8)), st.one_of(st.none(), st.text(max_size=8))), max_size=10
    )
)
def test_bulk_pseudonyms_and_ciphertexts_match_single_ones(tmp_path_factory, parts) -> None:
    ring = load_keyring(tmp_path_factory.mktemp("k") / "k.key")
    assert ring.pseudonyms(parts) == [ring.pseudonym(*p) for p in parts]
    assert ring.pseudonyms(parts, purpose="record") == [ring.pseudonym(*p, purpose="record") for p in parts]
    values = [p[0] for p in parts]
    blobs = ring.encrypt_many(values, "given_name")
    assert [ring.decrypt(b, "given_name") for b in blobs] == [v or None for v in values]
    nonces = [b[1:13] for b in blobs if b is not None]
    assert len(set(nonces)) == len(nonces)


# --- stored rows: the per-row rules, written out plainly as the reference ---


def _list(v: Any) -> list[str] | None:
    if v is None:
        return None
    if isinstance(v, str):
        return [x.strip() for x in v.split(";") if x.strip()]
    return list(v)


def person_values(row: dict[str, Any], keys: Any, source: str) -> dict[str, Any]:
    given, family, dob = row.get("given_name"), row.get("family_name"), row.get("date_of_birth")
    doc = row.get("id_document_number")
    if given or family or doc:
        pkey = keys.pseudonym(given, family, dob, doc)
    else:
        pkey = keys.pseudonym(source, row.get("record_id"), purpose="record")
    return {
        "person_key": pkey,
        "sex": row.get("sex"),
        "citizenship": _list(row.get("citizenship")),
        "languages": _list(row.get("languages")),
    }


def case_values(row: dict[str, Any], *, source: str, source_kind: str, batch_id: int | None, digest: str) -> dict:
    public = source_kind == "public_release"
    consent_research = row.get("consent_research")
    if consent_research is None and public:
        consent_research = True
    values = {
        "source": source,
        "source_record_id": str(row["record_id"]),
        "source_kind": source_kind,
        "import_batch_id": batch_id,
        "agency": row.get("agency") or "unknown",
        "office_country": row.get("office_country"),
        "current_office_country": row.get("office_country"),
        "current_agency": row.get("agency") or "unknown",
        "data_source": row.get("data_source"),
        "registration_date": row.get("registration_date"),
        "status": row.get("status") or ("victim_of_trafficking" if public else "screening"),
        "country_of_exploitation": row.get("country_of_exploitation"),
        "exploitation_start": row.get("exploitation_start"),
        "referral_from_office": row.get("referral_from_office"),
        "consent_assistance": row.get("consent_assistance"),
        "consent_research": consent_research,
        "consent_sharing": _list(row.get("consent_sharing")),
        "row_hash": digest,
        "version": 1,
    }
    for f in LIST_FIELDS:
        values[f] = _list(row.get(f))
    values.update(derive(row))
    return values


# --- stored rows ----------------------------------------------------------------------------------------------


_variants = st.fixed_dictionaries(
    {
        "given_name": st.sampled_from(["", "Ola", " Олена "]),
        "family_name": st.sampled_from(["", "Nowak"]),
        "date_of_birth": st.sampled_from(["", "1995", "2001-07", "1995-04-02"]),
        "age_at_registration": st.sampled_from(["", "17", "30"]),
        "age_band": st.sampled_from(["", "9-17", "48+"]),
        "child_at_registration": st.sampled_from(["", "1", "0"]),
        "citizenship": st.sampled_from(["", "UA", "UA;RU"]),
        "languages": st.sampled_from(["", "uk; ru", "en"]),
        "consent_sharing": st.sampled_from(["", "IOM", "IOM;NGO-A"]),
        "status": st.sampled_from(["", "closed"]),
        "exploitation_types": st.sampled_from(["", "forced_labour;sexual_exploitation"]),
        "id_document_number": st.sampled_from(["", "AB123"]),
    }
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_variants, min_size=1, max_size=6))
def test_stored_rows_equal_the_per_row_rules(sqlite_store, tmp_path: Path, variants) -> None:
    run = uuid.uuid4().hex[:8]  # hypothesis reuses the store between examples
    rows = [record(i, record_id=f"{run}-{i}", **v) for i, v in enumerate(variants)]
    path = write_records(tmp_path / f"{run}.csv", rows)
    res = import_standard(path)
    assert res.quarantined == 0
    validator = TableValidator("records")
    keys = keyring()
    table = open_table(path)
    raws = {r.values["record_id"]: r for r in table.rows}
    with db.session_scope() as s:
        for case in s.execute(select(CaseRecord).where(CaseRecord.import_batch_id == res.batch_id)).scalars():
            raw = raws[case.source_record_id]
            row = validator.raw_row(raw)
            want_case = case_values(
                row, source=case.source, source_kind="case", batch_id=res.batch_id,
                digest=row_hash(raw.values, keys.digest_key),
            )
            for k, v in want_case.items():
                if k == "consent_sharing":  # free text: stored encrypted
                    assert unseal_list(case.consent_sharing_enc, "case_records", "consent_sharing_enc") == (v or [])
                else:
                    assert getattr(case, k) == v, k
            person = s.get(Person, case.person_id)
            want_person = person_values(row, keys, case.source)
            assert person.person_key == want_person["person_key"]
            assert (person.sex, person.citizenship, person.languages) == (
                want_person["sex"],
                want_person["citizenship"],
                want_person["languages"],
            )
            for f, ctx in (
                ("given_name", "given_name"),
                ("family_name", "family_name"),
                ("date_of_birth", "date_of_birth"),
                ("id_document", "id_document_number"),
            ):
                assert keys.decrypt(getattr(person, f"{f}_enc"), ctx) == row.get(ctx)
    assert import_standard(path).already_present == len(rows)


# --- preparing process ---------------------------------------------------------------------------------------


def _plain(table: str, row: Any) -> tuple[Any, ...]:
    """A row with its encrypted columns decrypted (ciphertexts differ run to run: random nonces)."""
    from ctdata.store.fields import ENCRYPTED

    keys = keyring()
    return tuple(
        keys.decrypt(v, ENCRYPTED[(table, k)]) if (table, k) in ENCRYPTED else v for k, v in row._mapping.items()
    )


def _snapshot() -> dict[str, Any]:
    from sqlalchemy import text

    keys = keyring()
    out: dict[str, Any] = {}
    with db.session_scope() as s:
        out["cases"] = [
            _plain("case_records", r)
            for r in s.execute(
                text(
                    "SELECT id, person_id, source, source_record_id, agency, office_country, registration_year, "
                    "status, "
                    "age_at_registration, age_band, child_at_registration, child_at_exploitation, exploitation_types, "
                    "consent_sharing_enc, row_hash, version FROM case_records ORDER BY id"
                )
            )
        ]
        out["persons"] = [
            (
                p.id,
                p.person_key,
                p.sex,
                p.citizenship,
                p.languages,
                keys.decrypt(p.given_name_enc, "given_name"),
                keys.decrypt(p.date_of_birth_enc, "date_of_birth"),
            )
            for p in s.execute(select(Person).order_by(Person.id)).scalars()
        ]
        for t in ("journey_legs", "assistance", "returns"):
            out[t] = [_plain(t, r) for r in s.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
        out["quarantine"] = [
            tuple(r)
            for r in s.execute(
                text("SELECT table_name, row_number, reason FROM quarantine ORDER BY table_name, row_number")
            )
        ]
    return out


def _import_into(tmp_path: Path, monkeypatch, name: str, folder: Path, parallel_on: bool) -> tuple[Any, Any]:
    from ctdata.ingest import parallel

    from ..conftest import reset_caches

    monkeypatch.setenv("CTDATA_DATABASE_URL", f"sqlite:///{tmp_path / name}.db")
    reset_caches()
    monkeypatch.setattr(parallel, "ENABLED", parallel_on)
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    res = import_standard(folder)
    return res, _snapshot()


def test_preparing_process_stores_what_the_in_process_path_stores(sqlite_store, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "in"
    rows = [record(i, citizenship="UA;RU" if i % 3 else "", languages="uk; ru") for i in range(40)]
    rows += [record(5), record(41, sex="blue"), record(42, date_of_birth="2001-02")]
    write_records(folder / "records.csv", rows)
    (folder / "journey_legs.csv").write_text(
        "record_id,leg_number,from_country,to_country,crossing\nR0,1,UA,PL,official_land\nR0,1,UA,PL,official_land\n"
        "R1,1,UA,PL,teleport\nR404,1,UA,PL,official_land\nR2,1,UA,PL,official_land\n",
        encoding="utf-8",
    )
    (folder / "assistance.csv").write_text(
        "record_id,assistance_type,date,provider,reintegration\nR0,medical,2011-05-01,NGO,1\nR3,legal,,,\n",
        encoding="utf-8",
    )
    res_a, a = _import_into(tmp_path, monkeypatch, "a", folder, parallel_on=False)
    res_b, b = _import_into(tmp_path, monkeypatch, "b", folder, parallel_on=True)
    assert res_a.to_dict() | {"batch_id": None} == res_b.to_dict() | {"batch_id": None}
    assert (res_b.rows_read, res_b.loaded, res_b.quarantined) == (43, 41, 2)
    assert res_b.agencies_registered == ["IOM"]  # the preparing child names the agencies it wrote
    assert a["cases"] == b["cases"] and a["persons"] == b["persons"] and a["quarantine"] == b["quarantine"]
    assert a["assistance"] == b["assistance"] and len(a["journey_legs"]) == len(b["journey_legs"]) == 2
    assert import_standard(folder).already_present == 41  # a re-import runs in process and finds every row


def test_preparing_process_failure_rolls_back(sqlite_store, tmp_path: Path, monkeypatch) -> None:
    from ctdata.errors import FileFormatError
    from ctdata.ingest import parallel

    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    folder = tmp_path / "bad"
    write_records(folder / "records.csv", [record(i) for i in range(10)])
    (folder / "returns.csv").write_text("record_id\nR1\n", encoding="utf-8")  # no status column
    with pytest.raises(FileFormatError, match="missing required column status"):
        import_standard(folder)
    with db.session_scope() as s:
        assert s.execute(select(CaseRecord.id)).first() is None


def test_database_failure_with_a_preparing_process_rolls_back(sqlite_store, tmp_path: Path, monkeypatch) -> None:
    from ctdata.ingest import columns, parallel
    from ctdata.ingest import sinks as loader_mod

    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    monkeypatch.setattr(columns, "BATCH_ROWS", 5)  # read by the parent only; the child uses its own default
    calls = {"n": 0}
    real = loader_mod.insert_tuples

    def flaky(session, model, names, rows, **kw):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk went away")
        return real(session, model, names, rows, **kw)

    monkeypatch.setattr(loader_mod, "insert_tuples", flaky)
    with pytest.raises(OSError):
        import_standard(write_records(tmp_path / "r.csv", [record(i) for i in range(30)]))
    with db.session_scope() as s:
        assert s.execute(select(Person.id)).first() is None
