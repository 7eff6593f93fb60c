"""Words made in Python that a page shows in its reader's language, and SVG accessible names.

Why here, at the top of the package (left of every layer, importing nothing of ours): the
screening engine, the case services and the error types write sentences, but only the web
layer knows the reader's language. A `Text` is those words twice over: it *is* the English
string (a `str`, so the CLI, the API, the audit and every f-string keep working unchanged),
and it keeps its message id and parameters so the web layer can look the id up in its
gettext catalogue and fill in the parameters in the page's language (`ctdata.web.i18n.localise`).
Parameters may themselves be `Text`, `Terms` (vocabulary labels, joined as the language joins
a list), `Join` (sentences side by side), `Country` (an ISO code named in the language) or `Region`
(a region's or regional office's English name, named in the language).

`svg_title` is here for the same reason: the report's charts and the linkage evaluation both
draw SVG, the linkage layer may not import the report's, and an SVG without `role="img"` and a
`<title>` has no accessible name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any


class Text(str):
    """A message id with parameters, whose value as a string is the English sentence."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Text:
        english = msgid.format(**{k: str(v) for k, v in params.items()}) if params else msgid
        self = super().__new__(cls, english)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (and copies) as what it is
        return (_rebuild, (type(self), self.msgid, self.params))


def _rebuild(cls: type[Text], msgid: str, params: dict[str, Any]) -> Text:
    return cls(msgid, **params)


def english_list(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def lower_first(word: str) -> str:
    return word[:1].lower() + word[1:]


class Terms(str):
    """Vocabulary labels as a list inside a sentence ('recruitment and transportation').

    `lower` writes each label with a small first letter, as inside an English or French sentence.
    """

    labels: tuple[str, ...]
    lower: bool

    def __new__(cls, labels: Iterable[str], /, *, lower: bool = True) -> Terms:
        labels = tuple(labels)
        self = super().__new__(cls, english_list([lower_first(x) if lower else x for x in labels]))
        self.labels = labels
        self.lower = lower
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_terms, (self.labels, self.lower))


def _terms(labels: tuple[str, ...], lower: bool) -> Terms:
    return Terms(labels, lower=lower)


class Join(str):
    """Sentences (or other parts) side by side, each translated on its own."""

    parts: tuple[str, ...]
    sep: str

    def __new__(cls, parts: Iterable[str], /, sep: str = " ") -> Join:
        parts = tuple(p for p in parts if p)
        self = super().__new__(cls, sep.join(parts))
        self.parts = parts
        self.sep = sep
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Join, (self.parts, self.sep))


class Country(str):
    """A country inside a sentence: its English name as a string, its code for naming it in another language.

    `sentence` says the English string is the name as running text writes it ('the Philippines',
    `ctdata.standard.countries.in_sentence`), which an English page then shows as it is."""

    code: str
    sentence: bool

    def __new__(cls, code: str, name: str, *, sentence: bool = False) -> Country:
        self = super().__new__(cls, name)
        self.code = code
        self.sentence = sentence
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_country, (self.code, str(self), self.sentence))


def _country(code: str, name: str, sentence: bool) -> Country:
    return Country(code, name, sentence=sentence)


class Region(str):
    """An area inside a sentence or a table: a UN M49 region or sub-region ('Western Africa'), a regional
    office ('Cairo') or an office's region ('Asia & the Pacific'); its string is the English name, and a
    page names it in its reader's language (`ctdata.web.i18n.region_name`)."""

    def __new__(cls, name: str) -> Region:
        return super().__new__(cls, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Region, (str(self),))


class Plain(str):
    """A number inside a sentence that is a name, not a quantity (a case number): never grouped."""

    def __new__(cls, value: object) -> Plain:
        return super().__new__(cls, str(value))


class Day(str):
    """A date inside a sentence, for writing as the reader's language does.

    Its string is the ISO date ('1994-04-03'), or with `spoken` the date no reader can take the
    wrong way round ('3 April 1994'), which is also how the reader's language gets it.
    """

    iso: str
    spoken: bool

    def __new__(cls, iso: object, *, spoken: bool = False) -> Day:
        text = str(iso)
        if spoken:
            y, m, d = (int(x) for x in text.split("-"))
            text = f"{d} {MONTHS[m - 1]} {y}"
        self = super().__new__(cls, text)
        self.iso = str(iso)
        self.spoken = spoken
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_day, (self.iso, self.spoken))


def _day(iso: str, spoken: bool) -> Day:
    return Day(iso, spoken=spoken)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


class Month(str):
    """A month's name inside a sentence ('February'), named in the reader's language."""

    number: int

    def __new__(cls, number: int) -> Month:
        self = super().__new__(cls, MONTHS[number - 1])
        self.number = number
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Month, (self.number,))


class Sentence(str):
    """Words written as a sentence: a capital first letter and a full stop (after translation too)."""

    inner: str

    def __new__(cls, inner: str) -> Sentence:
        self = super().__new__(cls, as_sentence(str(inner)))
        self.inner = inner
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sentence, (self.inner,))


def as_sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!", "؟")) else ".")) if text else ""


def words_of(exc: BaseException) -> str:
    """What an error says: its `Text` (so a page can translate it) when it was raised with one, else its string."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, WORDS) else str(exc)


def to_data(value: Any) -> Any:
    """Words made in Python (and lists, dicts and plain values holding them) as JSON data that `from_data`
    turns back into the same words: a page's message can then go through a redirect and still be put in
    its reader's language on the page the browser is sent to."""
    if isinstance(value, Text):
        return {"__words__": "Text", "id": value.msgid, "params": {k: to_data(v) for k, v in value.params.items()}}
    if isinstance(value, Terms):
        return {"__words__": "Terms", "labels": list(value.labels), "lower": value.lower}
    if isinstance(value, Join):
        return {"__words__": "Join", "parts": [to_data(p) for p in value.parts], "sep": value.sep}
    if isinstance(value, Country):
        return {"__words__": "Country", "code": value.code, "name": str(value), "sentence": value.sentence}
    if isinstance(value, Day):
        return {"__words__": "Day", "iso": value.iso, "spoken": value.spoken}
    if isinstance(value, Month):
        return {"__words__": "Month", "number": value.number}
    if isinstance(value, Sentence):
        return {"__words__": "Sentence", "inner": to_data(value.inner)}
    if isinstance(value, (Region, Plain)):
        return {"__words__": type(value).__name__, "value": str(value)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    return value


def from_data(data: Any) -> Any:
    """The words `to_data` wrote (anything else comes back as it is)."""
    if isinstance(data, list):
        return [from_data(v) for v in data]
    if not isinstance(data, dict):
        return data
    kind = data.get("__words__")
    if kind is None:
        return {k: from_data(v) for k, v in data.items()}
    if kind == "Text":
        return Text(str(data["id"]), **{k: from_data(v) for k, v in data["params"].items()})
    if kind == "Terms":
        return Terms(data["labels"], lower=bool(data["lower"]))
    if kind == "Join":
        return Join([from_data(p) for p in data["parts"]], sep=str(data["sep"]))
    if kind == "Country":
        return Country(str(data["code"]), str(data["name"]), sentence=bool(data.get("sentence")))
    if kind == "Day":
        return Day(str(data["iso"]), spoken=bool(data["spoken"]))
    if kind == "Month":
        return Month(int(data["number"]))
    if kind == "Sentence":
        return Sentence(from_data(data["inner"]))
    if kind in ("Region", "Plain"):
        return (Region if kind == "Region" else Plain)(str(data["value"]))
    raise ValueError(f"unknown words {kind!r}")


#: the types of words made in Python that a page puts in its reader's language
WORDS: tuple[type[str], ...] = (Text, Terms, Join, Country, Region, Day, Month, Sentence)


def svg_title(svg: str, name: str, ident: str = "chart") -> str:
    """The SVG with ``role="img"``, ``aria-labelledby`` and a ``<title>`` naming it (its first child).

    A role or label the SVG already had is replaced; `ident` makes the title's id unique on a page
    that inlines several SVGs. Text that is not an SVG comes back as it was.
    """
    tag = re.match(r"\s*<svg\b[^>]*>", svg)
    if tag is None:
        return svg
    tid = re.sub(r"[^A-Za-z0-9_-]", "-", f"{ident}-title")
    opening = re.sub(r'\s(role|aria-labelledby|aria-label|aria-hidden)="[^"]*"', "", tag.group(0).strip())
    opening = opening[:-1] + f' role="img" aria-labelledby="{tid}">'
    return opening + f'<title id="{tid}">{escape(name)}</title>' + svg[tag.end():]
