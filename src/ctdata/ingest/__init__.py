"""ctdata.ingest."""
