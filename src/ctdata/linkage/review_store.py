"""The review queue in the store: list uncertain pairs, show one side by side, decide it, explain it.

A decision is kept as a label (who, when, why), audited, and applied at once by
re-clustering from the last run's scores, so the data manager sees its effect.
Who sees what: a pair is visible when both its records are within the actor's
case scope (`cases.access.Scope`, the rule of the case pages): data managers of
an agency see pairs of their agency's cases; caseworkers and analysts never
reach the queue (the web routes and CLI are for data managers).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ctdata.cases.access import SYSTEM, Actor, Scope, known_id
from ctdata.cases.tx import record
from ctdata.errors import NotFound, PermissionDenied, ValidationError
from ctdata.linkage import explain
from ctdata.linkage.review import DECISIONS, make_label
from ctdata.linkage.store_io import last_run, read_records
from ctdata.store import audit, db
from ctdata.store.crypto import keyring
from ctdata.store.fields import seal, unseal
from ctdata.store.models import CaseRecord, IndividualLink, LinkLabel, LinkReviewPair, Person, utcnow
from ctdata.text import Text

REVIEWERS = ("admin", "data_manager")


def _check_role(actor: Actor) -> None:
    if actor.role not in REVIEWERS:
        raise PermissionDenied(Text("role '{role}' may not review linkage", role=actor.role))


def _scope(session: Session, actor: Actor) -> Scope:
    """The actor's case scope (the one access rule)."""
    return Scope(session, actor)


def _pair_dict(p: LinkReviewPair) -> dict[str, Any]:
    return {
        "pair_id": p.id,
        "case_id_l": p.case_id_l,
        "case_id_r": p.case_id_r,
        "record_key_l": p.record_key_l,
        "record_key_r": p.record_key_r,
        "match_probability": round(float(p.match_probability), 4),
        "match_weight": round(float(p.match_weight), 3),
        "status": p.status,
        "decision": p.decision,
    }


def _queue(session: Session, actor: Actor, status: str) -> Any:
    """The pairs of the queue in this status that the actor may see (both records within their cases)."""
    _check_role(actor)
    q = select(LinkReviewPair)
    if status != "all":
        q = q.where(LinkReviewPair.status == status)
    scope = _scope(session, actor)
    if not scope.unrestricted:  # both records of a pair within the actor's cases
        visible = select(CaseRecord.id).where(scope.where)
        q = q.where(LinkReviewPair.case_id_l.in_(visible), LinkReviewPair.case_id_r.in_(visible))
    return q


def list_pairs(
    session: Session, actor: Actor = SYSTEM, status: str = "open", limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """Pairs of the queue, most uncertain first (probability closest to 0.5), visible to the actor."""
    q = _queue(session, actor, status)
    q = q.order_by(func.abs(LinkReviewPair.match_probability - 0.5), LinkReviewPair.id)
    rows = session.execute(q.offset(max(0, offset)).limit(max(1, limit))).scalars()
    return [_pair_dict(p) for p in rows]


def count_pairs(session: Session, actor: Actor = SYSTEM, status: str = "open") -> int:
    """How many pairs of the queue in this status the actor may see (the same rule as `list_pairs`)."""
    q = _queue(session, actor, status)
    return int(session.execute(select(func.count()).select_from(q.subquery())).scalar() or 0)


def count_open(session: Session) -> int:
    """Every open pair of the queue, whoever may see it (what `ctdata link` reports)."""
    return int(session.execute(select(func.count()).where(LinkReviewPair.status == "open")).scalar() or 0)


def _get_pair(session: Session, actor: Actor, pair_id: int) -> tuple[LinkReviewPair, CaseRecord, CaseRecord]:
    _check_role(actor)
    p = session.get(LinkReviewPair, pair_id) if known_id(pair_id) else None
    if p is None:
        raise NotFound(f"review pair {pair_id} not found")
    cl, cr = session.get(CaseRecord, p.case_id_l), session.get(CaseRecord, p.case_id_r)
    ids = {p.case_id_l, p.case_id_r}
    if cl is None or cr is None or _scope(session, actor).ids_visible(session, ids) != ids:
        raise NotFound(f"review pair {pair_id} not found")
    return p, cl, cr


def _record(session: Session, case: CaseRecord, identifying: bool) -> dict[str, Any]:
    person: Person = case.person
    keys = keyring()
    erased = person.erased_at is not None

    def dec(blob: bytes | None, ctx: str) -> str | None:
        if not identifying or erased or blob is None:
            return None
        return keys.decrypt(blob, ctx)

    ind = session.get(IndividualLink, case.id)
    return {
        "case_id": case.id,
        "source_record_id": case.source_record_id,
        "agency": case.agency,
        "office_country": case.office_country,
        "current_office_country": case.current_office_country,
        "registration_date": case.registration_date,
        "status": case.status,
        "given_name": dec(person.given_name_enc, "given_name"),
        "family_name": dec(person.family_name_enc, "family_name"),
        "date_of_birth": dec(person.date_of_birth_enc, "date_of_birth"),
        "place_of_birth": dec(person.place_of_birth_enc, "place_of_birth"),
        "has_document": person.id_document_enc is not None and not erased,
        "sex": person.sex,
        "citizenship": list(person.citizenship or []),
        "age_at_registration": case.age_at_registration,
        "age_band": case.age_band,
        "referral_from_office": case.referral_from_office,
        "erased": erased,
        "individual_id": ind.individual_id if ind else None,
    }


def pair_detail(session: Session, actor: Actor, pair_id: int) -> dict[str, Any]:
    """Both records of a pair side by side (names and birth dates decrypted for reviewers); audited."""
    p, cl, cr = _get_pair(session, actor, pair_id)
    identifying = actor.identifying
    labels = session.execute(
        select(LinkLabel)
        .where(LinkLabel.record_key_l == p.record_key_l, LinkLabel.record_key_r == p.record_key_r)
        .order_by(LinkLabel.id.desc())
    ).scalars()
    out = {
        **_pair_dict(p),
        "left": _record(session, cl, identifying),
        "right": _record(session, cr, identifying),
        "labels": [
            {
                "decision": lb.decision,
                "reason": unseal(lb.reason_enc, "link_labels", "reason_enc"),
                "by": lb.decided_by,
                "at": lb.decided_at,
            }
            for lb in labels
        ],
    }
    out["same_individual"] = out["left"]["individual_id"] is not None and (
        out["left"]["individual_id"] == out["right"]["individual_id"]
    )
    audit.record(
        session,
        actor=actor.username,
        action="link_review_read",
        entity="link_pair",
        entity_id=p.id,
        details={"cases": [cl.id, cr.id]},
    )
    return out


def decide(session: Session, actor: Actor, pair_id: int, decision: str, reason: str | None) -> LinkReviewPair:
    """Record the actor's decision on a pair as a label (audited); ``flows.decide_pair`` checks the account
    and re-clusters."""
    if decision not in DECISIONS:
        raise ValidationError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(Text("give a reason for the decision (what in the two records decided it)"))
    p, _, _ = _get_pair(session, actor, pair_id)
    lab = make_label(p.record_key_l, p.record_key_r, decision, actor.username, reason)
    session.add(
        LinkLabel(
            record_key_l=lab["record_key_l"],
            record_key_r=lab["record_key_r"],
            decision=decision,
            reason_enc=seal(reason, "link_labels", "reason_enc"),
            decided_by=actor.username,
            decided_at=utcnow(),
            pair_id=p.id,
        )
    )
    previous = p.decision
    p.status, p.decision = "decided", decision
    record(
        session,
        actor=actor.username,
        action="link_review_decide",
        entity="link_pair",
        entity_id=p.id,
        details={
            "fields": ["reason"],
            "decision": decision,
            "previous": previous,
            "by": actor.username,
            "match_probability": round(float(p.match_probability), 4),
            "cases": [p.case_id_l, p.case_id_r],
        },
    )
    return p


# --- why a pair scored as it did ------------------------------------------------------------------------


@dataclass
class _Explainer:
    key: tuple[str, int]
    backend: Any
    splink: Any
    table: str


_cache: dict[str, _Explainer] = {}
_lock = threading.Lock()


def _explainer(url: str, eng: Engine) -> _Explainer:
    """The trained model of the last run on the current records (rebuilt when a new run exists)."""
    from ctdata.errors import CtdataError
    from ctdata.linkage.backends import make_backend
    from ctdata.linkage.features import build_features

    with db.session_scope(eng) as session:
        run = last_run(session)
        if run is None:
            raise CtdataError(Text("no linkage yet: run `ctdata link` first"))
        key = (url, run.id)
        hit = _cache.get(url)
        if hit is not None and hit.key == key:
            return hit
        model = dict(run.model or {})
        recs = read_records(session)
    if not model:
        raise CtdataError(Text("the last linkage run has no trained model to explain with (too few records)"))
    feats = build_features(recs.features[recs.linkable].reset_index(drop=True))
    from splink import Linker as SplinkLinker

    backend = make_backend("duckdb", threads=1)
    try:
        sdf = backend.register(feats)
        linker = SplinkLinker(sdf, model)
    except Exception as exc:  # noqa: BLE001 - a changed store no longer fits the saved model
        backend.close()
        raise CtdataError(
            f"the records changed since the last `ctdata link` ({exc.__class__.__name__}); run it again"
        ) from None
    old = _cache.pop(url, None)
    if old is not None:
        old.backend.close()
    ex = _Explainer(key, backend, linker, sdf.physical_name)
    _cache[url] = ex
    return ex


def explain_pair(pair_id: int, actor: Actor = SYSTEM, eng: Engine | None = None) -> pd.DataFrame:
    """Waterfall of match weights for a queued pair (see explain.waterfall)."""
    eng = eng or db.upgrade()
    with db.session_scope(eng) as session:
        p, _, _ = _get_pair(session, actor, pair_id)
        left, right = p.record_key_l, p.record_key_r
    url = eng.url.render_as_string(hide_password=True)
    with _lock:
        ex = _explainer(url, eng)
        return explain.waterfall(ex.splink, ex.table, left, right)
