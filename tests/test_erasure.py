"""Erasure of a person, through the API and through `ctdata case erase`: afterwards a byte search of
the whole data directory (SQLite database file with its free pages, WAL, warehouse, releases, key
folder) finds neither their name nor their document number, in any case variant, and no encrypted
value of the store still decrypts to text naming them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ctdata.cases import service, users
from ctdata.cases.access import SYSTEM, Actor
from ctdata.cases.tx import store_engine, transaction
from ctdata.store.crypto import keyring
from ctdata.store.fields import ENCRYPTED
from ctdata.store.models import User
from tests.cases.conftest import ensure_agency
from tests.conftest import reset_caches
from tests.ingest.helpers import record, write_records

GIVEN, FAMILY, DOC = "Zyxwarthine", "Quellobrandt", "XK4471902Q"
PASSWORD = "correct horse battery"
P = "/api/v1"


def _needles() -> list[bytes]:
    words = [GIVEN, FAMILY, DOC, f"{GIVEN} {FAMILY}"]
    out = set()
    for w in words:
        for v in (w, w.lower(), w.upper(), w.casefold(), w.title()):
            out.add(v.encode("utf-8"))
            out.add(v.encode("utf-16-le"))  # a text stored as UTF-16 would hide from a UTF-8 search
    return sorted(out)


def _byte_search(root: Path) -> list[str]:
    """Every file under root (all of it, free pages and journals included) that holds a needle."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        found += [f"{path.relative_to(root)}: {n!r}" for n in _needles() if n in blob]
    return found


def _decrypted_mentions(url: str) -> list[str]:
    """Encrypted values of the store that still decrypt to text naming the person."""
    keys = keyring()
    eng = store_engine(url)
    out = []
    with eng.connect() as c:
        for (table, column), ctx in ENCRYPTED.items():
            for (blob,) in c.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")):
                plain = keys.decrypt(blob, ctx) or ""
                if any(w.casefold() in plain.casefold() for w in (GIVEN, FAMILY, DOC)):
                    out.append(f"{table}.{column}")
    return out


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("CTDATA_DATA_DIR", str(d))
    monkeypatch.delenv("CTDATA_DATABASE_URL", raising=False)
    monkeypatch.delenv("CTDATA_KEY_FILE", raising=False)
    reset_caches()
    yield d
    reset_caches()


def test_erasure_through_the_api_leaves_no_byte_of_the_person(data_dir: Path) -> None:
    from ctdata.publish.flows import create_release
    from ctdata.publish.settings import KAnonSettings
    from ctdata.warehouse.build import build
    from ctdata.web.app import create_app

    url = f"sqlite:///{data_dir / 'ctdata.db'}"
    eng = store_engine(url)
    with transaction(eng) as s:
        ensure_agency(s, "IOM")
        for name, role, office, agency in (("th", "caseworker", "TH", "IOM"), ("vn", "caseworker", "VN", "IOM"),
                                           ("dm", "data_manager", None, None), ("dm2", "data_manager", None, None)):
            users.create_user(s, SYSTEM, name, PASSWORD, role, office, agency)
    with transaction(eng) as s:
        th = Actor.of(s.execute(select(User).where(User.username == "th")).scalar_one())
        for i in range(12):  # other people, so the warehouse and a release have rows
            service.register_case(s, th, {"given_name": f"Other{i}", "sex": "female", "citizenship": ["VN"]},
                                  {"office_country": "TH", "registration_date": "2024-03-01",
                                   "consent": {"research": True}})

    def bearer(username: str) -> dict[str, str]:
        with transaction(eng) as s:
            user = s.execute(select(User).where(User.username == username)).scalar_one()
            return {"Authorization": f"Bearer {users.start_session(s, user).token}"}

    client = TestClient(create_app(url), headers={"accept": "application/json"})
    h = bearer("th")
    full = f"{GIVEN} {FAMILY}"
    person = {"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "1995-06-01", "sex": "female",
              "citizenship": ["VN"], "id_document_number": DOC}
    case = {"office_country": "TH", "registration_date": "2024-03-01",
            "consent": {"research": True, "sharing": ["IOM VN", f"NGO of {full}"]}}
    r = client.post(f"{P}/cases", json={"person": person, **case}, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    steps = [
        ("screening", {"actions": ["recruitment"], "purposes": [], "notes": f"{full} passport {DOC}",
                       "indicators": [f"{GIVEN}'s passport held"]}),
        ("assistance", {"assistance_type": "medical", "provider": f"clinic of {FAMILY}"}),
        ("consents", {"kind": "sharing", "organisation": f"NGO of {full}", "document_ref": f"form {DOC}"}),
        ("transfers", {"to_office_country": "VN", "reason": f"{full} wants to go home"}),
    ]
    for path, body in steps:
        r = client.post(f"{P}/cases/{cid}/{path}", json=body, headers=h)
        assert r.status_code == 201, (path, r.text)
    sid = client.get(f"{P}/cases/{cid}", headers=h).json()["screenings"][0]["id"]
    r = client.post(f"{P}/cases/{cid}/screenings/{sid}/override",
                    json={"determination": "vulnerable_migrant", "reason": f"{full} stranded"}, headers=h)
    assert r.status_code == 200, r.text
    tid = client.get(f"{P}/cases/{cid}", headers=h).json()["transfers"][0]["id"]
    r = client.post(f"{P}/transfers/{tid}/reject", json={"reason": f"no room for {full}"}, headers=bearer("vn"))
    assert r.status_code == 200, r.text
    assert client.get(f"{P}/cases/{cid}", headers=h).json()["assistance"][0]["provider"] == f"clinic of {FAMILY}"

    build(progress=False)
    with transaction(eng) as s:
        dm2 = Actor.of(s.execute(select(User).where(User.username == "dm2")).scalar_one())
    draft, _ = create_release(dm2, KAnonSettings(k=2, max_suppression=1.0))
    assert (data_dir / "releases" / draft.release_id).is_dir()

    dm = bearer("dm")
    for reason in (f"written request of {full}", f"request about document {DOC.lower()}"):
        r = client.post(f"{P}/cases/{cid}/erase", json={"reason": reason}, headers=dm)
        assert r.status_code == 422 and "names the person" in r.text, r.text  # it would be a copy left behind
    r = client.post(f"{P}/cases/{cid}/erase", json={"reason": "the person's written request of 2024-05-01"},
                    headers=dm)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["cases"] == [cid] and out["person_erased_at"]
    for name in ("persons.given_name", "persons.id_document", "screenings.notes", "screenings.override_reason",
                 "assistance.provider", "transfers.reason", "transfers.decision_reason", "consents.organisation",
                 "consents.document_ref", "case_records.consent_sharing"):
        assert out["cleared"].get(name) == 1, name
    assert out["warehouse"]["rewritten"] == ["2024"]
    assert out["release_drafts_withdrawn"] == [draft.release_id]
    assert not (data_dir / "releases" / draft.release_id).exists()
    assert "WAL checkpointed and truncated" in out["store"]
    client.close()

    assert _decrypted_mentions(url) == []
    assert _byte_search(data_dir) == []
    assert (data_dir / "ctdata.db").stat().st_size > 0 and (data_dir / "warehouse" / "cases").is_dir()


def _ctdata(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ctdata.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600, input=stdin)


def test_erasure_through_the_cli_leaves_no_byte_of_the_person(data_dir: Path, tmp_path: Path) -> None:
    env = {"CTDATA_DATA_DIR": str(data_dir)}
    rows = [record(0, given_name=GIVEN, family_name=FAMILY, id_document_number=DOC, consent_research="1",
                   consent_sharing=f"IOM VN;{GIVEN} {FAMILY}'s NGO")]
    rows += [record(i, consent_research="1") for i in range(1, 30)]
    folder = tmp_path / "files"
    write_records(folder / "records.csv", rows)
    (folder / "assistance.csv").write_text(
        f"record_id,assistance_type,date,provider,reintegration\nR0,medical,2011-05-01,clinic of {FAMILY},1\n",
        encoding="utf-8")
    r = _ctdata(["import", "standard", str(folder)], env)
    assert r.returncode == 0, r.stderr
    for name in ("dm", "dm2"):
        r = _ctdata(["user", "add", name, "--role", "data_manager", "--password-stdin"], env, PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
    assert _ctdata(["warehouse", "build"], env).returncode == 0
    r = _ctdata(["publish", "kanon", "--k", "2", "--by", "dm2", "--password-stdin", "--json"], env, PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    draft = json.loads(r.stdout)["release"]["release_id"]
    with sqlite3.connect(data_dir / "ctdata.db") as c:
        (cid,) = c.execute("SELECT id FROM case_records WHERE source_record_id = 'R0'").fetchone()

    wrong = _ctdata(["case", "erase", str(cid), "--reason", "x", "--by", "dm", "--password-stdin"], env, "nope\n")
    assert wrong.returncode != 0 and len(wrong.stderr.strip().splitlines()) == 1
    named = _ctdata(["case", "erase", str(cid), "--reason", f"request of {GIVEN}", "--by", "dm", "--password-stdin"],
                    env, PASSWORD + "\n")
    assert named.returncode != 0 and "names the person" in named.stderr
    assert len(named.stderr.strip().splitlines()) == 1
    r = _ctdata(["case", "erase", str(cid), "--reason", "the person's request of 2024-05-01", "--by", "dm",
                 "--password-stdin", "--json"], env, PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["cases"] == [cid] and out["cleared"]["persons.id_document"] == 1
    assert out["cleared"]["assistance.provider"] == 1 and out["cleared"]["case_records.consent_sharing"] == 1
    assert out["release_drafts_withdrawn"] == [draft] and out["warehouse"]["rewritten"]
    again = _ctdata(["case", "erase", str(cid), "--reason", "again", "--by", "dm", "--password-stdin"], env,
                    PASSWORD + "\n")
    assert again.returncode != 0 and "already erased" in again.stderr

    reset_caches()
    assert _decrypted_mentions(f"sqlite:///{data_dir / 'ctdata.db'}") == []
    assert _byte_search(data_dir) == []
