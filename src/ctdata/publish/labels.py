"""How released values read on the portal, and the order they are shown in.

Released values are codes (``female``, ``NG``, ``2019``) or generalised labels
(``2015-2019``, ``Western Africa``, ``minor``), ``Unknown`` for missing and ``*``
where k-anonymisation withheld the value.
"""

from __future__ import annotations

from typing import Any

from ctdata.standard import countries, regions, vocab
from ctdata.text import Country, Plain, Region, Text

UNKNOWN = "Unknown"
STAR = "*"
#: Age bands that are children's (a generalised release may keep only ``minor``).
CHILD_BANDS = {"0-8", "9-17", "0-17", "minor"}


def _region_lookup() -> dict[str, str]:
    """M49 region of every M49 region, sub-region and intermediate-region name (for generalised labels)."""
    out: dict[str, str] = {}
    for row in regions.m49_table().values():
        for name in (row.region, row.sub_region, row.intermediate_region):
            if name:
                out.setdefault(name, row.region)
    # labels from the regional-office table, used for codes M49 lacks (e.g. "European Economic Area")
    for office in regions.regional_office_table().values():
        region = regions.m49_region(office.iso2)
        if office.region and region:
            out.setdefault(office.region, region)
    return out


_REGION_OF_LABEL = _region_lookup()


def region_of(value: str) -> str:
    """UN M49 region of a released country value (a code, or a generalised region label)."""
    if value in (UNKNOWN, STAR):
        return value
    if len(value) == 2:
        return regions.m49_region(value) or UNKNOWN
    return _REGION_OF_LABEL.get(value, UNKNOWN)


def label(dim: str, value: str) -> str:
    """How a released value reads on the page: words made in Python (`ctdata.text`), English as strings
    (the JSON and the files) and in the reader's language on a page."""
    if value == STAR:
        return Text("Any (withheld)")
    if value == UNKNOWN:
        return Text("Unknown")
    if dim == "sex":
        return (
            Text("Transgender / non-conforming") if value == "transgender_nonconforming" else _vocab(vocab.SEX, value)
        )
    if dim in ("citizenship", "coe"):
        if value == OTHER:
            return Text("Other countries")
        return (
            Country(value, countries.name(value))
            if len(value) == 2
            else Text("{region} (region)", region=Region(value))
        )
    if dim == "region":
        return Region(value)
    if dim == "child":
        return {"child": Text("Child (under 18)"), "adult": Text("Adult")}.get(value, value)
    if dim == "age_band":
        if value == "minor":
            return Text("Under 18 (band withheld)")
        if value == "adult":
            return Text("18 or over (band withheld)")
        if value in vocab.AGE_BAND:
            return _vocab(vocab.AGE_BAND, value)
        low, _, high = value.partition("-")
        return Text("{low} to {high}", low=Plain(low), high=Plain(high)) if high else value
    if dim == "types":
        return _vocab(vocab.EXPLOITATION_TYPES, value) if value in vocab.EXPLOITATION_TYPES else value
    return value


def _vocab(vocabulary: vocab.Vocabulary, code: str) -> str:
    """A vocabulary's label, as words a page translates (the catalogue holds every vocabulary label)."""
    return Text(vocabulary.label(code))


#: The row that sums the countries below the most frequent ones.
OTHER = "Other"


def sort_key(dim: str, value: str) -> tuple[Any, ...]:
    """Display order of a dimension's values: its natural order, withheld next to last, Unknown last.

    The value itself breaks any tie, so the order never depends on how the counts were grouped.
    """
    last = 2 if value == UNKNOWN else 1 if value == STAR else 0
    if dim == "sex":
        codes = vocab.SEX.codes
        return (last, codes.index(value) if value in codes else len(codes), value)
    if dim == "age_band":
        order = [*vocab.AGE_BAND.codes, "0-17", "18-23", "24-29", "30-47", "minor", "adult"]
        return (last, order.index(value) if value in order else len(order), value)
    if dim == "child":
        return (last, ["child", "adult"].index(value) if value in ("child", "adult") else 2, value)
    if dim == "year":
        return (last, value)
    if dim == "types":
        codes = vocab.EXPLOITATION_TYPES.codes
        return (last, codes.index(value) if value in codes else len(codes), value)
    return (last, countries.collation_key(label(dim, value)), value)
