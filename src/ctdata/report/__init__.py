"""ctdata.report."""
