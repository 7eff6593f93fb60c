"""Linkage settings: plain data that round-trips to JSON, so a run can be saved and repeated.

A release or a report stores the settings it was linked with; re-running with
the same settings on the same snapshot gives the same clusters.
"""

from __future__ import annotations

import re

from ctdata.errors import ConfigError
from ctdata.settings_base import BaseSettings, settings_dataclass

BACKENDS = ("duckdb", "spark")
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)", re.IGNORECASE)


@settings_dataclass
class LinkageSettings(BaseSettings):
    """What a linkage run needs to know besides the data.

    threshold: match probability at or above which a pair joins a cluster. None chooses it from
        the run's own scored pairs: the cut that maximises the F1 the model expects under its
        match probabilities (calibration.expected_f1_threshold). That is only as good as the
        probabilities are calibrated, and they are not yet: on the test generator pairs scored
        0.05-0.1 are 55% true matches, so the data's cut lands near 0.46 and loses recall. Until
        the probabilities are calibrated the default stays 0.02, chosen on the simulator
        (constrained clustering keeps low-probability links from chaining namesakes). Unlabelled,
        the model's calibration differs by data set (pairs scored 0.02-0.05 are 9-14% true
        matches on the simulator's tuning seeds at 5,000 records, 59% on fake_1000, 72% on FEBRL 3),
        and links that weak are worth more in clusters than alone, so the expected-F1 cut lands
        too high everywhere measured; an expected F1 of the clusters themselves (computed from the
        probabilities at each cut) rises with the cut on every set while the true F1 falls.
        Reviewed pairs calibrate it (review_calibration_min).
    review_calibration_min: with at least this many reviewed pairs (match or not match) among
        the scored pairs, the match probabilities are calibrated on the reviewers' decisions
        (calibration.fit_calibration) and the threshold becomes the expected-F1 cut of the
        calibrated probabilities, whatever `threshold` says; 0 (the default) turns it off, and
        reviewed pairs are then labels only: forced and forbidden links. It was 50 until the same
        100 reviewed pairs were run both ways (benchmarks/eval_public_linkage.py, ctdata-labels
        and ctdata-reviewed rows): calibrated, the simulator's tuning seeds 1-3 lost 0.002-0.004
        of pairwise F1 and went to +2.1-2.7% individuals (labels only: +1.2-1.4%), Splink's
        historical figures 0.643 -> 0.523, FEBRL 3 equal; only fake_1000, where the model is
        least sure of its matches, gained (0.679 -> 0.786). The decisions come from the band
        around the threshold, so the fit sees a narrow range of weights and the expected-F1 cut
        it leads to lands near 0.5, too high for constrained clusters (see `threshold`).
    uncertain_band: pairs with probability in [low, high) go to the review queue. None (the
        default) takes the pairs whose odds are within a Bayes factor of 4 of the threshold's
        (calibration.review_band; [0.2, 0.8) at a threshold of 0.5).
    blocking_rules: SQL conditions (Splink style, l./r. prefixes) that generate
        candidate pairs; empty means the defaults chosen from the columns present, with the
        wider nets the data afford (blocking.affordable_nets).
    em_blocking_rules: rules for the EM training passes; empty means defaults.
    same_office_min: a pair may put two records of one office and agency into one
        cluster only at this probability or above (re-registrations happen, namesakes more).
    dob_conflict_min: a single record may join a cluster whose birth dates it contradicts on a link
        of at least this probability to a record whose date is written at least as fully as its own
        (a full date that met the cluster only through a namesake's year-only record stays out: on the
        simulator's namesakes sets F1 +0.0015, individuals +0.2 pp). Even odds (0.5): the model has
        already weighed the disagreeing date (its m for 'all other dates' is counted on sure pairs or
        capped), and if it still finds the pair more likely one person than two, the date is the slip
        (mistyped or replaced wholesale, as in FEBRL's duplicates). Two clusters of several records
        never merge across a conflict, whatever the link: that is what stops chains through namesakes. (It was tied to
        same_office_min, 0.9, before: on FEBRL 3 that left 2% too many individuals.)
    cluster_min_average: two clusters (more than one record between them) merge only if their
        cross pairs average at least this probability (an unscored pair counts as 0): average
        linkage beside the strongest-first single links, since one strong link between two groups
        that otherwise do not match is a chain through a namesake more often than one person.
        0.02 is the default threshold: on average two groups need what one pair needs. A threshold
        chosen from reviewed pairs (0.3-0.5) leaves it here; an average bar that high, with
        unscored cross pairs as 0, split true groups (the reviewed rows lost 0.03-0.10 of F1).
        Same code, default settings, with and without (0 turns it off;
        benchmarks/eval_public_linkage.py): FEBRL 3 pairwise F1 0.9887 -> 0.9906, Splink's historical
        figures 0.621 -> 0.643 (individuals +162% -> +182%), fake_1000 equal, ctdata's simulator
        (tuning seeds 1-3, 5,000 records) +0.0003, 0 and 0.
    u_chunks: Splink's chunks of the random-sampling pairs for u; it stops once every level has been
        seen 100 times. The chunks are cut by each backend's own hash, so with more than one chunk
        DuckDB and Spark count different pairs; with 1 they count the same (all of the sample).
    memory_limit: DuckDB's memory for the run (e.g. '4GB'); past it, joins and aggregations spill
        to a temporary directory. Features and clustering in Python come on top (about 3 GB at
        1,000,000 records). Empty leaves DuckDB's default, 80% of the machine's memory.
    block_pairs_per_record: the pairs all candidate-pair rules together may make, per record linked
        (blocking.cap_rules: one budget for every rule, spent on the smallest blocks first; each
        block's pairs counted after the rule's missing-value and window conditions, a pair two
        rules find counted twice). Blocks that do not fit are split by sex, birth year, citizenship
        or year of exploitation, and a block that still does not fit is left out of its rule
        (counted and reported). It bounds cost, so that pairs grow linearly with the records (a
        rule keyed on names and a birth year makes pairs like the square of the records once the
        names and years are all taken); it is not a quality knob. 50: the rules' counted pairs on
        100,000 simulated records of tuning seed 2 are 42.8 per record (9.1 distinct candidate
        pairs), so the budget binds only above about that size. 0 turns it off.

    Frozen: a variant is ``dataclasses.replace(settings, threshold=0.5)``; saved and
    reloaded with ``save``/``load`` (unknown keys refused).
    """

    threshold: float | None = 0.02
    review_calibration_min: int = 0
    uncertain_band: tuple[float, float] | None = None
    blocking_rules: tuple[str, ...] = ()
    em_blocking_rules: tuple[str, ...] = ()
    backend: str = "duckdb"
    seed: int = 42
    u_max_pairs: float = 2e6
    u_chunks: int = 10
    em_max_pairs: float = 2e6
    m_floor: float = 0.005
    dob_disagreement_m: float = 0.03
    recalibrate_prior: bool = True
    namesake_u: bool = True
    prior_recall: float = 0.7
    candidate_floor: float = 0.02
    constrained: bool = True
    same_office_min: float = 0.9
    dob_conflict_min: float = 0.5
    cluster_min_average: float = 0.02
    self_labelled_m: bool = True
    id_key: str = "ctdata-individual"
    memory_limit: str = "4GB"
    block_pairs_per_record: float = 50.0

    def validate(self) -> None:
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"linkage threshold must be between 0 and 1, got {self.threshold}")
        if self.uncertain_band is not None:
            lo, hi = self.uncertain_band
            if not 0.0 <= lo <= hi <= 1.0:
                raise ConfigError(f"uncertain band must satisfy 0 <= low <= high <= 1, got {self.uncertain_band}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown linkage backend {self.backend!r} (choose from {', '.join(BACKENDS)})")
        if self.memory_limit and not _MEMORY.fullmatch(self.memory_limit.strip()):
            raise ConfigError(f"memory_limit must be a size such as '4GB' or '512MB', got {self.memory_limit!r}")
        if self.block_pairs_per_record < 0:
            raise ConfigError(f"block_pairs_per_record must be 0 or more, got {self.block_pairs_per_record}")
        if self.u_chunks < 1:
            raise ConfigError(f"u_chunks must be at least 1, got {self.u_chunks}")
        if not 0.0 <= self.cluster_min_average <= 1.0:
            raise ConfigError(f"cluster_min_average must be between 0 and 1, got {self.cluster_min_average}")
        if self.review_calibration_min < 0:
            raise ConfigError(f"review_calibration_min must be 0 or more, got {self.review_calibration_min}")
        if not 0.0 < self.prior_recall <= 1.0:
            raise ConfigError(f"prior_recall must be in (0, 1], got {self.prior_recall}")
