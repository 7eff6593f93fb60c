"""ctdata.analytics.

Indicators and tables of the report: the counting rules as a type (table.py), tabulation, the registry of
tables.

Its modules are its public surface (imported by name, so importing the layer stays cheap).
"""

__all__ = [
    "border",
    "cases",
    "compare",
    "filters",
    "funding",
    "indicators",
    "registry",
    "returns",
    "table",
    "tabulate",
]
