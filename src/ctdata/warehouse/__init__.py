"""ctdata.warehouse: The de-identified Parquet snapshot that analytics, linkage and publication read (DuckDB).
"""

__all__ = ["build", "query"]
