"""ctdata.simulate."""
