"""ctdata.publish."""
