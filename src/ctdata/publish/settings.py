"""Settings of publication, saved with every release (frozen, strict JSON round-trip: ``ctdata.settings_base``).

Like Splink's settings: a release can be reproduced from its saved settings
and its input snapshot, and a reviewer reads the same file the engine ran on.
Kept free of heavy imports so the command line reads its defaults from here.
"""

from __future__ import annotations

from dataclasses import field

from ctdata.errors import ValidationError
from ctdata.settings_base import BaseSettings, settings_dataclass

#: The smallest count published (k): k-anonymised classes, suppressed table cells and portal figures.
K: int = 11


#: The quasi-identifiers of the public CTDC release.
DEFAULT_QIS: tuple[str, ...] = (
    "registration_year",
    "data_source",
    "sex",
    "age_band",
    "citizenship",
    "country_of_exploitation",
)
DEFAULT_SENSITIVE: tuple[str, ...] = ("exploitation_types",)
#: Columns released beside the quasi-identifiers (a whitelist: nothing else passes).
DEFAULT_RELEASE_COLUMNS: tuple[str, ...] = (
    "child",
    "exploitation_types",
    "labour_sectors",
    "means_of_control",
)


@settings_dataclass
class KAnonSettings(BaseSettings):
    """Parameters of a k-anonymised release (saved as ``settings.json`` with it)."""

    k: int = K
    quasi_identifiers: tuple[str, ...] = DEFAULT_QIS
    sensitive_attributes: tuple[str, ...] = DEFAULT_SENSITIVE
    release_columns: tuple[str, ...] = DEFAULT_RELEASE_COLUMNS
    #: distinct l-diversity to enforce on each sensitive attribute (1 = check and report only)
    l_diversity: int = 1
    #: largest share of records the global step may leave in small classes
    max_suppression: float = 0.2
    local_recoding: bool = True
    #: highest hierarchy level allowed per attribute (absent = up to ``*``)
    max_levels: dict[str, int] = field(default_factory=dict)
    include_unknown_consent: bool = False
    #: prosecutor risk above which a record counts as "at risk" in the report
    risk_threshold: float = 0.1

    def validate(self) -> None:
        if self.k < 1:
            raise ValidationError(f"k must be at least 1, not {self.k}")
        if self.l_diversity < 1:
            raise ValidationError(f"l must be at least 1, not {self.l_diversity}")
        if not 0 <= self.max_suppression <= 1:
            raise ValidationError("max_suppression must be between 0 and 1")
        if not self.quasi_identifiers:
            raise ValidationError("at least one quasi-identifier is needed")


#: Columns of a synthetic release.
DEFAULT_COLUMNS: tuple[str, ...] = (
    "registration_year",
    "data_source",
    "sex",
    "age_band",
    "child",
    "citizenship",
    "country_of_exploitation",
    "exploitation_types",
)


@settings_dataclass
class SyntheticSettings(BaseSettings):
    """Parameters of a DP synthetic release (saved with it)."""

    epsilon: float = 1.0
    delta: float = 1e-7
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    year_range: tuple[int, int] = (2000, 2030)
    #: share of rho spent on the noisy one-way counts that decide lumping (they also enter the fit)
    lump_share: float = 0.25
    #: a category is lumped when its noisy count is below this many standard deviations of its
    #: own noise: below that the noise alone could have made it up
    lump_sigmas: float = 3.0
    #: ... or below this share of the (noisy) total (0: the budget alone decides)
    lump_min_share: float = 0.0
    #: budget weight of a measured marginal grows as (cells ** weight_power): noise std ~ 1/weight, so a
    #: table's expected L1 noise ~ cells / weight, and the sum over tables at a fixed rho is least at
    #: the power 1/3 (Lagrange: cells / w**2 ~ w). It also keeps the noise scales of small and large
    #: tables closer, which the model fit (a least-squares loss weighted by 1/std**2) converges on
    #: faster. Simulated data (20,000 records, epsilon 1, one run each; OpenDP's noise is not seeded):
    #: mean 2-way TVD 0.084 at 0.5; 0.071 at 1/3 with the lumping at 1/3 too; 0.077 as released (1/3,
    #: lumping 0.5, select_pairs). Checked, not tuned, on CTDC 2021: 0.080 -> 0.067
    weight_power: float = 1 / 3
    #: the same for the one-way counts that decide lumping: 0.5 gives the country columns (250
    #: values) more of that budget, so fewer countries are lumped
    lump_weight_power: float = 0.5
    max_model_mb: float = 64.0
    #: most steps of the fit (mirror descent with momentum); it stops before when the model explains
    #: the measurements as well as the true counts would (``synthetic.fit_until_noise_level``, the
    #: discrepancy principle). Why a stop rule: the step count acts as a regulariser whose best value
    #: depends on the data (plain mirror descent refitting the same noisy measurements, simulated
    #: 20,000 records: 400 steps 0.082, 600 0.047, 2,000 0.058 mean 2-way TVD). With momentum the
    #: rule stops at about 240 steps on simulated 20,000 records (2-way TVD 0.072; 0.092 when forced
    #: to 600 steps: past the noise level the fit follows the noise). The limit is a guard for the
    #: 120 s time goal, not a quality setting
    iters: int = 2000
    #: fewest steps before the stop rule may end the fit: the rule weighs every measured cell alike,
    #: so where a few small tables carry the structure the summed residual reaches its noise level
    #: while they are still under-fitted. Measured (victims shaped like the victim-perpetrator
    #: release, 8,000 rows, 4 columns, epsilon 1, three noise draws;
    #: tests/publish/test_synthetic_victim_perpetrator.py): the rule alone stopped at 60-107 steps and
    #: the within-region share came out 0.036-0.058 below the real 0.969 in two draws of three; at
    #: 250 steps -0.008 to +0.009. 250 is also about where the rule stops on simulated 20,000 records,
    #: so there the floor changes nothing. (Without momentum the floor was 600: the same fit needed
    #: more steps)
    min_iters: int = 250
    rows: int | None = None
    seed: int = 0
    include_unknown_consent: bool = False

    def validate(self) -> None:
        if not self.epsilon > 0:
            raise ValidationError(f"epsilon must be positive, not {self.epsilon}")
        if not 0 < self.delta < 1e-3:
            raise ValidationError(f"delta must be in (0, 0.001), not {self.delta}")
        if self.min_iters < 0 or self.iters < 1:
            raise ValidationError(
                f"iters must be at least 1 and min_iters at least 0, not {self.iters} and {self.min_iters}"
            )
        if not 0 < self.lump_share < 1:
            raise ValidationError("lump_share must be between 0 and 1")
        if len(self.columns) < 2:
            raise ValidationError("synthesis needs at least two columns")
