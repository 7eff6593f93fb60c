"""ctdata.simulate: synthetic multi-agency case data with ground truth, calibrated to published figures."""

from ctdata.simulate.generator import SimulationSummary, simulate

__all__ = ["SimulationSummary", "simulate"]
