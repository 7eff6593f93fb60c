"""ctdata.warehouse: The de-identified Parquet snapshot that analytics, linkage and publication read (DuckDB).

Its modules are its public surface (imported by name, so importing the layer stays cheap).
"""

__all__ = [
    "build",
    "query",
]
