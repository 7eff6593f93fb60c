"""A caseworker's override of the screening determination.

Why it is separate from the rules: the engine's answer must never be lost. An
override keeps the engine's original determination and rule beside the new one,
with who decided and why, so the store can audit it and analysts can count how
often professional judgement departed from the rules.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ctdata.errors import ValidationError
from ctdata.screening.models import Determination, Override
from ctdata.standard import vocab
from ctdata.standard.types import not_allowed
from ctdata.text import Terms, Text


def apply_override(
    det: Determination,
    new_determination: str,
    reason: str,
    by: str,
    at: datetime | None = None,
) -> Determination:
    """Return a copy of `det` with the determination changed by a person, for a stated reason.

    The original kept is always the engine's: overriding an override keeps the
    first original, so the rules' answer survives any number of changes (the
    audit log keeps each step). Pass `at` to stay pure; it defaults to now (UTC).
    """
    if new_determination not in vocab.DETERMINATION:
        raise ValidationError.at("determination", not_allowed(new_determination, vocab.DETERMINATION.codes))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(Text("an override needs a reason: say why the determination is changed"))
    by = (by or "").strip()
    if not by:
        raise ValidationError(Text("an override needs the name or id of the person who made it"))
    if new_determination == det.determination:
        raise ValidationError(Text("the determination is already “{determination}”; nothing to override",
                                   determination=Terms([vocab.DETERMINATION.terms[new_determination]], lower=False)))

    first = det.override
    override = Override(
        original_determination=first.original_determination if first else det.determination,
        original_rule=first.original_rule if first else det.rule,
        original_explanation=first.original_explanation if first else det.explanation,
        new_determination=new_determination,
        reason=reason,
        by=by,
        at=at or datetime.now(UTC),
    )
    explanation = (
        f"{by} changed the determination from {det.label.lower()} to "
        f"{vocab.DETERMINATION.label(new_determination).lower()}: {reason} "
        f"The screening rules gave: {override.original_explanation}"
    )
    return det.model_copy(
        update={
            "determination": new_determination,
            "rule": "override",
            "explanation": explanation,
            "override": override,
        }
    )
