"""The Art. 3 / needs-first rules against an independently written oracle, plus invariants."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ctdata.screening import ELEMENT_NAMES, RULES, Determination, ScreeningInput, determine
from ctdata.standard import vocab

ACTIONS, MEANS, PURPOSES, VULNS = (
    vocab.ACTIONS.codes,
    vocab.MEANS.codes,
    vocab.PURPOSES.codes,
    vocab.VULNERABILITIES.codes,
)
RANK = {"not_eligible": 0, "vulnerable_migrant": 1, "victim_of_trafficking": 2}


def oracle(actions, means, purposes, age, vulnerabilities) -> tuple[str, str, list[str]]:
    """The rules of DESIGN.md section 4, restated from the text rather than from the code."""
    has_action, has_means, has_purpose = len(actions) > 0, len(means) > 0, len(purposes) > 0
    is_child = age is not None and age < 18
    if is_child and has_action and has_purpose:
        return "victim_of_trafficking", "art3_child_action_purpose", []
    if has_action and has_means and has_purpose:
        return "victim_of_trafficking", "art3_adult_action_means_purpose", []
    missing = []
    if not has_action:
        missing.append("action")
    if not is_child and not has_means:
        missing.append("means")
    if not has_purpose:
        missing.append("purpose")
    if age is None and not has_means:
        missing.append("age_at_exploitation")
    if has_purpose:
        # DESIGN.md 4: exploitation or abuse without all the elements is a needs-first criterion, and a
        # recorded purpose of exploitation is exploitation, ticked or not.
        vulnerabilities = set(vulnerabilities) | {"exploitation_or_abuse"}
    if vulnerabilities:
        first = next(v for v in VULNS if v in vulnerabilities)
        return "vulnerable_migrant", f"needs_first_{first}", missing
    return "not_eligible", "no_criteria", missing


def screen(actions=(), means=(), purposes=(), age=None, vulnerabilities=()) -> Determination:
    return determine(
        ScreeningInput(
            actions=list(actions),
            means=list(means),
            purposes=list(purposes),
            age_at_exploitation=age,
            vulnerabilities=list(vulnerabilities),
        )
    )


def check(actions, means, purposes, age, vulnerabilities) -> Determination:
    det = screen(actions, means, purposes, age, vulnerabilities)
    expected = oracle(set(actions), set(means), set(purposes), age, set(vulnerabilities))
    assert (det.determination, det.rule, det.missing) == expected, (actions, means, purposes, age)
    return det


def subsets(codes):
    return [c for r in range(len(codes) + 1) for c in itertools.combinations(codes, r)]


EDGE_AGES = [None, 0, 17, 18, 100]
SOME = [()] + [(c,) for c in MEANS]  # empty, each single code


def test_exhaustive_elements_against_oracle():
    """Every action subset x empty/each/all means x empty/each/all purposes x edge ages."""
    means_options = SOME + [tuple(MEANS)]
    purpose_options = [()] + [(c,) for c in PURPOSES] + [tuple(PURPOSES)]
    n = 0
    for actions in subsets(ACTIONS):
        for means in means_options:
            for purposes in purpose_options:
                for age in EDGE_AGES:
                    check(actions, means, purposes, age, ())
                    n += 1
    assert n == 32 * 11 * 11 * 5


def test_exhaustive_presence_patterns_with_every_vulnerability_subset():
    n = 0
    for has_a, has_m, has_p in itertools.product([False, True], repeat=3):
        for age in [*EDGE_AGES, 16, 19]:
            for vulns in subsets(VULNS):
                if "unaccompanied_child" in vulns and age is not None and age >= 18:
                    continue
                check(
                    ACTIONS[:1] if has_a else (),
                    MEANS[-1:] if has_m else (),
                    PURPOSES[2:4] if has_p else (),
                    age,
                    vulns,
                )
                n += 1
    assert n > 8 * 7 * 8


ages = st.one_of(st.none(), st.integers(0, 100), st.sampled_from([17, 18]))


@st.composite
def inputs(draw):
    age = draw(ages)
    allowed = [v for v in VULNS if not (v == "unaccompanied_child" and age is not None and age >= 18)]
    return dict(
        actions=draw(st.lists(st.sampled_from(ACTIONS), max_size=7)),
        means=draw(st.lists(st.sampled_from(MEANS), max_size=10)),
        purposes=draw(st.lists(st.sampled_from(PURPOSES), max_size=10)),
        age=age,
        vulnerabilities=draw(st.lists(st.sampled_from(allowed), max_size=5)),
    )


@settings(max_examples=400, deadline=None)
@given(inputs())
def test_random_inputs_against_oracle(case):
    det = check(**case)
    assert det.determination in vocab.DETERMINATION
    assert det.rule in RULES
    assert set(det.missing) <= set(ELEMENT_NAMES)
    assert det.missing == [m for m in ELEMENT_NAMES if m in det.missing]  # stable order
    assert (det.determination == "victim_of_trafficking") == (det.missing == [])
    held = set(case["vulnerabilities"])
    if case["purposes"] and det.determination == "vulnerable_migrant":
        held.add("exploitation_or_abuse")  # a recorded purpose is exploitation (DESIGN.md 4)
    assert det.criteria == [v for v in VULNS if v in held]
    assert det.override is None
    assert det.explanation.strip()


@settings(max_examples=200, deadline=None)
@given(inputs(), st.data())
def test_adding_any_element_or_criterion_never_lowers_the_outcome(case, data):
    before = screen(**case)
    field, codes = data.draw(
        st.sampled_from(
            [("actions", ACTIONS), ("means", MEANS), ("purposes", PURPOSES), ("vulnerabilities", VULNS[1:])]
        )
    )
    more = dict(case, **{field: case[field] + [data.draw(st.sampled_from(codes))]})
    after = screen(**more)
    assert RANK[after.determination] >= RANK[before.determination]
    if before.determination == "victim_of_trafficking":
        assert after.determination == "victim_of_trafficking"
    assert set(after.missing) <= set(before.missing)


@settings(max_examples=200, deadline=None)
@given(inputs(), st.integers(0, 17))
def test_learning_the_person_was_a_child_never_lowers_the_outcome(case, child_age):
    if case["age"] is not None and case["age"] < 18:
        case["age"] = 40
        case["vulnerabilities"] = [v for v in case["vulnerabilities"] if v != "unaccompanied_child"]
    adult_or_unknown = screen(**case)
    child = screen(**dict(case, age=child_age))
    assert RANK[child.determination] >= RANK[adult_or_unknown.determination]
    assert set(child.missing) <= set(adult_or_unknown.missing)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(ACTIONS), min_size=1),
    st.lists(st.sampled_from(MEANS)),
    st.lists(st.sampled_from(PURPOSES), min_size=1),
    st.integers(0, 17),
    st.lists(st.sampled_from(VULNS)),
)
def test_a_child_with_action_and_purpose_is_always_a_victim(actions, means, purposes, age, vulns):
    det = screen(actions, means, purposes, age, vulns)
    assert det.determination == "victim_of_trafficking"
    assert det.rule == "art3_child_action_purpose"
    assert det.missing == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(ACTIONS)),
    st.lists(st.sampled_from(PURPOSES)),
    st.one_of(st.none(), st.integers(18, 130)),
    st.lists(st.sampled_from(VULNS[1:])),
)
def test_an_adult_or_unknown_age_without_means_is_never_a_victim(actions, purposes, age, vulns):
    det = screen(actions, [], purposes, age, vulns)
    assert det.determination != "victim_of_trafficking"
    assert "means" in det.missing
    assert ("age_at_exploitation" in det.missing) == (age is None)
    assert det.determination == ("vulnerable_migrant" if vulns or purposes else "not_eligible")


@settings(max_examples=150, deadline=None)
@given(inputs(), st.randoms(use_true_random=False))
def test_order_and_duplicates_of_codes_do_not_matter(case, rnd):
    shuffled = {k: (rnd.sample(v, len(v)) * 2 if isinstance(v, list) else v) for k, v in case.items()}
    assert screen(**shuffled) == screen(**case)


@settings(max_examples=150, deadline=None)
@given(inputs())
def test_determine_is_pure_and_the_result_round_trips_through_json(case):
    inp = ScreeningInput(
        actions=case["actions"],
        means=case["means"],
        purposes=case["purposes"],
        age_at_exploitation=case["age"],
        vulnerabilities=case["vulnerabilities"],
    )
    snapshot = inp.model_dump()
    first, second = determine(inp), determine(inp)
    assert first == second
    assert inp.model_dump() == snapshot
    body = json.loads(json.dumps(first.to_dict()))
    assert set(body) >= {"determination", "rule", "missing", "explanation"}
    assert Determination.model_validate(body) == first


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_explanation_names_what_is_missing_and_what_was_recorded(case):
    det = screen(**case)
    text = det.explanation
    if "action" in det.missing:
        assert "needs an action" in text
    if "means" in det.missing:
        assert "needs a means" in text
        assert ("age at exploitation is unknown" in text) == (case["age"] is None)
    if "purpose" in det.missing:
        assert "needs a purpose" in text
    for code in set(case["actions"]):
        assert vocab.ACTIONS.label(code).lower() in text.lower()
    for code in set(case["purposes"]):
        assert vocab.PURPOSES.label(code).lower() in text.lower()
    if det.determination == "vulnerable_migrant":
        assert "vulnerable migrant" in text
        for code in det.criteria:
            assert vocab.VULNERABILITIES.label(code).lower() in text.lower()
    if det.determination == "not_eligible":
        assert "not eligible" in text
    if det.determination == "victim_of_trafficking":
        assert "victim of trafficking" in text
        assert "does not meet" not in text


def test_plain_language_examples():
    adult = screen(["recruitment"], [], ["forced_labour"], 30)
    assert adult.missing == ["means"]
    assert "For an adult, the Protocol needs a means such as threat" in adult.explanation
    assert "abuse of vulnerability; none was recorded." in adult.explanation
    unknown = screen(["recruitment"], [], ["forced_labour"], None)
    assert unknown.missing == ["means", "age_at_exploitation"]
    assert "recording the age matters" in unknown.explanation
    child = screen(["recruitment"], [], ["forced_labour"], 17)
    assert child.rule == "art3_child_action_purpose" and "needs no means" in child.explanation
    eighteen = screen(["recruitment"], [], ["forced_labour"], 18)
    assert eighteen.determination == "vulnerable_migrant" and eighteen.missing == ["means"]
    nothing = screen(["recruitment"], [], [], 18)
    assert nothing.determination == "not_eligible" and nothing.missing == ["means", "purpose"]


def test_needs_first_rule_names_the_first_criterion_in_vocabulary_order():
    det = screen(["recruitment"], [], [], 30, ["health_needs", "stranded"])
    assert det.rule == "needs_first_stranded"
    assert det.criteria == ["stranded", "health_needs"]
    assert det.determination == "vulnerable_migrant"
    assert det.missing == ["means", "purpose"]
    det = screen([], [], ["forced_labour"], 30, ["health_needs", "stranded"])
    assert det.rule == "needs_first_exploitation_or_abuse"
    assert det.criteria == ["exploitation_or_abuse", "stranded", "health_needs"]
    assert det.determination == "vulnerable_migrant"
    assert det.missing == ["action", "means"]


def test_rules_catalogue_covers_every_rule_the_engine_can_fire():
    expected = {"art3_child_action_purpose", "art3_adult_action_means_purpose", "no_criteria", "override"}
    expected |= {f"needs_first_{v}" for v in VULNS}
    assert set(RULES) == expected
    assert all(text.strip() for text in RULES.values())


def test_victim_keeps_recorded_criteria_for_the_caseworker():
    det = screen(["receipt"], ["fraud"], ["servitude"], 25, ["health_needs"])
    assert det.determination == "victim_of_trafficking"
    assert det.rule == "art3_adult_action_means_purpose"
    assert det.criteria == ["health_needs"]


def test_a_recorded_purpose_is_exploitation_or_abuse_without_ticking_it():
    """Issue 19: forced labour recorded, no means for an adult, criterion not ticked: was 'not eligible'."""
    det = screen(["recruitment"], [], ["forced_labour"], 30)
    assert det.determination == "vulnerable_migrant"
    assert det.rule == "needs_first_exploitation_or_abuse"
    assert det.criteria == ["exploitation_or_abuse"]
    assert det.missing == ["means"]
    assert "a purpose of exploitation (forced labour or services) was recorded" in det.explanation
    assert "exploitation or abuse without all trafficking elements" in det.explanation
    assert "not eligible" not in det.explanation
    ticked = screen(["recruitment"], [], ["forced_labour"], 30, ["exploitation_or_abuse"])
    assert (ticked.determination, ticked.rule, ticked.criteria) == (det.determination, det.rule, det.criteria)
    purpose_only = screen([], [], ["organ_removal"], None)
    assert purpose_only.determination == "vulnerable_migrant"
    assert purpose_only.missing == ["action", "means", "age_at_exploitation"]


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_a_recorded_purpose_is_never_not_eligible(case):
    det = screen(case["actions"], case["means"], case["purposes"], case["age"], case["vulnerabilities"])
    if case["purposes"]:
        assert det.determination != "not_eligible"
        if det.determination == "vulnerable_migrant":
            assert "exploitation_or_abuse" in det.criteria
            assert det.rule in RULES
            assert "purpose" not in det.missing
    else:
        assert ("exploitation_or_abuse" in det.criteria) == ("exploitation_or_abuse" in case["vulnerabilities"])


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_ticking_exploitation_or_abuse_adds_nothing_once_a_purpose_is_recorded(case):
    if not case["purposes"]:
        return
    ticked = sorted(set(case["vulnerabilities"]) | {"exploitation_or_abuse"})
    a = screen(case["actions"], case["means"], case["purposes"], case["age"], case["vulnerabilities"])
    b = screen(case["actions"], case["means"], case["purposes"], case["age"], ticked)
    assert (a.determination, a.rule, a.missing) == (b.determination, b.rule, b.missing)
    if a.determination == "vulnerable_migrant":
        assert a.criteria == b.criteria
