"""Screening input and outcome as pydantic models, shaped like the web API's JSON.

Why pydantic: the same models validate a web form, an API request and a row from
an import, and serialise back to JSON for the audit log. Codes are checked against
the standard's vocabularies here, once, so the rules in `protocol.py` can trust them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from ctdata.errors import ValidationError
from ctdata.screening.ages import ADULT_AGE, MAX_AGE
from ctdata.standard import vocab
from ctdata.standard.types import not_allowed
from ctdata.text import Terms, Text

#: Element names used in `Determination.missing`, in the order they are reported.
ELEMENT_NAMES = (vocab.ACTIONS.name, vocab.MEANS.name, vocab.PURPOSES.name, "age_at_exploitation")


def _codes(value: object, vocabulary: vocab.Vocabulary, field: str) -> list[str]:
    """Check codes against a vocabulary; return them de-duplicated in the vocabulary's order."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError(Text("{field} must be a list of codes, got {value}", field=field, value=repr(value)))
    for code in value:
        if code not in vocabulary:  # the one sentence for a value outside a code list, after its field's name
            raise ValidationError(Text("{column}: {problem}", column=field,
                                       problem=not_allowed(code, vocabulary.codes)))
    present = set(value)
    return [code for code in vocabulary.codes if code in present]


class ScreeningInput(BaseModel):
    """What a caseworker recorded: the Protocol elements, age at exploitation, needs-first criteria."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: list[str] = Field(default_factory=list, description="codes of vocab.ACTIONS")
    means: list[str] = Field(default_factory=list, description="codes of vocab.MEANS")
    purposes: list[str] = Field(default_factory=list, description="codes of vocab.PURPOSES")
    age_at_exploitation: StrictInt | None = Field(
        default=None, description="completed years at exploitation; null when unknown"
    )
    vulnerabilities: list[str] = Field(default_factory=list, description="codes of vocab.VULNERABILITIES")

    @field_validator("actions", mode="before")
    @classmethod
    def _actions(cls, v: object) -> list[str]:
        return _codes(v, vocab.ACTIONS, "actions")

    @field_validator("means", mode="before")
    @classmethod
    def _means(cls, v: object) -> list[str]:
        return _codes(v, vocab.MEANS, "means")

    @field_validator("purposes", mode="before")
    @classmethod
    def _purposes(cls, v: object) -> list[str]:
        return _codes(v, vocab.PURPOSES, "purposes")

    @field_validator("vulnerabilities", mode="before")
    @classmethod
    def _vulnerabilities(cls, v: object) -> list[str]:
        return _codes(v, vocab.VULNERABILITIES, "vulnerabilities")

    @field_validator("age_at_exploitation")
    @classmethod
    def _age(cls, v: int | None) -> int | None:
        if v is not None and not 0 <= v <= MAX_AGE:
            raise ValidationError.at("age_at_exploitation", Text("{age} is not an age between 0 and {maximum}", age=v,
                                                                 maximum=MAX_AGE))
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ScreeningInput:
        age = self.age_at_exploitation
        if "unaccompanied_child" in self.vulnerabilities and age is not None and age >= ADULT_AGE:
            raise ValidationError(Text(
                "“{criterion}” was recorded, but the person was {age} at exploitation and so cannot be a child now; "
                "correct the age or the criterion",
                criterion=Terms([vocab.VULNERABILITIES.terms["unaccompanied_child"]], lower=False), age=age,
            ))
        return self

    @property
    def child(self) -> bool | None:
        """Under 18 at exploitation: True, False, or None when the age is unknown."""
        if self.age_at_exploitation is None:
            return None
        return self.age_at_exploitation < ADULT_AGE

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ScreeningInput:
        """Build from JSON-like data; every problem becomes one clear ctdata ValidationError."""
        if not isinstance(data, Mapping):
            raise ValidationError(Text("screening input must be an object, got {kind}", kind=type(data).__name__))
        try:
            return cls.model_validate(dict(data))
        except PydanticValidationError as exc:
            raise ValidationError.of_pydantic(exc, "screening input field") from None


class Override(BaseModel):
    """A caseworker's change of the engine's determination, with the reason and the original."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    original_determination: str
    original_rule: str
    original_explanation: str
    new_determination: str
    reason: str
    by: str
    at: datetime


class Determination(BaseModel):
    """Outcome of screening: which determination, which rule fired, what is missing and why, in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    determination: str = Field(description="a code of vocab.DETERMINATION")
    rule: str = Field(description="stable code of the rule that fired; see protocol.RULES")
    missing: list[str] = Field(default_factory=list, description="names of elements still missing")
    explanation: str = Field(description="plain-language reasons for a caseworker")
    criteria: list[str] = Field(default_factory=list, description="needs-first criteria that hold")
    override: Override | None = None

    @field_validator("determination")
    @classmethod
    def _determination(cls, v: str) -> str:
        if v not in vocab.DETERMINATION:
            raise ValidationError.at("determination", not_allowed(v, vocab.DETERMINATION.codes))
        return v

    @property
    def label(self) -> str:
        return vocab.DETERMINATION.label(self.determination)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the web API's response body)."""
        return self.model_dump(mode="json")
