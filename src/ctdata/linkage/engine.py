"""The linkage engine: one object whose capabilities are named components, as in Splink.

    linker = Linker(features_df, LinkageSettings())
    linker.training.estimate()
    pairs = linker.inference.predict()
    clusters = linker.clustering.cluster(labels=labels, previous=previous_mapping)
    scores = linker.evaluation.score(truth)
    table = linker.explain("R1", "R2")

`link_frame` runs all of it in one call and returns a LinkResult: the
record_key -> individual_id mapping, the scored pairs, the review queue and the
settings and model needed to reproduce the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ctdata.errors import ValidationError
from ctdata.linkage import calibration, cluster, evaluate, explain, prediction, review, training
from ctdata.linkage.backends import ROW_ID, Backend, make_backend
from ctdata.linkage.blocking import BlockingPlan, plan_blocking, prediction_rules
from ctdata.linkage.comparisons import comparisons_for
from ctdata.linkage.features import VariantDictionary, build_features
from ctdata.linkage.settings import LinkageSettings

log = logging.getLogger(__name__)


def splink_settings(
    cols: Iterable[str], settings: LinkageSettings, dialect: str = "duckdb", rules: Sequence[str] | None = None
) -> dict:
    """The Splink model as data: comparisons, blocking rules and starting parameters.

    rules: the candidate-pair rules (default: prediction_rules for these columns alone).
    """
    cols = list(cols)
    rules = prediction_rules(cols, settings) if rules is None else rules
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": ROW_ID,
        "comparisons": comparisons_for(cols, dialect),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": r} for r in rules],
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
        "probability_two_random_records_match": 1e-5,
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


def build_linker(
    backend: Backend, features: pd.DataFrame, settings: LinkageSettings, rules: Sequence[str] | None = None
) -> tuple[Any, str]:
    """A Splink linker on the features (registered in the backend), and the name of their table.

    rules: the candidate-pair rules (default: prediction_rules for these features).
    """
    from splink import Linker as SplinkLinker

    cols = [c for c in features.columns if c != "record_key"]
    sdf = backend.register(features)
    rules = prediction_rules(cols, settings, features) if rules is None else rules
    linker = SplinkLinker(sdf, splink_settings(cols, settings, backend.dialect, rules), log_level=logging.WARNING)
    return linker, sdf.physical_name


class FeaturesComponent:
    def __init__(self, linker: Linker, raw: pd.DataFrame, dictionary: VariantDictionary | None):
        self._raw = raw
        self._dictionary = dictionary
        self._table: pd.DataFrame | None = None

    @property
    def table(self) -> pd.DataFrame:
        if self._table is None:
            self._table = build_features(self._raw, self._dictionary)
        return self._table

    @property
    def columns(self) -> list[str]:
        return [c for c in self.table.columns if c != "record_key"]


class TrainingComponent:
    def __init__(self, linker: Linker):
        self._l = linker
        self.trained = False

    def estimate(self) -> None:
        """Learn the model's parameters without labels (prior, u by sampling, m by EM)."""
        cols = self._l.features.columns
        if not comparisons_for(cols):
            raise ValidationError("nothing to link on: none of the person fields has any values")
        with training.step("register features"):
            table = self._l.input_table  # the features handed to the backend and the Splink model built
        training.train(self._l.splink, table, cols, self._l.settings, self._l.backend.dialect)
        self.trained = True


class InferenceComponent:
    def __init__(self, linker: Linker):
        self._l = linker
        self.pairs: pd.DataFrame | None = None
        self.calibration: calibration.Calibration | None = None

    def predict(self, floor: float | None = None, labels: pd.DataFrame | None = None) -> pd.DataFrame:
        """Scored candidate pairs with probability at or above `floor` (default: the settings' floor).

        labels: reviewers' decisions; with enough of them among the scored pairs
        (settings.review_calibration_min) the probabilities are calibrated on them
        (calibration.from_reviews), and `calibration` holds the fit.
        """
        if not self._l.training.trained:
            self._l.training.estimate()
        f = self._l.settings.candidate_floor if floor is None else floor
        self.calibration = None
        calibrate = None
        if labels is not None and self._l.settings.review_calibration_min > 0:
            calibrate = self._calibrate(labels)
        self.pairs = prediction.predict(
            self._l.splink,
            self._l.input_table,
            f,
            n_records=len(self._l.features.table),
            recalibrate=self._l.settings.recalibrate_prior,
            backend=self._l.backend,
            rules=self._l.blocking_rules,
            calibrate=calibrate,
        )
        return self.pairs

    def _calibrate(self, labels: pd.DataFrame):
        def apply(pairs: pd.DataFrame) -> pd.DataFrame:
            cal = calibration.from_reviews(pairs, labels, self._l.settings.review_calibration_min)
            if cal is None:
                return pairs
            self.calibration = cal
            log.info("match probabilities calibrated on %d reviewed pairs: %s", cal.labels, cal.as_dict())
            return calibration.calibrate_pairs(pairs, cal)

        return apply


class ClusteringComponent:
    def __init__(self, linker: Linker):
        self._l = linker
        self.clusters: pd.DataFrame | None = None

    def cluster(
        self,
        threshold: float | None = None,
        labels: pd.DataFrame | None = None,
        previous: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """record_key -> individual_id at `threshold`, with reviewers' labels overriding the model."""
        pairs = self._l.inference.pairs if self._l.inference.pairs is not None else self._l.inference.predict()
        raw = self.raw_clusters(pairs, threshold, labels)
        self.clusters = cluster.assign_individual_ids(raw, previous, key=self._l.settings.id_key)
        return self.clusters

    def raw_clusters(
        self, pairs: pd.DataFrame, threshold: float | None = None, labels: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        s = self._l.settings
        must, cannot = review.constraints(labels)
        return cluster.constrained_clusters(
            self._l.features.table,
            pairs,
            self._l.threshold_for(pairs) if threshold is None else threshold,
            must_link=must,
            cannot_link=cannot,
            constrained=s.constrained,
            same_office_min=s.same_office_min,
            certain_min=s.dob_conflict_min,
            min_average=s.cluster_min_average,
        )


class EvaluationComponent:
    def __init__(self, linker: Linker):
        self._l = linker

    def score(self, truth: pd.DataFrame, clusters: pd.DataFrame | None = None) -> evaluate.Scores:
        c = clusters if clusters is not None else self._l.clustering.clusters
        if c is None:
            c = self._l.clustering.cluster()
        return evaluate.score_clusters(c, _truth(truth))

    def threshold_curve(
        self,
        truth: pd.DataFrame,
        thresholds: Sequence[float] = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99),
        labels: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        pairs = self._l.inference.pairs if self._l.inference.pairs is not None else self._l.inference.predict()
        return evaluate.threshold_curve(
            lambda t: self._l.clustering.raw_clusters(pairs, t, labels), _truth(truth), thresholds
        )

    def against_labels(self, labels: pd.DataFrame, clusters: pd.DataFrame | None = None) -> dict:
        c = clusters if clusters is not None else self._l.clustering.clusters
        if c is None:
            c = self._l.clustering.cluster()
        return evaluate.score_labels(c, labels)


def _truth(truth: pd.DataFrame) -> pd.DataFrame:
    if "record_key" not in truth.columns and "record_id" in truth.columns:
        truth = truth.rename(columns={"record_id": "record_key"})
    return truth


class Linker:
    """Facade over features, the Splink model, clustering, evaluation and explanation."""

    def __init__(
        self,
        data: pd.DataFrame,
        settings: LinkageSettings | None = None,
        *,
        dictionary: VariantDictionary | None = None,
        backend: Backend | None = None,
        threads: int | None = None,
    ):
        if hasattr(data, "to_pandas") and not isinstance(data, pd.DataFrame):
            data = data.to_pandas()  # an Arrow table from the warehouse
        self.settings = settings or LinkageSettings()
        self.features = FeaturesComponent(self, data, dictionary)
        self._backend = backend
        self._threads = threads
        self._splink: Any = None
        self._input_table = ""
        self._blocking: BlockingPlan | None = None
        self.training = TrainingComponent(self)
        self.inference = InferenceComponent(self)
        self.clustering = ClusteringComponent(self)
        self.evaluation = EvaluationComponent(self)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = make_backend(
                self.settings.backend, threads=self._threads, memory_limit=self.settings.memory_limit or None
            )
        return self._backend

    @property
    def splink(self) -> Any:
        """The underlying Splink linker (built on first use)."""
        if self._splink is None:
            plan = self.blocking
            self._splink, self._input_table = build_linker(
                self.backend, plan.table(self.features.table), self.settings, plan.rules
            )
        return self._splink

    @property
    def blocking(self) -> BlockingPlan:
        """The candidate-pair rules of this run (the columns' defaults and the nets the data afford), all
        fitted together into the settings' budget of pairs per record, with the block keys they join on."""
        if self._blocking is None:
            self._blocking = plan_blocking(self.features.table, self.settings)
            s = self._blocking.summary()
            if s["rules_capped"]:
                log.info(
                    "blocking: %d of %d rules capped to a budget of %s pairs per record; counted pairs %d -> %d, "
                    "%d blocks refined, %d dropped (%d pairs)",
                    s["rules_capped"],
                    s["rules"],
                    self.settings.block_pairs_per_record,
                    s["block_pairs_before"],
                    s["block_pairs_after"],
                    s["blocks_refined"],
                    s["blocks_dropped"],
                    s["pairs_dropped"],
                )
        return self._blocking

    @property
    def blocking_rules(self) -> list[str]:
        """The candidate-pair rules as run (see `blocking`)."""
        return self.blocking.rules

    @property
    def input_table(self) -> str:
        """The features table the Splink model reads (its name in the backend)."""
        if self._splink is None:
            _ = self.splink
        return self._input_table

    def threshold_for(self, pairs: pd.DataFrame) -> float:
        """The match threshold for these scored pairs: the settings' own, else chosen from them."""
        calibrated = self.inference.calibration is not None
        return calibration.threshold_for(self.settings, pairs["match_probability"], calibrated)

    def review_band_for(self, pairs: pd.DataFrame) -> tuple[float, float]:
        """The review band for these scored pairs: the settings' own, else around their threshold."""
        return calibration.band_for(self.settings, self.threshold_for(pairs))

    def explain(self, record_key_l: str, record_key_r: str) -> pd.DataFrame:
        """Waterfall table of match weights for any pair of records (see explain.waterfall_chart)."""
        if not self.training.trained:
            self.training.estimate()
        return explain.waterfall(self.splink, self.input_table, record_key_l, record_key_r)

    def model_json(self) -> dict:
        return self.splink.misc.save_model_to_json()

    def review_queue(self, labels: pd.DataFrame | None = None) -> review.ReviewQueue:
        pairs = self.inference.pairs if self.inference.pairs is not None else self.inference.predict()
        return review.review_queue(pairs, self.review_band_for(pairs), labels)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


@dataclass
class LinkResult:
    clusters: pd.DataFrame  # record_key, individual_id
    pairs: pd.DataFrame  # record_key_l, record_key_r, match_weight, match_probability
    review: review.ReviewQueue
    settings: LinkageSettings
    features_used: list[str]
    model: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    threshold: float = calibration.EVEN_ODDS  # the threshold the clusters were made at (settings' or chosen)
    uncertain_band: tuple[float, float] = field(default_factory=lambda: calibration.review_band(calibration.EVEN_ODDS))
    calibration: dict = field(default_factory=dict)  # the fit on reviewed pairs, if the probabilities were calibrated
    blocking: dict = field(default_factory=dict)  # what the block caps did (BlockingPlan.summary)

    @property
    def individuals(self) -> int:
        return int(self.clusters["individual_id"].nunique())


class _Timings(dict):
    """Stage seconds, passed on to a listener as each is recorded."""

    def __init__(self, listener: Callable[[str, float], None] | None):
        super().__init__()
        self._listener = listener

    def __setitem__(self, key: str, value: float) -> None:
        super().__setitem__(key, value)
        if self._listener is not None:
            self._listener(key, value)


def link_frame(
    df: pd.DataFrame,
    settings: LinkageSettings | None = None,
    previous: pd.DataFrame | None = None,
    labels: pd.DataFrame | None = None,
    *,
    threads: int | None = None,
    keep_model: bool = True,
    on_stage: Callable[[str, float], None] | None = None,
) -> LinkResult:
    """Link a features table (record_key plus any person fields) into individuals.

    previous: last run's record_key -> individual_id mapping, so unchanged
    clusters keep their ids. labels: reviewers' decisions, which override the model.
    on_stage(name, seconds) is told each stage's time as the stage ends (a long
    benchmark keeps the stages it finished even when it cannot finish them all).
    """
    settings = settings or LinkageSettings()
    t0 = time.perf_counter()
    linker = Linker(df, settings, threads=threads)
    timings: dict[str, float] = _Timings(on_stage)
    try:
        feats = linker.features.table
        timings["features_s"] = time.perf_counter() - t0
        if len(feats) < 2 or not comparisons_for(linker.features.columns):
            clusters = cluster.assign_individual_ids(
                pd.DataFrame({"record_key": feats["record_key"], "cluster": range(len(feats))}),
                previous,
                key=settings.id_key,
            )
            empty = pd.DataFrame(columns=["record_key_l", "record_key_r", "match_weight", "match_probability"])
            thr, band = linker.threshold_for(empty), linker.review_band_for(empty)
            return LinkResult(
                clusters,
                empty,
                review.review_queue(empty, band),
                settings,
                linker.features.columns,
                {},
                timings,
                thr,
                band,
            )
        t = time.perf_counter()
        plan = linker.blocking
        timings["blocking_s"] = time.perf_counter() - t
        t = time.perf_counter()
        linker.training.estimate()
        timings["training_s"] = time.perf_counter() - t
        t = time.perf_counter()
        pairs = linker.inference.predict(labels=labels)
        timings["predict_s"] = time.perf_counter() - t
        t = time.perf_counter()
        clusters = linker.clustering.cluster(labels=labels, previous=previous)
        timings["cluster_s"] = time.perf_counter() - t
        queue = linker.review_queue(labels)
        model_json = linker.model_json() if keep_model else {}
        timings["total_s"] = time.perf_counter() - t0
        return LinkResult(
            clusters,
            pairs,
            queue,
            settings,
            linker.features.columns,
            model_json,
            timings,
            linker.threshold_for(pairs),
            linker.review_band_for(pairs),
            linker.inference.calibration.as_dict() if linker.inference.calibration is not None else {},
            plan.summary(),
        )
    finally:
        linker.close()
