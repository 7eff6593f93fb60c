"""Settings of an estimate: the one place its defaults live (the command line reads them from here)."""

from __future__ import annotations

from ctdata.errors import CtdataError
from ctdata.settings_base import BaseSettings, settings_dataclass

METHODS = ("stepwise", "aic", "bic", "main", "model")
CI_METHODS = ("profile", "bootstrap", "wald", "none")
DEFAULT_PTHRESH = 0.02


@settings_dataclass
class EstimateSettings(BaseSettings):
    """Everything that determines a result; saved with it so it can be reproduced."""

    method: str = "stepwise"
    model: str | None = None
    ci: str = "profile"
    alpha: float = 0.05
    pthresh: float = DEFAULT_PTHRESH
    bootstrap: int = 1000
    seed: int = 1234

    def validate(self) -> None:
        if self.method not in METHODS:
            raise CtdataError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.ci not in CI_METHODS:
            raise CtdataError(f"unknown interval {self.ci!r}; choose one of {', '.join(CI_METHODS)}")
        if not 0 < self.alpha < 1:
            raise CtdataError(f"alpha must be between 0 and 1, got {self.alpha}")


#: The defaults, for function signatures.
DEFAULTS = EstimateSettings()
