"""The CTDC victim-perpetrator release: recognised by `import ctdc`, every row loaded or quarantined with
its reason, one grouped perpetrator row per victim, a re-import changes nothing."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from sqlalchemy import func, select

from ctdata.ingest.ctdc import VICTIM_PERPETRATOR, detect_release
from ctdata.ingest.ctdc_columns import VP_HEADER
from ctdata.ingest.ctdc_import import import_ctdc
from ctdata.store import db
from ctdata.store.models import CaseRecord, Perpetrator, Person, QuarantineRow


def vp_row(**over: str) -> dict[str, str]:
    row = dict.fromkeys(VP_HEADER, "")
    row.update({"yearRegister": "2019", "gender": "Female", "majorityStatus": "Adult", "isForcedLabour": "1",
                "UN_COO_Region": "Asia", "UN_COE_Region": "Asia", "IP_Exploiter": "1", "IP_Gender": "Female;Male",
                "IP_citizen_UNRegion": "Asia", "IP_Relation": "FriendAcquaintance", "IP_PayMoney": "No;Yes",
                "IP_RecruiterBroker": "1"})
    row.update(over)
    return row


def write_vp(path: Path, rows: list[dict[str, str]]) -> Path:
    with gzip.open(path, "wt", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(VP_HEADER))
        w.writeheader()
        w.writerows(rows)
    return path


def test_header_is_recognised() -> None:
    assert detect_release(list(VP_HEADER)).format == VICTIM_PERPETRATOR


def test_rows_load_with_their_perpetrators_or_are_quarantined(store, tmp_path: Path) -> None:
    rows = [
        vp_row(),
        vp_row(yearRegister="2014-2018", gender="", majorityStatus="Minor", UN_COO_Region="Americas/Oceania",
               IP_citizen_UNRegion="Africa;Asia", IP_Relation="FamilyIntimatePartner;StrangerUnknownOther",
               IP_ageBroad="30--38", IP_TransactionProcess="1", IP_ControlAbuseKidnap="1"),
        vp_row(IP_Relation="Cousin"),  # not a category of the release
        vp_row(UN_COO_Region="Atlantis"),
    ]
    path = write_vp(tmp_path / "vp.csv.gz", rows)
    res = import_ctdc(path)
    assert (res.rows_read, res.loaded, res.quarantined) == (4, 2, 2)
    assert res.tables["perpetrators"]["loaded"] == 2 and res.tables["perpetrators"]["quarantined"] == 2
    with db.session_scope() as s:
        reasons = sorted(r for (r,) in s.execute(
            select(QuarantineRow.reason).where(QuarantineRow.table_name == "records")))
        assert reasons[0].startswith("IP_Relation: unexpected value 'Cousin'")
        assert reasons[1].startswith("UN_COO_Region: unexpected value 'Atlantis'")
        got = s.execute(select(CaseRecord, Perpetrator, Person).join(Perpetrator, Perpetrator.case_id == CaseRecord.id)
                        .join(Person, Person.id == CaseRecord.person_id).order_by(CaseRecord.id)).all()
        (c1, p1, v1), (c2, p2, v2) = got
        assert c1.source_kind == "public_release" and c1.registration_year == 2019 and v1.sex == "female"
        assert c1.origin_region == "asia" and c1.exploitation_region == "asia"
        assert p1.grouped and p1.sex == ["female", "male"] and p1.paid_money == ["no", "yes"]
        assert p1.roles == ["recruiter", "exploiter"] and p1.region == ["asia"]
        assert p1.relation == ["friend_acquaintance"] and p1.age_band is None
        assert c2.registration_year is None and c2.child_at_registration is True and v2.sex is None
        assert c2.origin_region == "americas_oceania"
        assert p2.region == ["africa", "asia"] and p2.age_band == ["30-38"]
        assert p2.relation == ["family_intimate_partner", "stranger_other"]
        assert p2.roles == ["recruiter", "exploiter", "broker", "controller"]
    again = import_ctdc(path)
    assert (again.loaded, again.already_present, again.inserted) == (2, 2, 0)
    assert again.tables["perpetrators"]["already_present"] == 2
    with db.session_scope() as s:
        assert s.execute(select(func.count()).select_from(Perpetrator)).scalar_one() == 2
