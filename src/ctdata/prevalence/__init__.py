"""Multiple systems estimation (MSE): how many victims no list found.

Read a capture-pattern table (``read_pattern_csv``) or build one from linked
data (``patterns_from_links``), then ``estimate`` it. Methods and checks
follow Chan, Silverman and Vincent (2021) and the R packages SparseMSE and
MultipleSystemsEstimation.
"""

from ctdata.prevalence.estimate import EstimateSettings, MSEResult, estimate, estimate_across_methods
from ctdata.prevalence.models import ModelError, check_model, parse_model
from ctdata.prevalence.patterns import PatternTable, parse_pattern_csv, patterns_from_links, read_pattern_csv
from ctdata.prevalence.settings import METHODS

__all__ = [
    "METHODS",
    "EstimateSettings",
    "MSEResult",
    "ModelError",
    "PatternTable",
    "check_model",
    "estimate",
    "estimate_across_methods",
    "parse_model",
    "parse_pattern_csv",
    "patterns_from_links",
    "read_pattern_csv",
]
