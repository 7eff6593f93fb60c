"""Every use of a Splink internal, in one place, for the Splink version the linkage was tested with.

Splink has no public API to read a trained model's levels with their EM
history or to set an m or u probability or the prior by hand; ctdata's
training does all three (self-labelled m, namesake u, a recalibrated prior).
These few functions are the only code that touches Splink's private
attributes. tests/linkage/test_splink_compat.py asserts TESTED_VERSION and
exercises each function, so an upgrade of Splink fails loudly there first.

Everything else uses Splink's public API: `Linker`, `db_api.register`,
`linker.training.*`, `linker.inference.predict` and `score_pair`,
`linker.table_management.register_blocked_pairs_for_predict`,
`linker.misc.query_sql` and `save_model_to_json`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["TESTED_VERSION", "U_SAMPLE_TABLE", "Level", "levels", "prior", "set_m", "set_prior", "set_u", "spark_api"]

TESTED_VERSION = "5.0.0"


@dataclass(frozen=True)
class Level:
    """A snapshot of one comparison level of a Splink model."""

    comparison: str  # the comparison's output column name
    index: int  # position among the comparison's levels (null level included)
    vector_value: int  # Splink's comparison vector value (gamma): -1 null, then n-1 .. 0
    is_null: bool
    label: str
    m: float | None  # None for the null level and for untrained levels without a default
    u: float | None
    m_trained: bool  # an m probability was set by training (not missing, not 'level not observed')
    m_estimates: tuple[Any, ...]  # m from each EM pass, in order (not a float where the level was unseen)


def _comparison_levels(linker: Any) -> Iterator[tuple[str, int, Any]]:
    for comp in linker._settings_obj.comparisons:
        for i, lvl in enumerate(comp.comparison_levels):
            yield comp.output_column_name, i, lvl


def levels(linker: Any, *, include_null: bool = False) -> list[Level]:
    """The model's levels, comparison by comparison, in Splink's order."""
    out = []
    for name, i, lvl in _comparison_levels(linker):
        null = bool(lvl.is_null_level)
        if null and not include_null:
            continue
        out.append(
            Level(
                comparison=name,
                index=i,
                vector_value=lvl.comparison_vector_value,
                is_null=null,
                label=lvl.label_for_charts,
                m=None if null else lvl.m_probability,
                u=None if null else lvl.u_probability,
                m_trained=bool(lvl._m_is_trained),
                m_estimates=tuple(rec["probability"] for rec in lvl._trained_m_probabilities),
            )
        )
    return out


def _level(linker: Any, comparison: str, index: int) -> Any:
    for name, i, lvl in _comparison_levels(linker):
        if name == comparison and i == index:
            return lvl
    raise KeyError(f"no level {index} in comparison {comparison!r}")


def set_m(linker: Any, comparison: str, index: int, m: float) -> None:
    _level(linker, comparison, index).m_probability = m


def set_u(linker: Any, comparison: str, index: int, u: float) -> None:
    _level(linker, comparison, index).u_probability = u


def set_prior(linker: Any, p: float) -> None:
    """Set the probability that two random records match (read it with `prior`)."""
    linker._settings_obj._probability_two_random_records_match = p


def prior(linker: Any) -> float:
    """The probability that two random records match (public: the saved model says it)."""
    return float(linker.misc.save_model_to_json()["probability_two_random_records_match"])


#: Splink's name for the records it samples for u by random sampling (`estimate_u_using_random_sampling`).
U_SAMPLE_TABLE = "__splink__df_concat_sample"


def spark_api(spark_session: Any, break_lineage_method: str, num_partitions_on_repartition: int) -> Any:
    """Splink's SparkAPI, but the records sampled for u are materialised at once, in a few partitions.

    Splink persists that sample lazily, with the features table's partitions, and each of u's chunks
    of pairwise counts (up to eleven per comparison) then cost time in proportion to the whole table,
    not to the sample: on local[2], 20,000 records replicated to 200,000, a chunk took 12-14 s and u
    442 s; with the sample checkpointed at once into two partitions, 1.3-1.9 s and 42.5 s, the same
    counts (the sample is a hash of the record ids, so the same records either way). The override is
    Splink's hook between steps (`_break_lineage_and_repartition`), a private method: hence here.
    """
    import math

    from splink.backends.spark import SparkAPI

    class _SparkAPI(SparkAPI):
        def _break_lineage_and_repartition(self, spark_df: Any, templated_name: str, physical_name: str) -> Any:
            if templated_name != U_SAMPLE_TABLE:
                return super()._break_lineage_and_repartition(spark_df, templated_name, physical_name)
            small = spark_df.coalesce(max(1, math.ceil(self.num_partitions_on_repartition / 4)))
            reliable = self.break_lineage_method != "persist" and self.spark.sparkContext.getCheckpointDir()
            return small.checkpoint(eager=True) if reliable else small.localCheckpoint(eager=True)

    return _SparkAPI(
        spark_session=spark_session,
        break_lineage_method=break_lineage_method,
        num_partitions_on_repartition=num_partitions_on_repartition,
    )
