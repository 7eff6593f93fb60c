"""Annotated field types shared by the standard's models.

They accept what partner files actually contain (alpha-3 codes, country names,
';'-joined lists, 'yes'/'1'/'true') and store one canonical form, so validation
happens once at the edge and every later layer can trust the values.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from ctdata.errors import ValidationError as CtdataValidationError
from ctdata.standard.countries import UnknownCountry, to_alpha2
from ctdata.standard.dates import parse_partial_date
from ctdata.standard.vocab import Vocabulary
from ctdata.text import Plain, Text

_TRUE = {"1", "true", "yes", "y", "t", "oui", "si", "sí"}
_FALSE = {"0", "false", "no", "n", "f", "non"}
_EMPTY = {"", "-99", "unknown", "na", "n/a", "none", "null", "nan"}


def is_empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:  # NaN
        return True
    return isinstance(v, str) and v.strip().lower() in _EMPTY


def _country(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        return to_alpha2(str(v))
    except UnknownCountry as exc:
        raise ValueError(exc.args[0] if exc.args else str(exc)) from None  # its words (a Text) as raised


def _countries(v: Any) -> list[str]:
    if v is None:
        return []
    items = v if isinstance(v, list | tuple) else str(v).replace(",", ";").split(";")
    out: list[str] = []
    for item in items:
        code = _country(item)
        if code and code not in out:
            out.append(code)
    return out


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float) and not (isinstance(v, float) and v != v):
        if v in (0, 1):
            return bool(v)
        raise ValueError(Text("“{value}” is not a yes/no value (use 1/0, yes/no or true/false)", value=v))
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    if s in _EMPTY:
        return None
    raise ValueError(Text("“{value}” is not a yes/no value (use 1/0, yes/no or true/false)", value=str(v).strip()))


def _partial_date(v: Any) -> str | None:
    # Pydantic turns only ValueError into a field error; the parser's own error would escape
    # model validation as a bare exception instead of a row-level reason.
    try:
        d = parse_partial_date(v)
    except CtdataValidationError as exc:
        raise ValueError(exc.fields.get("date", str(exc))) from None  # the column names the field
    return str(d) if d else None


def _int(v: Any) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(Text("must be a whole number"))
    if isinstance(v, int):
        return v
    s = str(v).strip()
    if s.lower() in _EMPTY:
        return None
    try:
        f = float(s)
    except ValueError:
        raise ValueError(Text("“{value}” is not a number", value=s)) from None
    if f != int(f):
        raise ValueError(Text("“{value}” is not a whole number", value=s))
    return int(f)


def not_allowed(value: object, codes: Iterable[str]) -> Text:
    """THE words for a value outside a list of codes (a vocabulary, a sort order, a role), at its field."""
    return Text("“{value}” is not one of the values allowed here (use one of: {codes})", value=str(value),
                codes=Plain(", ".join(codes)))


def code_literal(vocabulary: Vocabulary) -> Any:
    """The vocabulary's codes as a ``Literal`` type, so JSON schemas (OpenAPI) list them as an ``enum``."""
    return Literal[tuple(vocabulary.codes)]


def code_of(vocabulary: Vocabulary) -> Any:
    """A single code from a vocabulary; labels and case variants are accepted on input.

    The type is the vocabulary's ``Literal`` (after the lenient parsing), so a schema
    generated from a model lists the allowed codes.
    """
    by_label = {label.lower(): code for code, label in vocabulary.terms.items()}

    def check(v: Any) -> str | None:
        if v is None:
            return None
        s = str(v).strip()
        if not s:
            return None
        key = s.lower().replace(" ", "_").replace("-", "_")
        if s in vocabulary.terms:
            return s
        if key in vocabulary.terms:
            return key
        if s.lower() in by_label:
            return by_label[s.lower()]
        raise ValueError(not_allowed(s, vocabulary.codes))

    return Annotated[code_literal(vocabulary) | None, BeforeValidator(check)]


def codes_of(vocabulary: Vocabulary) -> Any:
    """A list of codes; ';'-joined strings are split."""
    single = code_of(vocabulary).__metadata__[0].func

    def check(v: Any) -> list[str]:
        if v is None:
            return []
        items = v if isinstance(v, list | tuple | set) else str(v).split(";")
        out: list[str] = []
        for item in items:
            code = single(item)
            if code and code not in out:
                out.append(code)
        return out

    return Annotated[list[code_literal(vocabulary)], BeforeValidator(check)]  # type: ignore[misc]


_COUNTRY_SCHEMA = {"type": "string", "description": "ISO 3166-1 alpha-2 code (alpha-3 codes and names are read too)"}
Country = Annotated[str | None, BeforeValidator(_country)]
#: Several countries: a list, or one string (a single code, or codes joined by ';' or ',').
Countries = Annotated[
    list[str],
    BeforeValidator(_countries),
    WithJsonSchema({"anyOf": [{"type": "array", "items": _COUNTRY_SCHEMA}, _COUNTRY_SCHEMA]}, mode="validation"),
]
YesNo = Annotated[bool | None, BeforeValidator(_bool)]
PartialDateStr = Annotated[str | None, BeforeValidator(_partial_date)]
WholeNumber = Annotated[int | None, BeforeValidator(_int)]


def _text_list(v: Any) -> list[str]:
    if v is None:
        return []
    items = v if isinstance(v, list) else str(v).split(";")
    return [s.strip() for s in items if s.strip()]


TextList = Annotated[list[str], BeforeValidator(_text_list), PlainSerializer(lambda v: v)]


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


#: Longest agency code (the store's column width).
AGENCY_MAX = 80


def agency_code(name: str) -> str:
    """The canonical code of an agency: Unicode NFKC, case folded, then upper case, spaces collapsed.

    Agencies are codes, not free text: ``iom``, ``IOM`` and ``Iom`` are one agency,
    ``örk`` and ``ÖRK`` another. Every agency written to the store (case records,
    transfers, accounts, imports) passes through here once, so every later
    comparison, in Python or in SQL, is plain equality. Case folding first makes
    names equal under Unicode case folding share one code (``straße`` and ``STRASSE``);
    the loop reaches the fixed point, so a code is its own code.
    """
    code = " ".join(str(name).split())
    for _ in range(8):
        nxt = " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", code).casefold().upper()).split())
        if nxt == code:
            break
        code = nxt
    return code


def _agency(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    code = agency_code(str(v))
    if not code:
        return None
    if len(code) > AGENCY_MAX or "\x00" in code:
        raise ValueError(Text("an agency code has at most {count} characters and no NUL", count=AGENCY_MAX))
    return code


def _required_agency(v: Any) -> str:
    code = _agency(v)
    if code is None:
        raise ValueError(Text("an agency code is required"))
    return code


#: An agency code (see `agency_code`); required where it appears in a model.
AgencyCode = Annotated[str, BeforeValidator(_required_agency)]
#: An agency code or nothing (a template column).
OptionalAgencyCode = Annotated[str | None, BeforeValidator(_agency)]


def parser_for(kind: str, vocabulary: Vocabulary | None = None) -> Any:
    """The single-value parser behind a template column kind (raises ValueError on bad input).

    Importers validate column by column with these, caching per distinct value,
    which is what makes million-row imports fast; the models use the same
    functions, so both accept and reject exactly the same values.
    """
    if kind == "code":
        return code_of(vocabulary).__metadata__[0].func  # type: ignore[arg-type]
    if kind == "codes":
        return codes_of(vocabulary).__metadata__[0].func  # type: ignore[arg-type]
    return {
        "text": _text,
        "agency": _agency,
        "country": _country,
        "countries": _countries,
        "date": _partial_date,
        "partial_date": _partial_date,
        "int": _int,
        "bool": _bool,
    }[kind]
