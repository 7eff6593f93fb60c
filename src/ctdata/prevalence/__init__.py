"""Multiple systems estimation (MSE): how many victims no list found.

Read a capture-pattern table (``read_pattern_csv``) or build one from linked
data (``patterns_from_links``), then ``estimate`` it. Methods and checks
follow Chan, Silverman and Vincent (2021) and the R packages SparseMSE and
MultipleSystemsEstimation.

The names below are imported on first use (PEP 562), so reading the settings
(``ctdata.prevalence.settings``, e.g. for the command line's defaults) does
not load the estimator and its numerical libraries.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ctdata.prevalence.estimate import MSEResult, estimate, estimate_across_methods
    from ctdata.prevalence.models import ModelError, check_model, parse_model
    from ctdata.prevalence.patterns import PatternTable, parse_pattern_csv, patterns_from_links, read_pattern_csv
    from ctdata.prevalence.settings import METHODS, EstimateSettings

#: Public name -> the module that defines it.
_WHERE = {
    "METHODS": "settings",
    "EstimateSettings": "settings",
    "MSEResult": "estimate",
    "estimate": "estimate",
    "estimate_across_methods": "estimate",
    "ModelError": "models",
    "check_model": "models",
    "parse_model": "models",
    "PatternTable": "patterns",
    "parse_pattern_csv": "patterns",
    "patterns_from_links": "patterns",
    "read_pattern_csv": "patterns",
}

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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Keeps ``estimate`` the function when the submodule of the same name is imported.

    The import system binds a loaded submodule to its name in the package; the
    submodule ``estimate`` would then hide the function ``estimate``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
