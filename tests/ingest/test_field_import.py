"""ODK Central and KoboToolbox exports of the ctdata form through the one import pipeline: mapped, validated,
quarantined with reasons, idempotent on the instance id, the determination recomputed, never read."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ctdata.ingest.field_import import import_kobo, import_odk, question_of
from ctdata.ingest.mappers import FORM_SOURCE
from ctdata.ingest.quarantine import list_rows
from ctdata.screening import ScreeningInput, determine
from ctdata.store import db
from ctdata.store.models import CaseRecord, JourneyLeg, QuarantineRow

from .field_exports import legs, submission, write_kobo_csv, write_kobo_json, write_odk_csv, write_odk_json

#: the 10 bad submissions of the done-when test: (what is wrong, the override, the reason's start)
BAD: list[tuple[dict[str, Any], str]] = [
    ({"office_country": "QQ"}, "office_country:"),
    ({"actions": "recruitment kidnapping"}, "actions: “kidnapping” is not one of the values allowed here"),
    ({"age_at_exploitation": "abc", "is_child": "no"}, "age_at_exploitation:"),
    ({"age_at_exploitation": "30", "vulnerabilities": "unaccompanied_child"},
     "“Unaccompanied or separated child” was recorded"),
    ({"instanceID": ""}, "instanceID: the submission has no instance id"),
    ({"registration_date": "2024-13-45"}, "registration_date:"),
    ({"sex": "robot"}, "sex:"),
    ({"agency": ""}, "agency: required value is empty"),
    ({"consent_research": "maybe"}, "consent_research:"),
    ({}, "record_id:"),  # the instance id of another submission: the same submission twice in one export
]


def _count(model: type, **where: Any) -> int:
    with db.session_scope() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.execute(q).scalar_one()


def _thousand() -> tuple[list[dict[str, Any]], set[int]]:
    rng = random.Random(18)
    subs = [submission(i, rng) for i in range(1000)]
    bad_at = sorted(rng.sample(range(1, 1000), len(BAD)))
    for k, (at, (over, _)) in enumerate(zip(bad_at, BAD, strict=True)):
        if k == len(BAD) - 1:
            over = {"instanceID": subs[0]["instanceID"]}
        subs[at].update(over)
    return subs, set(bad_at)


def _expected_status(s: dict[str, Any]) -> str:
    age = s["age_at_exploitation"]
    return determine(ScreeningInput.parse({
        "actions": s["actions"].split(), "means": s["means"].split(), "purposes": s["purposes"].split(),
        "vulnerabilities": s["vulnerabilities"].split(), "age_at_exploitation": int(age) if age else None,
    })).determination


def test_kobo_csv_of_1000_with_10_bad_loads_990_and_reimport_changes_nothing(store: Any, tmp_path: Path) -> None:
    subs, bad_at = _thousand()
    path = write_kobo_csv(tmp_path / "kobo.csv", subs)
    first = import_kobo(path)
    assert (first.rows_read, first.loaded, first.inserted, first.quarantined) == (1000, 990, 990, 10)
    assert _count(CaseRecord, source=FORM_SOURCE) == 990
    reasons = sorted(r["reason"] for r in list_rows())
    assert len(reasons) == 10
    for _over, start in BAD:
        assert any(start in r for r in reasons), (start, reasons)
    # the stored status is ctdata's determination of the submitted elements
    with db.session_scope() as s:
        stored = dict(s.execute(select(CaseRecord.source_record_id, CaseRecord.status)).all())
    for i, sub in enumerate(subs):
        if i not in bad_at:
            assert stored[sub["instanceID"].removeprefix("uuid:")] == _expected_status(sub)
    assert len(set(stored.values())) == 3

    again = import_kobo(path)
    assert (again.rows_read, again.loaded, again.inserted, again.updated, again.already_present,
            again.quarantined) == (1000, 990, 0, 0, 990, 10)
    assert _count(CaseRecord) == 990
    assert _count(QuarantineRow, status="open") == 10


def test_the_form_never_decides_the_status(store: Any, tmp_path: Path) -> None:
    """A status or determination column in the export (a form may carry one) is not read."""
    child = submission(1, age_at_exploitation="15", actions="recruitment", means="", purposes="sexual_exploitation",
                       vulnerabilities="")
    adult = submission(2, age_at_exploitation="30", actions="recruitment", means="", purposes="sexual_exploitation",
                       vulnerabilities="")
    unknown = submission(3, age_at_exploitation="", actions="recruitment", means="", purposes="",
                         vulnerabilities="")
    path = write_kobo_csv(tmp_path / "k.csv", [child, adult, unknown])
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] += ';"screening/status";"determination"'
    text[1:] = [line + ';"not_eligible";"not_eligible"' for line in text[1:2]] + [
        line + ';"victim_of_trafficking";"victim_of_trafficking"' for line in text[2:]]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    res = import_kobo(path)
    assert res.loaded == 3, res.reasons
    with db.session_scope() as s:
        got = dict(s.execute(select(CaseRecord.source_record_id, CaseRecord.status)).all())
        types = dict(s.execute(select(CaseRecord.source_record_id, CaseRecord.exploitation_types)).all())
    ids = [x["instanceID"][5:] for x in (child, adult, unknown)]
    assert [got[i] for i in ids] == ["victim_of_trafficking", "vulnerable_migrant", "not_eligible"]
    assert types[ids[0]] == ["sexual_exploitation"]


@pytest.mark.parametrize("fmt", ["kobo_json", "odk_csv", "odk_zip", "odk_json"])
def test_exports_with_repeat_groups(store: Any, tmp_path: Path, fmt: str) -> None:
    rng = random.Random(7)
    subs = [(submission(i, rng), legs({}, i % 3)) for i in range(12)]
    subs[5][0]["purposes"] = "forced_labour nonsense"  # quarantined, its legs with it
    if fmt == "kobo_json":
        path, run = write_kobo_json(tmp_path / "kobo.json", subs), import_kobo
    elif fmt == "odk_json":
        path, run = write_odk_json(tmp_path / "odk.json", subs), import_odk
    else:
        path, run = write_odk_csv(tmp_path / "central", subs), import_odk
        if fmt == "odk_zip":
            z = tmp_path / "central.zip"
            with zipfile.ZipFile(z, "w") as zf:
                for p in (tmp_path / "central").iterdir():
                    zf.write(p, p.name)
                zf.writestr("media/photo.jpg", b"\xff\xd8")  # attachments are ignored
            path = z
    res = run(path)
    n_legs = sum(len(ls) for _s, ls in subs)
    bad_legs = len(subs[5][1])
    assert (res.rows_read, res.loaded, res.quarantined) == (12, 11, 1)
    assert res.tables["journey_legs"]["rows_read"] == n_legs
    assert res.tables["journey_legs"]["loaded"] == n_legs - bad_legs
    assert _count(JourneyLeg) == n_legs - bad_legs
    with db.session_scope() as s:
        stored = {(rid, leg.leg_number, leg.from_country, leg.to_country, leg.transport_mode)
                  for rid, leg in s.execute(select(CaseRecord.source_record_id, JourneyLeg)
                                            .join(JourneyLeg, JourneyLeg.case_id == CaseRecord.id)).all()}
    want = {(s["instanceID"][5:], int(leg["leg_number"]), leg["from_country"], leg["to_country"],
             leg["transport_mode"]) for i, (s, ls) in enumerate(subs) if i != 5 for leg in ls}
    assert stored == want
    again = run(path)
    assert (again.inserted, again.updated, again.already_present) == (0, 0, 11)
    assert again.tables["journey_legs"]["inserted"] == 0
    assert _count(JourneyLeg) == n_legs - bad_legs


def test_one_submission_from_both_tools_is_one_record(store: Any, tmp_path: Path) -> None:
    subs = [(submission(i), legs({}, 1)) for i in range(3)]
    import_odk(write_odk_json(tmp_path / "odk.json", subs))
    res = import_kobo(write_kobo_json(tmp_path / "kobo.json", subs))
    assert res.inserted == 0 and res.already_present == 3
    assert _count(CaseRecord) == 3


@pytest.mark.parametrize(("header", "question"), [
    ("registration/agency", "agency"), ("registration-agency", "agency"), ("agency", "agency"),
    ("meta/instanceID", "instanceID"), ("meta-instanceID", "instanceID"), ("_uuid", "_uuid"),
    ("screening/actions", "actions"), ("screening/actions/recruitment", None), ("_attachments", None),
    ("screening/status", None), ("SubmissionDate", None),
])
def test_headers_name_questions(header: str, question: str | None) -> None:
    from ctdata.ingest.field_import import RECORD_NAMES

    assert question_of(header, RECORD_NAMES) == question


def test_cli_import_kobo_json_output(store: Any, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from ctdata.cli.app import app

    path = write_kobo_csv(tmp_path / "k.csv", [submission(i) for i in range(4)])
    res = CliRunner().invoke(app, ["import", "kobo", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["kind"], out["rows_read"], out["loaded"]) == ("kobo", 4, 4)


def test_a_quarantined_submission_is_retried_through_the_form_mapper(store: Any, tmp_path: Path) -> None:
    from ctdata.ingest.quarantine import retry

    subs = [submission(1), submission(2, sex="robot", age_at_exploitation="15", actions="recruitment",
                                      purposes="forced_begging", means="")]
    import_kobo(write_kobo_csv(tmp_path / "k.csv", subs))
    [row] = list_rows()
    out = retry([row["id"]], {"sex": "female"})
    assert out["loaded"] == 1, out
    with db.session_scope() as s:
        q = select(CaseRecord).where(CaseRecord.source_record_id == subs[1]["instanceID"][5:])
        case = s.execute(q).scalar_one()
        assert (case.status, case.exploitation_types) == ("victim_of_trafficking", ["forced_begging"])


def test_every_question_of_the_form_is_read_by_the_importer() -> None:
    """The form and the importer come from one definition: each answer lands in a template column."""
    from ctdata.ingest import mappers
    from ctdata.ingest.field_import import LEG_NAMES
    from ctdata.ingest.xlsform import QUESTIONS, REPEAT, REPEAT_QUESTIONS, SURVEY
    from ctdata.standard.template import column_names

    read = {*mappers._COPIED, *mappers._ELEMENTS, "citizenship"}
    not_answers = {q.name for q in SURVEY if q.type in ("begin_group", "begin_repeat", "note")}
    derived = {"is_child"}  # the child rule as form logic; ctdata derives it again from the age
    questions = set(QUESTIONS) - set(REPEAT_QUESTIONS) - not_answers - derived - {REPEAT}
    assert questions == read
    assert read - {*mappers._ELEMENTS} <= set(column_names("records"))
    assert set(REPEAT_QUESTIONS) <= set(LEG_NAMES) and set(LEG_NAMES) - set(REPEAT_QUESTIONS) == {"record_id"}
