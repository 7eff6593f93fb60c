"""Recruitment (tactics, the sector promised) and the kinds of legal assistance: the case detail the
published annual report states beside its exploitation and assistance figures.

Each is a table of case records in their counting unit (``units.record_unit``), with individuals
beside once linked; records that do not say are the unknowns. Tactics and legal kinds are
lists: a record counts once under each, so shares may sum to more than 100%.
"""

from __future__ import annotations

import duckdb

from ctdata.analytics.filters import Filters
from ctdata.analytics.registry import indicator
from ctdata.analytics.table import IndicatorTable
from ctdata.analytics.tabulate import one_way
from ctdata.analytics.units import INSTANCES
from ctdata.standard.vocab import LEGAL_ASSISTANCE_TYPES, PROMISED_SECTORS, RECRUITMENT_TACTICS

TACTICS_NOTE = (
    "Shares are of the records with a tactic recorded; a record with none is unknown. A source that flags one "
    "tactic only (CTDC: abduction) has every known record under it: read its count, not its share."
)


@indicator("recruitment_tactics", "exploitation", INSTANCES)
def recruitment_tactics(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """How people were recruited (a record counts under each tactic recorded)."""
    return one_way(
        con, name="recruitment_tactics", title="Recruitment tactics", filters=filters,
        value_expr="c.recruitment_tactics", multi=True, label=RECRUITMENT_TACTICS.label,
        order=RECRUITMENT_TACTICS.codes, note=TACTICS_NOTE,
    )


@indicator("promised_sector", "exploitation", INSTANCES)
def promised_sector(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """The sector of the job promised at recruitment (records of people offered a job that say it)."""
    return one_way(
        con, name="promised_sector", title="Sector of the job promised at recruitment", filters=filters,
        value_expr="c.promised_sector", extra_where="list_contains(coalesce(c.recruitment_tactics, []), 'job_offer')",
        label=PROMISED_SECTORS.label, order=PROMISED_SECTORS.codes,
    )


@indicator("legal_assistance_types", "assistance", INSTANCES)
def legal_assistance_types(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> IndicatorTable:
    """Kinds of legal assistance, as shares of the records that received legal assistance saying its kind."""
    frm = (
        "cases c JOIN (SELECT record_key, flatten(list(string_split(coalesce(legal_types, ''), ';'))) AS kinds "
        "FROM assistance WHERE assistance_type = 'legal' GROUP BY record_key) a USING (record_key)"
    )
    return one_way(
        con, name="legal_assistance_types", title="Kinds of legal assistance", filters=filters,
        value_expr="list_filter(a.kinds, lambda x: x <> '')", from_sql=frm, multi=True,
        label=LEGAL_ASSISTANCE_TYPES.label, order=LEGAL_ASSISTANCE_TYPES.codes, needs=("cases", "assistance"),
    )
