"""Input validation: unknown codes and bad values become one clear ctdata ValidationError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.errors import CtdataError, ValidationError
from ctdata.screening import Determination, ScreeningInput
from ctdata.standard import vocab

FIELDS = {
    "actions": vocab.ACTIONS,
    "means": vocab.MEANS,
    "purposes": vocab.PURPOSES,
    "vulnerabilities": vocab.VULNERABILITIES,
}


@given(st.sampled_from(sorted(FIELDS)), st.text(min_size=1, max_size=12))
def test_unknown_codes_are_named_in_the_error(field, code):
    if code in FIELDS[field]:
        assert code in getattr(ScreeningInput.parse({field: [code]}), field)
        return
    with pytest.raises(ValidationError) as info:
        ScreeningInput.parse({field: ["recruitment", code] if field == "actions" else [code]})
    said = str(info.value)  # the one sentence for a value outside a code list (standard.types.not_allowed)
    assert said.startswith(f"{field}: “{code}” is not one of the values allowed here (use one of: ")
    assert "\n" not in said.replace(code, "")  # one line, whatever the value holds


def test_codes_are_deduplicated_in_vocabulary_order():
    inp = ScreeningInput.parse({"actions": ["receipt", "recruitment", "receipt"], "means": None})
    assert inp.actions == ["recruitment", "receipt"]
    assert inp.means == []


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"actions": "recruitment"}, "must be a list"),
        ({"age_at_exploitation": -1}, "not an age"),
        ({"age_at_exploitation": 131}, "not an age"),
        ({"age_at_exploitation": "17"}, "age_at_exploitation"),
        ({"age_at_exploitation": True}, "age_at_exploitation"),
        ({"age_at_exploitation": 17.5}, "age_at_exploitation"),
        ({"mean": ["threat"]}, "mean"),
        ({"age_at_exploitation": 18, "vulnerabilities": ["unaccompanied_child"]}, "cannot be a child"),
    ],
)
def test_bad_input_is_one_clear_error(data, fragment):
    with pytest.raises(CtdataError, match=fragment) as info:
        ScreeningInput.parse(data)
    assert isinstance(info.value, ValidationError)


def test_parse_refuses_a_non_object():
    with pytest.raises(ValidationError, match="must be an object"):
        ScreeningInput.parse(["recruitment"])  # type: ignore[arg-type]


def test_unaccompanied_child_is_fine_for_a_child_or_unknown_age():
    assert ScreeningInput.parse({"age_at_exploitation": 17, "vulnerabilities": ["unaccompanied_child"]}).child
    assert ScreeningInput.parse({"vulnerabilities": ["unaccompanied_child"]}).child is None


def test_determination_rejects_unknown_code():
    with pytest.raises(ValidationError, match="determination: “victim” is not one of the values allowed here"):
        Determination(determination="victim", rule="override", explanation="x")
