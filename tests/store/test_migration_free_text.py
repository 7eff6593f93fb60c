"""Migration 0009 encrypts the free text that earlier revisions stored in plain columns."""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from alembic import command

from ctdata.store import db
from ctdata.store.crypto import keyring
from ctdata.store.fields import ENCRYPTED

NOW = datetime(2026, 1, 1)
#: (table, plain column) -> value as 0003 stored it, and the text the encrypted column must hold
PLAIN = {
    ("case_records", "consent_sharing"): ("IOM VN;Mervane-sharing", json.dumps(["IOM VN", "Mervane-sharing"])),
    ("screenings", "override_reason"): ("Mervane-override", "Mervane-override"),
    ("screenings", "indicators"): (json.dumps(["Mervane-indicator"]), json.dumps(["Mervane-indicator"])),
    ("assistance", "provider"): ("Mervane-provider", "Mervane-provider"),
    ("returns", "risk_mitigations"): ("Mervane-mitigation", "Mervane-mitigation"),
    ("returns", "bid_authority"): ("Mervane-bid", "Mervane-bid"),
    ("transfers", "reason"): ("Mervane-transfer", "Mervane-transfer"),
    ("transfers", "decision_reason"): ("Mervane-reject", "Mervane-reject"),
    ("consents", "organisation"): ("Mervane-organisation", "Mervane-organisation"),
    ("consents", "document_ref"): ("Mervane-docref", "Mervane-docref"),
    ("link_labels", "reason"): ("Mervane-label", "Mervane-label"),
}


def _rows() -> dict[str, dict[str, object]]:
    plain = {t: {} for t, _ in PLAIN}
    for (t, c), (v, _) in PLAIN.items():
        plain[t][c] = v
    return {
        "persons": {"id": 1, "person_key": "a" * 32, "created_at": NOW},
        "case_records": {"id": 1, "person_id": 1, "source": "t", "source_record_id": "1", "source_kind": "case",
                         "agency": "IOM", "status": "screening", "version": 1, "created_at": NOW, "updated_at": NOW,
                         **plain["case_records"]},
        "screenings": {"id": 1, "case_id": 1, "determination": "not_eligible", "rule": "r", "decided_at": NOW,
                       **plain["screenings"]},
        "assistance": {"id": 1, "case_id": 1, "assistance_type": "medical", "reintegration": False,
                       **plain["assistance"]},
        "returns": {"id": 1, "case_id": 1, "status": "requested", "version": 1, **plain["returns"]},
        "transfers": {"id": 1, "case_id": 1, "from_office_country": "TH", "from_agency": "IOM",
                      "to_office_country": "VN", "to_agency": "IOM", "status": "rejected", "created_at": NOW,
                      **plain["transfers"]},
        "consents": {"id": 1, "case_id": 1, "kind": "sharing", "given": True, "date": date(2024, 1, 1),
                     "recorded_at": NOW, **plain["consents"]},
        "link_labels": {"id": 1, "record_key_l": "a", "record_key_r": "b", "decision": "match", "decided_by": "dm",
                        "decided_at": NOW, **plain["link_labels"]},
    }


def test_upgrade_encrypts_free_text_and_drops_the_plain_columns(store) -> None:
    eng = db.make_engine(store.url)
    command.upgrade(db.alembic_config(eng), "0008_agency_registry")
    with eng.begin() as c:
        for table, row in _rows().items():
            c.execute(sa.insert(sa.table(table, *[sa.column(k) for k in row])), [row])
    command.upgrade(db.alembic_config(eng), "head")
    keys = keyring()
    inspector = sa.inspect(eng)
    with eng.connect() as c:
        for (table, plain), (_, want) in PLAIN.items():
            assert plain not in {col["name"] for col in inspector.get_columns(table)}, (table, plain)
            enc = f"{plain}_enc"
            blob = c.exec_driver_sql(f"SELECT {enc} FROM {table}").scalar_one()
            assert b"Mervane" not in bytes(blob)
            assert keys.decrypt(blob, ENCRYPTED[(table, enc)]) == want, (table, plain)
        for table in ("persons", "case_records", "screenings", "assistance", "returns", "transfers", "consents",
                      "link_labels"):
            for row in c.exec_driver_sql(f"SELECT * FROM {table}"):
                assert "Mervane" not in repr(tuple(row))
    eng.dispose()


def test_upgrade_of_a_store_without_free_text_needs_no_key(store) -> None:
    eng = db.make_engine(store.url)
    command.upgrade(db.alembic_config(eng), "head")
    assert not (store.data_dir / "keys").exists()
    eng.dispose()
