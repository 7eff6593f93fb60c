"""Overrides: a reason is required, the engine's original is kept, nothing else changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.errors import ValidationError
from ctdata.screening import ScreeningInput, apply_override, determine
from ctdata.standard import vocab

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@st.composite
def determinations(draw):
    age = draw(st.one_of(st.none(), st.integers(0, 17), st.integers(18, 90)))
    vulns = [v for v in vocab.VULNERABILITIES.codes if not (v == "unaccompanied_child" and (age or 0) >= 18)]
    inp = ScreeningInput(
        actions=draw(st.lists(st.sampled_from(vocab.ACTIONS.codes), max_size=2)),
        means=draw(st.lists(st.sampled_from(vocab.MEANS.codes), max_size=2)),
        purposes=draw(st.lists(st.sampled_from(vocab.PURPOSES.codes), max_size=2)),
        age_at_exploitation=age,
        vulnerabilities=draw(st.lists(st.sampled_from(vulns), max_size=2)),
    )
    return determine(inp)


reasons = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


@settings(max_examples=200, deadline=None)
@given(
    determinations(), st.sampled_from(vocab.DETERMINATION.codes), reasons, st.sampled_from(["cw-1", "Ana"])
)
def test_override_records_original_and_reason(det, new, reason, by):
    if new == det.determination:
        with pytest.raises(ValidationError, match="already"):
            apply_override(det, new, reason, by, at=WHEN)
        return
    out = apply_override(det, new, reason, by, at=WHEN)
    assert out.determination == new
    assert out.rule == "override"
    assert out.override is not None
    assert out.override.original_determination == det.determination
    assert out.override.original_rule == det.rule
    assert out.override.original_explanation == det.explanation
    assert out.override.new_determination == new
    assert out.override.reason == reason.strip()
    assert out.override.by == by and out.override.at == WHEN
    assert out.missing == det.missing and out.criteria == det.criteria
    assert reason.strip() in out.explanation and det.explanation in out.explanation
    assert det.override is None and det.rule != "override"  # the input is untouched
    assert json.loads(json.dumps(out.to_dict()))["override"]["original_rule"] == det.rule


@settings(max_examples=100, deadline=None)
@given(determinations(), st.lists(st.sampled_from(vocab.DETERMINATION.codes), min_size=1, max_size=4))
def test_chained_overrides_keep_the_engine_original(det, chain):
    current = det
    for new in chain:
        if new == current.determination:
            continue
        current = apply_override(current, new, "reviewed with supervisor", "cw-2", at=WHEN)
        assert current.override.original_determination == det.determination
        assert current.override.original_rule == det.rule
        assert current.override.original_explanation == det.explanation
        assert current.explanation.endswith(det.explanation)


@settings(max_examples=100, deadline=None)
@given(determinations(), st.sampled_from(["", " ", "\t\n", None]))
def test_an_override_without_a_reason_is_refused(det, reason):
    new = next(c for c in vocab.DETERMINATION.codes if c != det.determination)
    with pytest.raises(ValidationError, match="needs a reason"):
        apply_override(det, new, reason, "cw-1")


def test_override_checks_code_and_author():
    det = determine(ScreeningInput())
    with pytest.raises(ValidationError, match="determination: “victim” is not one of the values allowed here"):
        apply_override(det, "victim", "because", "cw-1")
    with pytest.raises(ValidationError, match="person who made it"):
        apply_override(det, "vulnerable_migrant", "because", " ")


def test_override_defaults_to_now_in_utc():
    det = determine(ScreeningInput())
    out = apply_override(det, "vulnerable_migrant", "stranded after the employer left", "cw-3")
    assert out.override.at.tzinfo is not None
    assert abs((datetime.now(UTC) - out.override.at).total_seconds()) < 60
