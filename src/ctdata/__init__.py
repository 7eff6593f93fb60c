"""ctdata."""
