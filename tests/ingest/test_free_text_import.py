"""An import stores free text (the sharing list, assistance providers, risk mitigations)
encrypted, and a re-import still knows the same rows as present."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from ctdata.ingest.standard_import import import_standard
from ctdata.store import db
from ctdata.store.fields import unseal, unseal_list
from ctdata.store.models import Assistance, CaseRecord, ReturnRecord

from .helpers import record, write_records

AID = "record_id,assistance_type,date,provider,reintegration\nR0,medical,2011-05-01,Halvorine-clinic,1\n"
RET = (
    "record_id,status,requested_date,risk_level,risk_mitigations\n"
    "R0,requested,2011-06-01,low,Halvorine-escort\n"
)


def _folder(path: Path) -> Path:
    write_records(path / "records.csv", [record(0, consent_sharing="IOM VN;Halvorine-NGO")])
    (path / "assistance.csv").write_text(AID, encoding="utf-8")
    (path / "returns.csv").write_text(RET, encoding="utf-8")
    return path


def test_free_text_of_an_import_is_encrypted_and_a_reimport_is_present(store, tmp_path: Path) -> None:
    first = import_standard(_folder(tmp_path / "a"))
    assert first.quarantined == 0 and first.tables["assistance"]["inserted"] == 1
    with db.engine().connect() as c:
        for table in ("case_records", "assistance", "returns"):
            for row in c.execute(text(f"SELECT * FROM {table}")):
                assert "Halvorine" not in repr(tuple(row)), table
    with db.session_scope() as s:
        case = s.execute(select(CaseRecord)).scalar_one()
        aid = s.execute(select(Assistance)).scalar_one()
        ret = s.execute(select(ReturnRecord)).scalar_one()
        assert unseal_list(case.consent_sharing_enc, "case_records", "consent_sharing_enc") == [
            "IOM VN", "Halvorine-NGO"]
        assert unseal(aid.provider_enc, "assistance", "provider_enc") == "Halvorine-clinic"
        assert unseal(ret.risk_mitigations_enc, "returns", "risk_mitigations_enc") == "Halvorine-escort"
    again = import_standard(_folder(tmp_path / "b"))
    assert again.already_present == 1
    for table in ("assistance", "returns"):
        assert again.tables[table]["already_present"] == 1 and again.tables[table]["inserted"] == 0, table


def test_a_stored_row_digest_cannot_confirm_a_guessed_name(store, tmp_path: Path) -> None:
    """The digest a re-import compares (``row_hash``) is of the row as the file gives it, names and
    date of birth included. Unkeyed, anyone holding the database could confirm a guessed name by
    hashing the guess: the names are encrypted, the digest would not be. It is keyed (the store's key)."""
    import csv
    import hashlib

    from ctdata.store.models import QuarantineRow

    folder = _folder(tmp_path / "a")
    bad = folder / "records.csv"
    rows = list(csv.reader(bad.open(encoding="utf-8")))
    rows.append([*rows[1][:1], *rows[1][1:]])
    rows[-1][0] = "R9"
    rows[-1][rows[0].index("sex")] = "blue"  # quarantined: its digest is kept too
    with bad.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert import_standard(folder).quarantined == 1
    guesses = {hashlib.blake2b("\x1f".join(r).encode(), digest_size=16).hexdigest() for r in rows[1:]}
    with db.session_scope() as s:
        stored = {s.execute(select(CaseRecord.row_hash)).scalar_one(),
                  s.execute(select(QuarantineRow.row_hash)).scalar_one()}
    assert None not in stored and not stored & guesses
    assert import_standard(folder).already_present == 1  # still what a re-import compares
