"""Filters every indicator accepts, rendered to a parameterised SQL WHERE clause.

Filter values come from people (CLI options, portal query strings), so they
never reach SQL as text: codes with a closed list (regional office, M49 region,
data source) are checked against that list, free strings (agency) travel as
DuckDB parameters, and the only identifiers pasted into SQL are table aliases
checked against a strict pattern.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ctdata.errors import ValidationError
from ctdata.standard.regions import REGIONAL_OFFICES, m49_table
from ctdata.standard.types import agency_code

_ALIAS = re.compile(r"^[a-z_][a-z0-9_]{0,30}$")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_YEARS = (1900, 2100)


def _check_alias(alias: str) -> str:
    if not _ALIAS.match(alias):
        raise ValueError(f"bad table alias {alias!r}")
    return alias


@dataclass(frozen=True)
class Filters:
    """Which case records an indicator counts (all fields optional, combined with AND).

    - ``year_from`` / ``year_to``: registration year range, inclusive.
    - ``regional_office``: one of the 8 regional offices of the 2011 annex, by the
      country of exploitation (the warehouse column ``regional_office``).
    - ``office_regional_office``: the regional office covering the country of the office that
      gave the assistance (the published report's regional chapters: assistance given in the region).
    - ``office_country``: ISO alpha-2 of the registering office.
    - ``agency``: the agency that registered the record (its agency code: ``iom`` is ``IOM``).
    - ``data_source``: how the record came to the agency (e.g. case_management, hotline).
    - ``m49_region``: UN M49 region of the country of exploitation (e.g. Europe).
    """

    year_from: int | None = None
    year_to: int | None = None
    regional_office: str | None = None
    office_regional_office: str | None = None
    office_country: str | None = None
    agency: str | None = None
    data_source: str | None = None
    m49_region: str | None = None

    def __post_init__(self) -> None:
        for name in ("year_from", "year_to"):
            v = getattr(self, name)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int):
                try:
                    v = int(str(v).strip())
                except ValueError:
                    raise ValidationError(f"{name}: not a year: {getattr(self, name)!r}") from None
                object.__setattr__(self, name, v)
            if not _YEARS[0] <= v <= _YEARS[1]:
                raise ValidationError(f"{name}: year {v} out of range {_YEARS[0]}-{_YEARS[1]}")
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValidationError(f"year range {self.year_from}-{self.year_to} is empty")
        for name in ("regional_office", "office_regional_office"):
            v = getattr(self, name)
            if v is not None and v not in REGIONAL_OFFICES:
                raise ValidationError(f"{name}: {v!r} is not one of {', '.join(REGIONAL_OFFICES)}")
        if self.office_country is not None:
            oc = str(self.office_country).strip().upper()
            if not _ISO2.match(oc):
                raise ValidationError(f"office_country: {self.office_country!r} is not an ISO alpha-2 code")
            object.__setattr__(self, "office_country", oc)
        if self.m49_region is not None:
            regions = sorted({r.region for r in m49_table().values()})
            if self.m49_region not in regions:
                raise ValidationError(f"m49_region: {self.m49_region!r} is not one of {', '.join(regions)}")
        for name in ("agency", "data_source"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v.strip() or len(v) > 200):
                raise ValidationError(f"{name}: must be a non-empty text of at most 200 characters")
        if self.agency is not None:  # stored agencies are codes: `--agency iom` means IOM
            object.__setattr__(self, "agency", agency_code(self.agency))

    # ------------------------------------------------------------------ SQL
    def where(self, alias: str = "c") -> tuple[str, list[Any]]:
        """A WHERE condition (without the keyword) over the cases table ``alias``, and its parameters."""
        a = _check_alias(alias)
        parts: list[str] = []
        params: list[Any] = []
        if self.year_from is not None:
            parts.append(f"{a}.registration_year >= ?")
            params.append(self.year_from)
        if self.year_to is not None:
            parts.append(f"{a}.registration_year <= ?")
            params.append(self.year_to)
        for col in ("regional_office", "office_regional_office", "office_country", "agency", "data_source"):
            v = getattr(self, col)
            if v is not None:
                parts.append(f"{a}.{col} = ?")
                params.append(v)
        if self.m49_region is not None:
            parts.append(f"{a}.region = ?")
            params.append(self.m49_region)
        return (" AND ".join(parts) or "TRUE"), params

    # ------------------------------------------------------------------ helpers
    def but(self, **changes: Any) -> Filters:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def for_year(self, year: int) -> Filters:
        return replace(self, year_from=year, year_to=year)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """Build from a mapping (query string, JSON); unknown keys are refused, empty values ignored."""
        data = data or {}
        names = {f.name for f in fields(cls)}
        bad = sorted(set(data) - names)
        if bad:
            raise ValidationError(f"unknown filter {', '.join(bad)}; known: {', '.join(sorted(names))}")
        return cls(**{k: v for k, v in data.items() if v not in (None, "")})

    def describe(self) -> str:
        """Plain words for a subtitle: 'registered 2011; regional office Vienna'."""
        out: list[str] = []
        if self.year_from is not None or self.year_to is not None:
            if self.year_from == self.year_to:
                out.append(f"registered in {self.year_from}")
            elif self.year_to is None:
                out.append(f"registered from {self.year_from}")
            elif self.year_from is None:
                out.append(f"registered up to {self.year_to}")
            else:
                out.append(f"registered {self.year_from}-{self.year_to}")
        labels = {
            "regional_office": "regional office",
            "office_regional_office": "assistance given in the region of",
            "office_country": "office in",
            "agency": "agency",
            "data_source": "data source",
            "m49_region": "region of exploitation",
        }
        for k, lab in labels.items():
            v = getattr(self, k)
            if v is not None:
                out.append(f"{lab} {v}")
        return "; ".join(out) or "all records"
