"""ctdata.store."""
