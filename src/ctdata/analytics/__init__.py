"""ctdata.analytics."""
