"""ctdata.screening."""
