"""ctdata.cases."""
