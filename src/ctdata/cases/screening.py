"""Persist screening determinations and caseworkers' overrides, audited with their reasons.

The determination itself comes from the pure engine in `ctdata.screening`; this
module stores its input and outcome, moves the case's status to the determination
(unless the case is closed) and keeps the engine's original answer beside any override.

A screening also writes its findings into the case record, so that the case and the
indicators built from it show what the caseworker entered: the exploitation types that
the recorded purposes make (`vocab.exploitation_types_of`, one table in the standard),
the age at exploitation, the country of exploitation when given, and the consents
(to assistance, to research use, to sharing with named organisations). The web form
and the API both record a screening through `screen` (the form through
`register_screened`, which registers the case first in the same transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ctdata.cases import perpetrators, service
from ctdata.cases.access import Actor, known_id
from ctdata.cases.common import load_open, no_nul, record_by, state_consent, touch, validate
from ctdata.errors import Conflict, NotFound, ValidationError
from ctdata.screening import Determination, ScreeningInput, apply_override, determine
from ctdata.standard import models as std
from ctdata.standard import vocab
from ctdata.store.crypto import keyring
from ctdata.store.fields import seal, seal_list
from ctdata.store.models import CaseRecord, Screening, utcnow
from ctdata.text import Plain, Text

ENGINE_KEYS = ("actions", "means", "purposes", "age_at_exploitation", "vulnerabilities")
#: What a screening may carry besides the engine's input.
OTHER_KEYS = ("indicators", "notes", "consent", "country_of_exploitation", "perpetrators", "expected_version")


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
    vulnerabilities) and optionally `indicators` (list of text), `notes` (encrypted),
    `consent` ({assistance, research, sharing: [organisation, ...]}), `country_of_exploitation`
    and `perpetrators` (standard perpetrators, recorded on the case). The findings are written into
    the case (`_write_findings`).
    """
    case = load_open(session, actor, case_id, "screening.create", expected_version)
    data = dict(data)
    extra = set(data) - {*ENGINE_KEYS, *OTHER_KEYS}
    if extra:
        raise ValidationError(Text("unknown screening fields: {fields}", fields=Plain(", ".join(sorted(extra)))))
    inp = ScreeningInput.parse({k: data[k] for k in ENGINE_KEYS if k in data})
    indicators = data.get("indicators") or []
    if not isinstance(indicators, list) or not all(isinstance(i, str) for i in indicators):
        raise ValidationError(Text("indicators must be a list of text"))
    notes = no_nul(data.get("notes"), "notes")
    consent = validate(std.Consent, data.get("consent") or {}, "consent")
    where = validate(std.Exploitation, {"country_of_exploitation": data.get("country_of_exploitation")},
                     "screening").country_of_exploitation
    named = data.get("perpetrators") or []
    if not isinstance(named, list):
        raise ValidationError(Text("perpetrators must be a list"))
    named = [validate(std.Perpetrator, p, f"perpetrator {i}") for i, p in enumerate(named, start=1)]
    det = determine(inp)
    row = Screening(
        case_id=case.id,
        **{k: getattr(inp, k) for k in ENGINE_KEYS},  # the row keeps the engine's input under the same names
        indicators_enc=seal_list([no_nul(i, "indicators") or "" for i in indicators], "screenings", "indicators_enc"),
        notes_enc=keyring().encrypt(notes, "screening_notes"),
        determination=det.determination,
        rule=det.rule,
        missing=det.missing,
        decided_by=actor.username,
    )
    session.add(row)
    case.status, case.status_rule = det.determination, det.rule
    findings = _write_findings(case, inp, consent, where, actor.username)
    touch(case)
    session.flush()
    for p in named:  # who recruited, moved or exploited the person, as the screening heard it
        perpetrators.record_perpetrator(session, actor, case, p)
    record_by(session, actor, "screening.create", case.id, {
        "screening_id": row.id,
        "input": inp.model_dump(),
        "determination": det.determination,
        "rule": det.rule,
        "missing": det.missing,
        "case": findings,
    })
    return {
        "screening_id": row.id,
        "case_version": case.version,
        "exploitation_types": list(case.exploitation_types or []),
        **det.to_dict(),
    }


def _write_findings(
    case: CaseRecord,
    inp: ScreeningInput,
    consent: std.Consent,
    country_of_exploitation: str | None,
    recorded_by: str,
) -> dict[str, Any]:
    """Write what the screening found into the case record; returns the fields written (for the audit).

    Exploitation types: the recorded purposes make the types screening owns
    (`vocab.SCREENED_EXPLOITATION_TYPES`); they replace the ones screening owns already
    on the case (the latest screening is the case's answer), and types no purpose makes
    (forced military service) stay. A screening without a purpose leaves the types alone.
    Consents: each answer given is a consent statement (`common.state_consent`, as on the Consents
    tab): a yes or no replaces the case's; organisations to share with are added, and a consent
    given again after a withdrawal counts again.
    """
    written: dict[str, Any] = {}
    if inp.purposes:
        kept = [t for t in (case.exploitation_types or []) if t not in vocab.SCREENED_EXPLOITATION_TYPES]
        made = set(kept) | set(vocab.exploitation_types_of(inp.purposes))
        case.exploitation_types = [code for code in vocab.EXPLOITATION_TYPES.codes if code in made]
        written["exploitation_types"] = case.exploitation_types
    if inp.age_at_exploitation is not None:
        case.age_at_exploitation = inp.age_at_exploitation
        case.child_at_exploitation = inp.child
        written["age_at_exploitation"] = inp.age_at_exploitation
    if country_of_exploitation:
        case.country_of_exploitation = country_of_exploitation
        written["country_of_exploitation"] = country_of_exploitation
    today = utcnow().date()
    for kind in ("assistance", "research"):
        given = getattr(consent, kind)
        if given is not None:
            state_consent(case, kind, given, recorded_by, when=today)
            written[f"consent_{kind}"] = given
    for organisation in consent.sharing or []:
        if organisation.strip():
            state_consent(case, "sharing", True, recorded_by, organisation=organisation, when=today)
            written["consent_sharing"] = "changed"  # free text: the audit names the field, never the organisations
    return written


class UnconfirmedBlank(Conflict):
    """A registration that names nobody or records no screening answer, not yet confirmed.

    `gaps` says what is missing, in words for the caseworker.
    """

    def __init__(self, gaps: list[str]) -> None:
        super().__init__("not registered until confirmed: " + "; ".join(gaps))
        self.gaps = gaps


NAME_FIELDS = ("given_name", "family_name")


def blank_registration(person: Mapping[str, Any] | std.Person, findings: Mapping[str, Any]) -> list[str]:
    """What a registration from a screening lacks that a case is for: a name, and any screening answer.

    A form pressed by mistake makes such a case (nameless and 'not eligible'), so registering one
    needs the caseworker's confirmation; an empty list means nothing is missing.
    """
    data = person.model_dump() if isinstance(person, std.Person) else dict(person)
    gaps = []
    if not any(str(data.get(k) or "").strip() for k in NAME_FIELDS):
        gaps.append(Text("No name is recorded for the person"))
    if not any(findings.get(k) for k in ENGINE_KEYS):
        gaps.append(Text("No screening answer is recorded, so the outcome would be “not eligible”"))
    return gaps


def register_screened(
    session: Session,
    actor: Actor,
    person: Mapping[str, Any] | std.Person,
    case: Mapping[str, Any] | std.CaseRecord,
    findings: Mapping[str, Any],
    *,
    confirmed: bool = False,
    draft_id: str | None = None,
) -> dict[str, Any]:
    """Register a person and case, then record its first screening (with its findings), in one go.

    The caller's transaction holds both, so a refused screening leaves no half-registered case.
    A registration that `blank_registration` finds gaps in is refused (`UnconfirmedBlank`)
    unless `confirmed`. Returns `screen`'s answer with the new `case_id`. A ``draft_id`` already
    registered (a draft sent twice) registers nothing and returns that case (`already_registered`).
    """
    if draft_id is not None:
        done = service.registered_draft(session, actor, draft_id)
        if done is not None:
            return {"case_id": done.id, "already_registered": True}
    person = validate(std.Person, person, "person")  # a typing slip is shown before the question of gaps
    gaps = blank_registration(person, findings)
    if gaps and not confirmed:
        raise UnconfirmedBlank(gaps)
    rec = service.register_case(session, actor, person, case, record_id=draft_id)
    return {"case_id": rec.id, **screen(session, actor, rec.id, findings)}


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
    case = load_open(session, actor, case_id, "screening.override", expected_version)
    row = session.get(Screening, screening_id) if known_id(screening_id) else None
    if row is None or row.case_id != case.id:
        raise NotFound(Text("screening {number} of case {case} not found", number=Plain(screening_id),
                                case=Plain(case_id)))
    det = _determination_of(row)
    if row.override_determination:
        det = det.model_copy(update={"determination": row.override_determination, "rule": "override"})
    new = apply_override(det, determination, no_nul(reason, "reason") or "", actor.username)
    row.override_determination = new.determination
    row.override_reason_enc = seal(new.override.reason, "screenings", "override_reason_enc")  # type: ignore[union-attr]
    case.status, case.status_rule = new.determination, "override"
    touch(case)
    session.flush()
    record_by(session, actor, "screening.override", case.id, {
        "fields": ["override_reason"],
        "screening_id": row.id,
        "from": det.determination,
        "to": new.determination,
        "engine_rule": row.rule,
    })
    return {"screening_id": row.id, "case_version": case.version, **new.to_dict()}
