"""Sample exports of the ctdata XLSForm, written to the formats the tools document.

- KoboToolbox CSV export ("XML values and headers", group names included, ``;`` separator): one
  column per question path (``registration/agency``), a 0/1 column per choice of a select-multiple
  question (``screening/actions/recruitment``), then ``meta/instanceID``, ``_id``, ``_uuid``,
  ``_submission_time``, ``_validation_status``, ``_notes``, ``_status``, ``_submitted_by``,
  ``__version__``, ``_tags``, ``_index``.
- KoboToolbox data API JSON (``/api/v2/assets/{uid}/data.json``): ``{"count", "next", "previous",
  "results": [...]}``, keys are question paths, a repeat group a list of objects keyed by paths,
  ``_attachments`` a list.
- ODK Central CSV (the zip's ``FORM.csv`` and ``FORM-journey_legs.csv``): ``SubmissionDate``, question
  paths joined by ``-``, ``meta-instanceID``, ``KEY``, ``SubmitterID`` ...; repeat rows carry
  ``PARENT_KEY`` and ``KEY`` (``uuid:.../journey_legs[1]``).
- ODK Central OData JSON (``Submissions?$expand=*``): ``{"value": [...]}``, groups as nested
  objects, ``__id``, ``__system``, ``meta: {"instanceID"}``.
"""

from __future__ import annotations

import csv
import json
import random
import uuid
from pathlib import Path
from typing import Any

from ctdata.ingest.xlsform import MULTIPLE, REPEAT, SURVEY
from ctdata.standard import vocab

#: question -> its group path, from the form itself
GROUPS: dict[str, str] = {}
_stack: list[str] = []
for _q in SURVEY:
    if _q.type in ("begin_group", "begin_repeat"):
        _stack.append(_q.name)
    elif _q.type in ("end_group", "end_repeat"):
        _stack.pop()
    elif _q.type != "note":
        GROUPS[_q.name] = "/".join(_stack)

RECORD_QUESTIONS = [n for n, g in GROUPS.items() if REPEAT not in g]
LEG_QUESTIONS = [n for n, g in GROUPS.items() if REPEAT in g]
CHOICES = {q.name: q.vocabulary.codes for q in SURVEY if q.vocabulary is not None}


def submission(i: int, rng: random.Random | None = None, **over: Any) -> dict[str, Any]:
    """One submission as question -> value (select-multiple answers space-separated, as exports give them)."""
    rng = rng or random.Random(i)
    age = rng.choice([None, rng.randint(8, 17), rng.randint(18, 60)])
    vul = rng.sample(["stranded", "health_needs", "exploitation_or_abuse"], rng.randint(0, 1))
    if age is not None and age < 18 and rng.random() < 0.3:
        vul.append("unaccompanied_child")
    sub: dict[str, Any] = {
        "agency": rng.choice(["IOM", "NGO-A"]),
        "office_country": rng.choice(["UA", "TH", "MD"]),
        "registration_date": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "consent_assistance": "yes",
        "consent_research": rng.choice(["yes", "no"]),
        "consent_sharing": "",
        "given_name": f"Name{i}",
        "family_name": f"Family{i}",
        "date_of_birth": "",
        "sex": rng.choice(vocab.SEX.codes),
        "citizenship": rng.choice(["UA", "TH MM", "MD"]),
        "id_document_number": "",
        "age_at_exploitation": "" if age is None else str(age),
        "is_child": "yes" if age is not None and age < 18 else "no",
        "actions": " ".join(rng.sample(vocab.ACTIONS.codes, rng.randint(0, 2))),
        "means": "" if age is not None and age < 18 else " ".join(rng.sample(vocab.MEANS.codes, rng.randint(0, 2))),
        "purposes": " ".join(rng.sample(vocab.PURPOSES.codes, rng.randint(0, 2))),
        "country_of_exploitation": rng.choice(["RU", "TH", "PL", ""]),
        "vulnerabilities": " ".join(vul),
        "instanceID": f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
    }
    sub.update(over)
    return sub


def legs(sub: dict[str, Any], n: int) -> list[dict[str, str]]:
    countries = ["UA", "PL", "DE", "FR"]
    return [{"leg_number": str(k), "from_country": countries[k - 1], "to_country": countries[k],
             "departure_date": "2023-05-01", "crossing": "official_land", "travel_document": "own_genuine",
             "transport_mode": "bus", "exploited": "no"} for k in range(1, n + 1)]


def write_kobo_csv(path: Path, subs: list[dict[str, Any]]) -> Path:
    head: list[str] = ["start", "end"]
    for q in RECORD_QUESTIONS:
        head.append(f"{GROUPS[q]}/{q}" if GROUPS[q] else q)
        if q in MULTIPLE:
            head += [f"{GROUPS[q]}/{q}/{c}" for c in CHOICES[q]]
    head += ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_tags", "_index"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL)
        w.writerow(head)
        for k, s in enumerate(subs, start=1):
            row = ["2024-05-01T10:00:00.000+03:00", "2024-05-01T10:20:00.000+03:00"]
            for q in RECORD_QUESTIONS:
                row.append(s.get(q, ""))
                if q in MULTIPLE:
                    chosen = set(str(s.get(q, "")).split())
                    row += ["1" if c in chosen else "0" for c in CHOICES[q]]
            iid = s.get("instanceID", "")
            row += [iid, str(1000 + k), iid.removeprefix("uuid:"), "2024-05-02T08:00:00", "", "",
                    "submitted_via_web", "", "vQx8", "", str(k)]
            w.writerow(row)
    return path


def _paths(values: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {f"{GROUPS[q]}/{q}" if GROUPS[q] else q: values[q] for q in names if values.get(q, "") != ""}


def write_kobo_json(path: Path, subs: list[tuple[dict[str, Any], list[dict[str, str]]]]) -> Path:
    results = []
    for k, (s, ls) in enumerate(subs, start=1):
        item = _paths(s, RECORD_QUESTIONS)
        if ls:
            item[REPEAT] = [{f"{REPEAT}/{q}": v for q, v in leg.items()} for leg in ls]
        item.update({"meta/instanceID": s["instanceID"], "_id": 1000 + k, "_uuid": s["instanceID"][5:],
                     "_attachments": [{"download_url": "https://kf.example/photo.jpg", "mimetype": "image/jpeg"}],
                     "_geolocation": [None, None], "_submission_time": "2024-05-02T08:00:00", "_tags": [],
                     "_notes": [], "_validation_status": {}, "__version__": "vQx8", "formhub/uuid": "f00d"})
        results.append(item)
    path.write_text(json.dumps({"count": len(results), "next": None, "previous": None, "results": results}),
                    encoding="utf-8")
    return path


def write_odk_csv(folder: Path, subs: list[tuple[dict[str, Any], list[dict[str, str]]]],
                  form: str = "ctdata_registration_screening") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    head = ["SubmissionDate", *(f"{GROUPS[q]}-{q}".replace("/", "-") if GROUPS[q] else q for q in RECORD_QUESTIONS),
            "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
            "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
    main = folder / f"{form}.csv"
    with main.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for s, _ls in subs:
            w.writerow(["2024-05-02T08:00:00.000Z", *(s.get(q, "") for q in RECORD_QUESTIONS), s["instanceID"],
                        s["instanceID"], "5", "collector", "0", "0", "", "", "collect:abc", "0", "vQx8"])
    with (folder / f"{form}-{REPEAT}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*LEG_QUESTIONS, "PARENT_KEY", "KEY"])
        for s, ls in subs:
            for k, leg in enumerate(ls, start=1):
                w.writerow([*(leg[q] for q in LEG_QUESTIONS), s["instanceID"], f"{s['instanceID']}/{REPEAT}[{k}]"])
    return main


def write_odk_json(path: Path, subs: list[tuple[dict[str, Any], list[dict[str, str]]]]) -> Path:
    value = []
    for s, ls in subs:
        item: dict[str, Any] = {"__id": s["instanceID"], "__system": {"submitterId": "5", "reviewState": None}}
        for q in RECORD_QUESTIONS:
            if s.get(q, "") == "":
                continue
            node = item
            for g in filter(None, GROUPS[q].split("/")):
                node = node.setdefault(g, {})
            v: Any = s[q]
            node[q] = int(v) if q == "age_at_exploitation" else v
        item["meta"] = {"instanceID": s["instanceID"]}
        if ls:
            item[REPEAT] = [{**{q: (int(v) if q == "leg_number" else v) for q, v in leg.items()},
                             "__id": f"{k}"} for k, leg in enumerate(ls, start=1)]
        value.append(item)
    path.write_text(json.dumps({"@odata.context": "https://central.example/v1/...", "value": value}),
                    encoding="utf-8")
    return path
