"""The Protocol Art. 3 determination and needs-first eligibility, as one pure function.

Why pure: the same answer must come from the web form, the CLI, an import and a
test, and an audit must be able to recompute it from the recorded input alone.
`determine` reads only its argument, returns a new value, and says which rule
fired and, in words a caseworker understands, what is missing. Those words are
`ctdata.text` values: English as strings, with message ids and parameters that the
web layer translates (`explain` returns them; the engine knows no language but English).

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
from ctdata.text import Join, Terms, Text

ACTION, MEANS, PURPOSE, AGE = "action", "means", "purpose", "age_at_exploitation"

#: The sentence of each rule; a `Text`, so a page can show it in its reader's language.
RULES: dict[str, str] = {
    "art3_child_action_purpose": Text("Child at exploitation with an action and a purpose (no means needed)."),
    "art3_adult_action_means_purpose": Text("An action, a means and a purpose (the adult test; also used "
                                            "when the age is unknown)."),
    **{
        f"needs_first_{code}": Text("Not all trafficking elements, but a needs-first criterion: {criterion}.",
                                    criterion=Text(label))
        for code, label in vocab.VULNERABILITIES.terms.items()
    },
    "needs_first_exploitation_or_abuse": Text("Not all trafficking elements, but exploitation or abuse: ticked by "
                                              "the caseworker, or a purpose of exploitation was recorded."),
    "no_criteria": Text("Neither the trafficking elements nor any needs-first criterion."),
    "override": Text("A caseworker overrode the determination, with a recorded reason."),
}

#: Needs-first criteria that a recorded Protocol element is in itself, when the elements are incomplete:
#: element name -> (criterion code, why, in words for the caseworker; {codes} names what was recorded).
IMPLIED_CRITERIA: dict[str, tuple[str, str]] = {
    PURPOSE: (
        "exploitation_or_abuse",
        Text("a purpose of exploitation ({codes}) was recorded, which is exploitation or abuse without all "
             "trafficking elements"),
    ),
}

_NEED = {
    ACTION: Text("The Protocol needs an action such as recruitment, transportation, transfer, harbouring "
                 "or receipt of the person; none was recorded."),
    PURPOSE: Text("The Protocol needs a purpose of exploitation such as sexual exploitation, forced labour, "
                  "servitude or forced begging; none was recorded."),
}
_MEANS_ADULT = Text(
    "For an adult, the Protocol needs a means such as threat, force, deception or abuse of vulnerability; "
    "none was recorded."
)
_MEANS_UNKNOWN_AGE = Text(
    "The age at exploitation is unknown, so the adult test was applied: for an adult the Protocol needs "
    "a means such as threat, force, deception or abuse of vulnerability, and none was recorded. If the "
    "person was under 18 at exploitation no means is needed, so recording the age matters."
)
_NOT_VICTIM = Text("So the person does not meet the Protocol definition of a victim of trafficking.")
_ELIGIBLE = Text("They are eligible for assistance as a vulnerable migrant (needs-first) because {reason}.")
_ELIGIBLE_TWICE = Text(
    "They are eligible for assistance as a vulnerable migrant (needs-first) because {reason} and because {other}."
)
_NOT_ELIGIBLE = Text(
    "No needs-first criterion was recorded (an unaccompanied or separated child, exploitation or "
    "abuse, a stranded migrant, or health needs), so the person is not eligible for assistance "
    "under these rules."
)


def _words(vocabulary: vocab.Vocabulary, codes: list[str]) -> Terms:
    """'recruitment and transportation' from codes, in lower case for use inside a sentence."""
    return Terms([vocabulary.label(c) for c in codes], lower=True)


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
    return explain(inp)[0]


def explain(inp: ScreeningInput) -> tuple[Determination, Text]:
    """`determine`, with its explanation as words with their message ids (`ctdata.text`): the determination's
    `explanation` is that text in English; a page shows the same words in its reader's language."""
    if not isinstance(inp, ScreeningInput):
        raise TypeError("determine() takes a ScreeningInput; use ScreeningInput.parse(data) for JSON")
    missing = _missing(inp)
    if not missing:
        return _victim(inp)

    reasons: list[str] = []
    for name in missing:
        if name == MEANS:
            reasons.append(_MEANS_UNKNOWN_AGE if inp.child is None else _MEANS_ADULT)
        elif name in _NEED:
            reasons.append(_NEED[name])
    parts: list[str] = [_recorded(inp), *reasons, _NOT_VICTIM]

    implied = _implied(inp)
    if inp.vulnerabilities or implied:
        held = set(inp.vulnerabilities) | set(implied)
        criteria = [code for code in vocab.VULNERABILITIES.codes if code in held]
        ticked = [code for code in criteria if code in inp.vulnerabilities]
        clauses = ([Text("of: {criteria}", criteria=_words(vocab.VULNERABILITIES, ticked))] if ticked else []) + [
            why for code, why in implied.items() if code not in ticked
        ]
        if len(clauses) == 1:
            parts.append(Text(_ELIGIBLE.msgid, reason=clauses[0]))
        else:
            parts.append(Text(_ELIGIBLE_TWICE.msgid, reason=clauses[0], other=Join(clauses[1:], sep=" and because ")))
        text = Join(parts)
        return Determination(
            determination="vulnerable_migrant",
            rule=f"needs_first_{criteria[0]}",
            missing=missing,
            explanation=str(text),
            criteria=criteria,
        ), text
    text = Join([*parts, _NOT_ELIGIBLE])
    return Determination(
        determination="not_eligible", rule="no_criteria", missing=missing, explanation=str(text)
    ), text


def _implied(inp: ScreeningInput) -> dict[str, Text]:
    """Needs-first criteria that the recorded elements are in themselves: criterion -> why, in words."""
    recorded = {ACTION: (vocab.ACTIONS, inp.actions), MEANS: (vocab.MEANS, inp.means),
                PURPOSE: (vocab.PURPOSES, inp.purposes)}
    out: dict[str, Text] = {}
    for element, (criterion, why) in IMPLIED_CRITERIA.items():
        vocabulary, codes = recorded[element]
        if codes:
            out.setdefault(criterion, Text(getattr(why, "msgid", why), codes=_words(vocabulary, codes)))
    return out


def _recorded(inp: ScreeningInput) -> Text:
    parts = []
    if inp.actions:
        parts.append(Text("an action ({codes})", codes=_words(vocab.ACTIONS, inp.actions)))
    if inp.means:
        parts.append(Text("a means ({codes})", codes=_words(vocab.MEANS, inp.means)))
    if inp.purposes:
        parts.append(Text("a purpose ({codes})", codes=_words(vocab.PURPOSES, inp.purposes)))
    if not parts:
        return Text("No trafficking element was recorded.")
    return Text("Recorded: {elements}.", elements=Terms(parts, lower=False))


def _victim(inp: ScreeningInput) -> tuple[Determination, Text]:
    action = _words(vocab.ACTIONS, inp.actions)
    purpose = _words(vocab.PURPOSES, inp.purposes)
    if inp.child:
        text = Text(
            "The person was a child ({age}, under 18) at exploitation, and an action "
            "({action}) and a purpose ({purpose}) were recorded. For a child the Protocol needs no means, "
            "so the person is a victim of trafficking.",
            age=inp.age_at_exploitation, action=action, purpose=purpose,
        )
        rule = "art3_child_action_purpose"
    else:
        means = _words(vocab.MEANS, inp.means)
        age = (
            Text("The age at exploitation is unknown, so the adult test was applied:")
            if inp.child is None
            else Text("The person was an adult ({age}) at exploitation:", age=inp.age_at_exploitation)
        )
        text = Text(
            "{age} an action ({action}), a means ({means}) and a purpose ({purpose}) were all recorded, "
            "so the person meets the Protocol definition of a victim of trafficking.",
            age=age, action=action, means=means, purpose=purpose,
        )
        rule = "art3_adult_action_means_purpose"
    return Determination(
        determination="victim_of_trafficking",
        rule=rule,
        missing=[],
        explanation=str(text),
        criteria=list(inp.vulnerabilities),
    ), text
