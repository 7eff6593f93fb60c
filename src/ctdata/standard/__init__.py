"""ctdata.standard."""
