"""ctdata.analytics.

Indicators and tables of the report: the counting rules as a type (table.py), tabulation, the registry of
tables.
"""

__all__ = ["border", "cases", "compare", "filters", "funding", "indicators", "perpetrators", "recruitment",
           "registry", "returns", "table", "tabulate"]
