"""ctdata.warehouse."""
