"""ctdata.web."""
