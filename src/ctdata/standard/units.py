"""The names of the counting units (what a figure counts), in the standard so that every layer,
the public portal included, names a unit the same way. Which unit a count has is decided in
`ctdata.analytics.units` (e.g. `record_unit`); the portal, which may not import analytics,
uses the names only."""

from __future__ import annotations

INSTANCES = "instances of assistance"
HOTLINE_REPORTS = "hotline reports"
MIXED_RECORDS = "case records (instances of assistance and hotline reports)"
#: case records whose kind (assistance or hotline report) the counter cannot see, e.g. a release's rows
CASE_RECORDS = "case records"
INDIVIDUALS = "individuals"
RETURNEES = "people assisted to return"
RETURNS = "travelled returns"
#: the data source code of hotline reports
HOTLINE = "hotline"
