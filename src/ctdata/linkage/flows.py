"""Linkage workflows that a person answers for: deciding a pair of the review queue.

The command line (`ctdata link review decide ... --by USER`, USER's password
checked) and the web app's review page call this function, so the rule lives
here once: a decision is made by an active data-manager or admin account of
the store (checked against the accounts table, not taken from the ``Actor``),
within that account's case scope; the label names the account; the decision
and every refusal are audited; the clusters are then updated from the last
run's scores so the decision takes effect at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ctdata.cases.access import Actor
from ctdata.cases.tx import transaction
from ctdata.cases.users import require_account
from ctdata.linkage import review_store
from ctdata.store import db
from ctdata.store.models import IndividualLink, LinkReviewPair

__all__ = ["decide_pair"]


def decide_pair(
    actor: Actor,
    pair_id: int,
    decision: str,
    reason: str | None,
    *,
    recluster: bool = True,
    eng: Engine | None = None,
) -> dict[str, Any]:
    """Decide a pair (match, not_match or unsure) as ``actor``, then re-cluster; the pair's new state.

    Returns pair_id, decision, individual_l, individual_r, same_individual and,
    when the clusters were updated, recluster (records, individuals).
    """
    from ctdata.linkage.pipeline import recluster_store

    eng = eng or db.upgrade()
    with transaction(eng) as s:
        require_account(s, actor, review_store.REVIEWERS, "link_review_decide", "link_pair", pair_id)
        review_store.decide(s, actor, pair_id, decision, reason)
    out: dict[str, Any] = {"pair_id": pair_id, "decision": decision}
    if recluster and decision != "unsure":
        out["recluster"] = recluster_store(actor=actor.username, eng=eng)
    with db.session_scope(eng) as s:
        p = s.get(LinkReviewPair, pair_id)
        assert p is not None
        left, right = (s.get(IndividualLink, c) for c in (p.case_id_l, p.case_id_r))
        out["individual_l"] = left.individual_id if left else None
        out["individual_r"] = right.individual_id if right else None
    out["same_individual"] = out["individual_l"] is not None and out["individual_l"] == out["individual_r"]
    return out
