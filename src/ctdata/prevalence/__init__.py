"""ctdata.prevalence."""
