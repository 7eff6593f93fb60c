"""The Protocol Art. 3 determination and needs-first eligibility, as one pure function.

Why pure: the same answer must come from the web form, the CLI, an import and a
test, and an audit must be able to recompute it from the recorded input alone.
`determine` reads only its argument, returns a new value, and says which rule
fired and, in words a caseworker understands, what is missing.

Rules, in the order they are tried (DESIGN.md section 4):

1. ``art3_child_action_purpose``: the person was a child (under 18) at exploitation
   and an action and a purpose are recorded (a child needs no means).
2. ``art3_adult_action_means_purpose``: an action, a means and a purpose are
   recorded; this is the test for an adult, and the one applied when the age is
   unknown (it holds whatever the age).
3. ``needs_first_<criterion>``: not a victim of trafficking, but a needs-first
   criterion holds (the first in vocabulary order names the rule; all are listed
   in ``criteria``): vulnerable migrant. A criterion holds when the caseworker ticked
   it, or when what was recorded is that criterion (``IMPLIED_CRITERIA``): a recorded
   purpose of exploitation without all the elements is "exploitation or abuse without
   all trafficking elements" (DESIGN.md section 4), whether or not that box was ticked.
4. ``no_criteria``: none of the above: not eligible.
"""

from __future__ import annotations

from ctdata.screening.models import ELEMENT_NAMES, Determination, ScreeningInput
from ctdata.standard import vocab

ACTION, MEANS, PURPOSE, AGE = "action", "means", "purpose", "age_at_exploitation"

RULES: dict[str, str] = {
    "art3_child_action_purpose": "Child at exploitation with an action and a purpose (no means needed).",
    "art3_adult_action_means_purpose": "An action, a means and a purpose (the adult test; also used "
    "when the age is unknown).",
    **{
        f"needs_first_{code}": f"Not all trafficking elements, but a needs-first criterion: {label}."
        for code, label in vocab.VULNERABILITIES.terms.items()
    },
    "needs_first_exploitation_or_abuse": "Not all trafficking elements, but exploitation or abuse: ticked by "
    "the caseworker, or a purpose of exploitation was recorded.",
    "no_criteria": "Neither the trafficking elements nor any needs-first criterion.",
    "override": "A caseworker overrode the determination, with a recorded reason.",
}

#: Needs-first criteria that a recorded Protocol element is in itself, when the elements are incomplete:
#: element name -> (criterion code, why, in words for the caseworker; {codes} names what was recorded).
IMPLIED_CRITERIA: dict[str, tuple[str, str]] = {
    PURPOSE: (
        "exploitation_or_abuse",
        "a purpose of exploitation ({codes}) was recorded, which is exploitation or abuse without all "
        "trafficking elements",
    ),
}

_NEED = {
    ACTION: "The Protocol needs an action such as recruitment, transportation, transfer, harbouring "
    "or receipt of the person; none was recorded.",
    PURPOSE: "The Protocol needs a purpose of exploitation such as sexual exploitation, forced labour, "
    "servitude or forced begging; none was recorded.",
}
_MEANS_ADULT = (
    "For an adult, the Protocol needs a means such as threat, force, deception or abuse of vulnerability; "
    "none was recorded."
)
_MEANS_UNKNOWN_AGE = (
    "The age at exploitation is unknown, so the adult test was applied: for an adult the Protocol needs "
    "a means such as threat, force, deception or abuse of vulnerability, and none was recorded. If the "
    "person was under 18 at exploitation no means is needed, so recording the age matters."
)


def _words(vocabulary: vocab.Vocabulary, codes: list[str]) -> str:
    """'recruitment and transportation' from codes, in lower case for use inside a sentence."""
    labels = [_lower(vocabulary.label(c)) for c in codes]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _missing(inp: ScreeningInput) -> list[str]:
    """Elements the applicable test still lacks; the age when knowing it could replace the means."""
    means_needed = inp.child is not True and not inp.means
    present = {
        ACTION: bool(inp.actions),
        MEANS: not means_needed,
        PURPOSE: bool(inp.purposes),
        AGE: not (means_needed and inp.child is None),
    }
    return [name for name in ELEMENT_NAMES if not present[name]]


def determine(inp: ScreeningInput) -> Determination:
    """Screen one person: victim of trafficking, vulnerable migrant (needs-first) or not eligible."""
    if not isinstance(inp, ScreeningInput):
        raise TypeError("determine() takes a ScreeningInput; use ScreeningInput.parse(data) for JSON")
    missing = _missing(inp)
    if not missing:
        return _victim(inp)

    reasons = []
    for name in missing:
        if name == MEANS:
            reasons.append(_MEANS_UNKNOWN_AGE if inp.child is None else _MEANS_ADULT)
        elif name in _NEED:
            reasons.append(_NEED[name])
    recorded = _recorded(inp)
    text = " ".join(([recorded] if recorded else []) + reasons)
    text += " So the person does not meet the Protocol definition of a victim of trafficking."

    implied = _implied(inp)
    if inp.vulnerabilities or implied:
        held = set(inp.vulnerabilities) | set(implied)
        criteria = [code for code in vocab.VULNERABILITIES.codes if code in held]
        ticked = [code for code in criteria if code in inp.vulnerabilities]
        clauses = (["of: " + _words(vocab.VULNERABILITIES, ticked)] if ticked else []) + [
            why for code, why in implied.items() if code not in ticked
        ]
        text += (
            " They are eligible for assistance as a vulnerable migrant (needs-first) because "
            + " and because ".join(clauses)
            + "."
        )
        return Determination(
            determination="vulnerable_migrant",
            rule=f"needs_first_{criteria[0]}",
            missing=missing,
            explanation=text,
            criteria=criteria,
        )
    text += (
        " No needs-first criterion was recorded (an unaccompanied or separated child, exploitation or "
        "abuse, a stranded migrant, or health needs), so the person is not eligible for assistance "
        "under these rules."
    )
    return Determination(determination="not_eligible", rule="no_criteria", missing=missing, explanation=text)


def _implied(inp: ScreeningInput) -> dict[str, str]:
    """Needs-first criteria that the recorded elements are in themselves: criterion -> why, in words."""
    recorded = {ACTION: (vocab.ACTIONS, inp.actions), MEANS: (vocab.MEANS, inp.means),
                PURPOSE: (vocab.PURPOSES, inp.purposes)}
    out: dict[str, str] = {}
    for element, (criterion, why) in IMPLIED_CRITERIA.items():
        vocabulary, codes = recorded[element]
        if codes:
            out.setdefault(criterion, why.format(codes=_words(vocabulary, codes)))
    return out


def _recorded(inp: ScreeningInput) -> str:
    parts = []
    if inp.actions:
        parts.append(f"an action ({_words(vocab.ACTIONS, inp.actions)})")
    if inp.means:
        parts.append(f"a means ({_words(vocab.MEANS, inp.means)})")
    if inp.purposes:
        parts.append(f"a purpose ({_words(vocab.PURPOSES, inp.purposes)})")
    if not parts:
        return "No trafficking element was recorded."
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Recorded: {joined}."


def _victim(inp: ScreeningInput) -> Determination:
    action = _words(vocab.ACTIONS, inp.actions)
    purpose = _words(vocab.PURPOSES, inp.purposes)
    if inp.child:
        text = (
            f"The person was a child ({inp.age_at_exploitation}, under 18) at exploitation, and an action "
            f"({action}) and a purpose ({purpose}) were recorded. For a child the Protocol needs no means, "
            "so the person is a victim of trafficking."
        )
        rule = "art3_child_action_purpose"
    else:
        means = _words(vocab.MEANS, inp.means)
        age = (
            "The age at exploitation is unknown, so the adult test was applied: "
            if inp.child is None
            else f"The person was an adult ({inp.age_at_exploitation}) at exploitation: "
        )
        text = (
            f"{age}an action ({action}), a means ({means}) and a purpose ({purpose}) were all recorded, "
            "so the person meets the Protocol definition of a victim of trafficking."
        )
        rule = "art3_adult_action_means_purpose"
    return Determination(
        determination="victim_of_trafficking",
        rule=rule,
        missing=[],
        explanation=text,
        criteria=list(inp.vulnerabilities),
    )
