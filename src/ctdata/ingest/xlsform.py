"""The registration and screening form as an XLSForm, generated from the standard, for ODK and KoboToolbox.

Why generated: partner agencies collect in the field with ODK Collect or
KoboToolbox, and their submissions come back through `ctdata import odk|kobo`
(``field_import.py``). The form's question names, choice codes and logic come
from one definition here and from the standard's vocabularies, so what a form
can send is what the importer reads, and a new code in the standard is a new
choice in the next form.

- Choices are the standard's codes (``vocab``); English labels are the
  vocabulary's, the other languages come from the label table
  ``data/xlsform_labels.csv`` (one row per question, hint, constraint message
  or choice; a column per language), which a translator edits as data.
- The child rule is form logic: ``is_child`` is true when the age at
  exploitation is under ``ADULT_AGE``, and the means are not asked for a child
  (the Protocol needs none). The determination itself is not in the form: ctdata
  recomputes it on import with ``screening.protocol.determine``.
- One registration and its first screening are one submission, as in the web
  app (`cases.screening.register_screened`); journey legs are a repeat group.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ctdata.errors import ValidationError
from ctdata.screening.ages import ADULT_AGE, MAX_AGE
from ctdata.standard import vocab

FORM_ID = "ctdata_registration_screening"
FORM_TITLE = "ctdata registration and screening"
#: (code, name as XLSForm writes it in a column header), English first (the default language)
LANGUAGES: tuple[tuple[str, str], ...] = (("en", "English"), ("fr", "Français"), ("es", "Español"),
                                          ("ar", "العربية"))
DEFAULT_LANGUAGE = "English (en)"
#: the repeat group of journey legs (a separate table in every export)
REPEAT = "journey_legs"

YES_NO = vocab.YES_NO

_COUNTRY = r"regex(., '^[A-Za-z]{2}$')"
_COUNTRIES = r"regex(., '^[A-Za-z]{2}( +[A-Za-z]{2})*$')"
_IS_CHILD = f"if(string-length(string(${{age_at_exploitation}})) > 0 and ${{age_at_exploitation}} < {ADULT_AGE}, " \
            "'yes', 'no')"


@dataclass(frozen=True)
class Question:
    """One row of the form's survey sheet.

    ``name`` is the question's name in the form and in every export; ``vocabulary`` gives the choices
    of a select; ``hint`` and ``constraint`` name rows of the label table."""

    type: str
    name: str
    vocabulary: vocab.Vocabulary | None = None
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    calculation: str = ""
    hint: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def labelled(self) -> bool:
        return self.type not in ("calculate", "end_group", "end_repeat")


def _select(kind: str, name: str, v: vocab.Vocabulary, **kw: Any) -> Question:
    return Question(f"{kind} {v.name}", name, v, **kw)


#: The survey, in order. Names of questions that carry a template column are the template's names.
SURVEY: tuple[Question, ...] = (
    Question("begin_group", "registration"),
    Question("text", "agency", required=True, constraint=r"regex(., '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$')"),
    Question("text", "office_country", required=True, constraint=_COUNTRY, constraint_message="country",
             hint=True),
    Question("date", "registration_date", required=True),
    Question("end_group", "registration"),
    Question("begin_group", "consent"),
    _select("select_one", "consent_assistance", YES_NO, required=True),
    _select("select_one", "consent_research", YES_NO, required=True),
    Question("text", "consent_sharing", relevant="${consent_assistance} = 'yes'", hint=True),
    Question("end_group", "consent"),
    Question("begin_group", "person"),
    Question("text", "given_name"),
    Question("text", "family_name"),
    Question("date", "date_of_birth"),
    _select("select_one", "sex", vocab.SEX),
    Question("text", "citizenship", constraint=_COUNTRIES, constraint_message="countries", hint=True),
    Question("text", "place_of_birth"),
    Question("text", "id_document_number"),
    Question("end_group", "person"),
    Question("begin_group", "screening"),
    Question("integer", "age_at_exploitation", constraint=f". >= 0 and . <= {MAX_AGE}",
             constraint_message="age", hint=True),
    Question("calculate", "is_child", calculation=_IS_CHILD),
    _select("select_multiple", "actions", vocab.ACTIONS),
    _select("select_multiple", "means", vocab.MEANS, relevant="${is_child} != 'yes'", hint=True),
    _select("select_multiple", "purposes", vocab.PURPOSES),
    Question("text", "country_of_exploitation", constraint=_COUNTRY, constraint_message="country"),
    Question("end_group", "screening"),
    Question("begin_group", "needs_first"),
    _select("select_multiple", "vulnerabilities", vocab.VULNERABILITIES, hint=True,
            constraint=f"not(selected(., 'unaccompanied_child') and ${{age_at_exploitation}} >= {ADULT_AGE})",
            constraint_message="unaccompanied_child"),
    Question("end_group", "needs_first"),
    Question("begin_repeat", REPEAT),
    Question("calculate", "leg_number", calculation="position(..)"),
    Question("text", "from_country", constraint=_COUNTRY, constraint_message="country"),
    Question("text", "to_country", constraint=_COUNTRY, constraint_message="country"),
    Question("date", "departure_date"),
    _select("select_one", "crossing", vocab.CROSSING),
    _select("select_one", "travel_document", vocab.TRAVEL_DOCUMENT),
    _select("select_one", "transport_mode", vocab.TRANSPORT_MODE),
    _select("select_one", "exploited", vocab.EXPLOITED_ON_LEG),
    Question("end_repeat", REPEAT),
    Question("note", "determination_note"),
)

#: Questions by name (the importer reads exports by these names).
QUESTIONS: dict[str, Question] = {q.name: q for q in SURVEY if q.type not in ("end_group", "end_repeat")}
#: Names of the questions inside the repeat group.
_TYPES = [q.type for q in SURVEY]
REPEAT_QUESTIONS: tuple[str, ...] = tuple(
    q.name for q in SURVEY[_TYPES.index("begin_repeat") + 1 : _TYPES.index("end_repeat")]
)
#: Select-multiple questions (an export may add one 0/1 column per choice beside the answer).
MULTIPLE: frozenset[str] = frozenset(q.name for q in SURVEY if q.type.startswith("select_multiple"))


@cache
def labels() -> dict[str, dict[str, str]]:
    """The label table: key -> language code -> text (English of choices comes from the vocabularies)."""
    text = resources.files("ctdata.ingest").joinpath("data/xlsform_labels.csv").read_text(encoding="utf-8")
    return {row["key"]: {code: row[code] for code, _ in LANGUAGES} for row in csv.DictReader(text.splitlines())}


def _columns(kind: str) -> list[str]:
    return [f"{kind}::{name} ({code})" for code, name in LANGUAGES]


def _texts(key: str, english: str | None = None) -> list[str]:
    row = labels().get(key)
    if row is None:
        raise ValidationError(f"the XLSForm label table has no row {key!r}")
    out = []
    for code, _ in LANGUAGES:
        text = english if code == "en" and english else row.get(code, "")
        if not text:
            raise ValidationError(f"the XLSForm label table has no {code} text for {key!r}")
        out.append(text)
    return out


def vocabularies() -> list[vocab.Vocabulary]:
    """The choice lists of the form, each once, in the order the survey uses them."""
    seen: dict[str, vocab.Vocabulary] = {}
    for q in SURVEY:
        if q.vocabulary is not None:
            seen.setdefault(q.vocabulary.name, q.vocabulary)
    return list(seen.values())


def sheets() -> dict[str, list[list[str]]]:
    """The XLSForm's three sheets (survey, choices, settings) as rows, header first."""
    survey_head = ["type", "name", *_columns("label"), *_columns("hint"), "required", "relevant", "constraint",
                   *_columns("constraint_message"), "calculation"]
    survey = [survey_head]
    for q in SURVEY:
        label = _texts(f"question.{q.name}") if q.labelled else [""] * len(LANGUAGES)
        hint = _texts(f"hint.{q.name}") if q.hint else [""] * len(LANGUAGES)
        message = _texts(f"constraint.{q.constraint_message}") if q.constraint_message else [""] * len(LANGUAGES)
        name = "" if q.type in ("end_group", "end_repeat") else q.name
        survey.append([q.type, name, *label, *hint, "yes" if q.required else "", q.relevant, q.constraint,
                       *message, q.calculation])
    choices = [["list_name", "name", *_columns("label")]]
    for v in vocabularies():
        for code, english in v.terms.items():
            choices.append([v.name, code, *_texts(f"choice.{v.name}.{code}", english)])
    version = hashlib.sha256(json.dumps([survey, choices], ensure_ascii=False).encode()).hexdigest()[:10]
    settings = [["form_title", "form_id", "version", "default_language"],
                [FORM_TITLE, FORM_ID, version, DEFAULT_LANGUAGE]]
    return {"survey": survey, "choices": choices, "settings": settings}


def write_xlsform(out: Path | str) -> list[Path]:
    """Write the form into the folder ``out`` as ``ctdata_registration_screening.xlsx``; returns the paths."""
    import openpyxl

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path = out / f"{FORM_ID}.xlsx"
    wb.save(path)
    return [path]
