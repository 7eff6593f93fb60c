"""ctdata.linkage."""
