"""Persist screening determinations and caseworkers' overrides, audited with their reasons.

The determination itself comes from the pure engine in `ctdata.screening`; this
module stores its input and outcome, moves the case's status to the determination
(unless the case is closed) and keeps the engine's original answer beside any override.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, known_id, load_case
from ctdata.cases.common import check_version, ensure_open, no_nul, touch
from ctdata.cases.tx import record
from ctdata.errors import NotFound, ValidationError
from ctdata.screening import Determination, ScreeningInput, apply_override, determine
from ctdata.store.crypto import keyring
from ctdata.store.models import Screening

ENGINE_KEYS = ("actions", "means", "purposes", "age_at_exploitation", "vulnerabilities")


def screen(
    session: Session,
    actor: Actor,
    case_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Record one screening of the case and return the determination (with its rule and what is missing).

    `data` holds the engine's input (actions, means, purposes, age_at_exploitation,
    vulnerabilities) and optionally `indicators` (list of text) and `notes` (encrypted).
    """
    case, _ = load_case(session, actor, case_id, write=True, action="screening.create")
    check_version(case, expected_version)
    ensure_open(case)
    data = dict(data)
    extra = set(data) - {*ENGINE_KEYS, "indicators", "notes", "expected_version"}
    if extra:
        raise ValidationError(f"unknown screening fields: {', '.join(sorted(extra))}")
    inp = ScreeningInput.parse({k: data[k] for k in ENGINE_KEYS if k in data})
    indicators = data.get("indicators") or []
    if not isinstance(indicators, list) or not all(isinstance(i, str) for i in indicators):
        raise ValidationError("indicators must be a list of text")
    notes = no_nul(data.get("notes"), "notes")
    det = determine(inp)
    row = Screening(
        case_id=case.id,
        actions=inp.actions,
        means=inp.means,
        purposes=inp.purposes,
        vulnerabilities=inp.vulnerabilities,
        indicators=[no_nul(i, "indicators") for i in indicators],
        age_at_exploitation=inp.age_at_exploitation,
        notes_enc=keyring().encrypt(notes, "screening_notes"),
        determination=det.determination,
        rule=det.rule,
        missing=det.missing,
        decided_by=actor.username,
    )
    session.add(row)
    case.status, case.status_rule = det.determination, det.rule
    if inp.age_at_exploitation is not None:
        case.age_at_exploitation = inp.age_at_exploitation
        case.child_at_exploitation = inp.child
    touch(case)
    session.flush()
    record(
        session,
        actor=actor.username,
        action="screening.create",
        entity="case",
        entity_id=case.id,
        details={
            "screening_id": row.id,
            "input": inp.model_dump(),
            "determination": det.determination,
            "rule": det.rule,
            "missing": det.missing,
        },
    )
    return {"screening_id": row.id, "case_version": case.version, **det.to_dict()}


def _determination_of(row: Screening) -> Determination:
    inp = ScreeningInput.parse(
        {
            "actions": row.actions or [],
            "means": row.means or [],
            "purposes": row.purposes or [],
            "age_at_exploitation": row.age_at_exploitation,
            "vulnerabilities": row.vulnerabilities or [],
        }
    )
    return determine(inp)


def override(
    session: Session,
    actor: Actor,
    case_id: int,
    screening_id: int,
    determination: str,
    reason: str,
    *,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Change a screening's determination for a stated reason; the engine's answer is kept."""
    case, _ = load_case(session, actor, case_id, write=True, action="screening.override")
    check_version(case, expected_version)
    ensure_open(case)
    row = session.get(Screening, screening_id) if known_id(screening_id) else None
    if row is None or row.case_id != case.id:
        raise NotFound(f"screening {screening_id} of case {case_id} not found")
    det = _determination_of(row)
    if row.override_determination:
        det = det.model_copy(update={"determination": row.override_determination, "rule": "override"})
    new = apply_override(det, determination, no_nul(reason, "reason") or "", actor.username)
    row.override_determination, row.override_reason = new.determination, new.override.reason  # type: ignore[union-attr]
    case.status, case.status_rule = new.determination, "override"
    touch(case)
    session.flush()
    record(
        session,
        actor=actor.username,
        action="screening.override",
        entity="case",
        entity_id=case.id,
        reason=new.override.reason,  # type: ignore[union-attr]
        details={
            "screening_id": row.id,
            "from": det.determination,
            "to": new.determination,
            "engine_rule": row.rule,
        },
    )
    return {"screening_id": row.id, "case_version": case.version, **new.to_dict()}
