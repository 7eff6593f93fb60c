"""Screening: the UN Trafficking Protocol Art. 3 determination and needs-first eligibility.

from ctdata.screening import ScreeningInput, determine, apply_override, from_dob

inp = ScreeningInput.parse({"actions": ["recruitment"], "means": [], "purposes": ["forced_labour"],
                            "age_at_exploitation": from_dob("2008-03", "2024-01-10"),
                            "vulnerabilities": []})
det = determine(inp)          # victim_of_trafficking, rule art3_child_action_purpose
det.to_dict()   # {"determination", "rule", "missing", "explanation", "criteria", "override"}
"""

from ctdata.screening.ages import ADULT_AGE, age_on, age_range, child_at, date_range, from_dob
from ctdata.screening.models import ELEMENT_NAMES, Determination, Override, ScreeningInput
from ctdata.screening.override import apply_override
from ctdata.screening.protocol import RULES, determine, explain

__all__ = [
    "ADULT_AGE",
    "ELEMENT_NAMES",
    "RULES",
    "Determination",
    "Override",
    "ScreeningInput",
    "age_on",
    "age_range",
    "apply_override",
    "child_at",
    "date_range",
    "determine",
    "explain",
    "from_dob",
]
