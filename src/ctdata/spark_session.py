"""The Spark session that linkage and analytics run on when asked for Spark (`--backend spark`, `--engine spark`).

A collaborative that outgrows one machine runs on an existing Spark cluster,
not on a home-made one. Where Spark runs is configuration, not code: the
`[spark]` table of ctdata.toml (or CTDATA_SPARK_* variables) gives the master
URL (``local[2]`` on one machine, ``spark://host:7077`` for a standalone
cluster), the driver's memory and the number of shuffle partitions, as a
frozen `SparkSettings`. One process holds one Spark session (Spark allows one
context per JVM); `session` builds it on first use with Splink's jar of string
similarity functions, and every later caller shares it.

It sits at the top of the package beside `config`, left of every layer: it
imports no layer of ours, and PySpark only when a session is asked for, so
ctdata without the `spark` extra installs and runs on DuckDB alone.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import field
from typing import Any

from ctdata.errors import ConfigError, CtdataError
from ctdata.settings_base import BaseSettings, settings_dataclass

__all__ = ["SparkSettings", "SparkUnavailable", "active_settings", "session", "spark_settings", "stop"]

_MASTER = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?|spark://[\w.\-]+:\d+(,[\w.\-]+:\d+)*|yarn|k8s://\S+")
_MEMORY = re.compile(r"\d+[kmgt]?", re.IGNORECASE)
BREAK_LINEAGE = ("persist", "parquet", "checkpoint")


class SparkUnavailable(CtdataError):
    """Spark was asked for but cannot run here (PySpark not installed, no Java, master unreachable)."""


@settings_dataclass
class SparkSettings(BaseSettings):
    """Where and how Spark runs.

    master: ``local[N]`` / ``local[*]`` on this machine, ``spark://host:port`` for a standalone
        cluster (also ``yarn``, ``k8s://...``). On a cluster the executors need the same Python and
        PySpark as the driver, and `checkpoint_dir` must be storage every node sees.
    driver_memory: the driver JVM's heap (``2g``); it holds what is collected back to Python
        (scored pairs, tables), so it grows with the number of candidate pairs.
    executor_memory: each executor's heap on a cluster (ignored by ``local``).
    shuffle_partitions: partitions of every join and aggregation; about 2-4 per core in the
        cluster (Spark's default of 200 is slow on small data).
    page_size: the unit in which Spark's hash tables and sorts take memory (``spark.buffer.pageSize``).
        Every table a join broadcasts is a hash table of at least one page, and Splink's scoring
        query broadcasts one per term-frequency table and side: 47 in one query of ctdata's model.
        Spark's own page size grows with the heap (execution memory / cores / 16, rounded up to a
        power of two, at most 64 MB), so those 47 small tables asked for hundreds of MB: a
        490-record linkage failed on a 1g and on a 2g heap, and with 64m pages ("Could not allocate
        memory to grow BytesToBytesMap", "UNABLE_TO_ACQUIRE_MEMORY"), and passed on 1g with 2m
        pages. At 2 MB the 47 take under 100 MB; a large table simply takes more pages (a task
        addresses 8,192 pages: 16 GB at 2 MB).
    break_lineage: how Splink cuts long query plans between its steps: ``persist`` (cache in
        memory, spill to disk), ``parquet`` (write to `checkpoint_dir`: the robust choice on a
        cluster) or ``checkpoint``.
    checkpoint_dir: where ``parquet``/``checkpoint`` write; empty means a temporary directory of
        this process (local masters only).
    conf: any further Spark configuration (``{"spark.executor.cores": "4"}``).
    """

    master: str = "local[2]"
    app_name: str = "ctdata"
    driver_memory: str = "2g"
    executor_memory: str = "2g"
    shuffle_partitions: int = 8
    page_size: str = "2m"
    break_lineage: str = "persist"
    checkpoint_dir: str = ""
    conf: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if not _MASTER.fullmatch(self.master.strip()):
            raise ConfigError(
                f"spark master must be local, local[N], local[*], spark://host:port, yarn or k8s://..., "
                f"got {self.master!r}"
            )
        for name in ("driver_memory", "executor_memory", "page_size"):
            if not _MEMORY.fullmatch(getattr(self, name).strip()):
                raise ConfigError(
                    f"spark {name} must be a JVM size such as '2g' or '512m', got {getattr(self, name)!r}"
                )
        page = _bytes(self.page_size.strip())
        if page & (page - 1) or not 2**20 <= page <= 2**26:
            raise ConfigError(f"spark page_size must be a power of two from 1m to 64m, got {self.page_size!r}")
        if self.shuffle_partitions < 1:
            raise ConfigError(f"spark shuffle_partitions must be at least 1, got {self.shuffle_partitions}")
        if self.break_lineage not in BREAK_LINEAGE:
            raise ConfigError(
                f"spark break_lineage must be one of {', '.join(BREAK_LINEAGE)}, got {self.break_lineage!r}"
            )
        if not self.master.startswith("local") and self.break_lineage != "persist" and not self.checkpoint_dir:
            raise ConfigError("spark checkpoint_dir is needed on a cluster: storage every node sees (HDFS, S3, NFS)")

    @property
    def local(self) -> bool:
        return self.master.startswith("local")


def _bytes(size: str) -> int:
    """A JVM size ('2m', '512k', '1g', '4096') in bytes."""
    unit = size[-1].lower()
    return int(size[:-1]) * 1024 ** "bkmgt".index(unit) if unit in "kmgt" else int(size)


#: CTDATA_SPARK_* variables that override the file, and how each is read.
_ENV = {
    "master": str,
    "driver_memory": str,
    "executor_memory": str,
    "shuffle_partitions": int,
    "page_size": str,
    "break_lineage": str,
    "checkpoint_dir": str,
}


def spark_settings(toml: dict | None = None) -> SparkSettings:
    """The `[spark]` table of ctdata.toml, then CTDATA_SPARK_* variables over it (unknown keys refused)."""
    if toml is None:
        from ctdata.config import toml_table

        toml = toml_table("spark")
    return SparkSettings.from_table_and_environment(toml, "CTDATA_SPARK_", _ENV)


_lock = threading.Lock()
_session: Any = None
_settings: SparkSettings | None = None
_owned_dir: str | None = None


def session(settings: SparkSettings | None = None) -> Any:
    """The process's Spark session, built on first use from `settings` (default: `spark_settings()`).

    Later calls return the same session; asking for different settings once it runs is an error
    (Spark cannot move a running context to another master), not a silent reuse.
    """
    global _session, _settings, _owned_dir
    with _lock:
        wanted = settings or (_settings if _session is not None else spark_settings())
        if _session is not None:
            if wanted != _settings:
                raise ConfigError(
                    f"a Spark session on {_settings.master if _settings else '?'} is running in this process; "
                    "stop it before starting one with other settings"
                )
            return _session
        _session = _build(wanted)
        _settings = wanted
        return _session


def _build(s: SparkSettings) -> Any:
    global _owned_dir
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:
        raise SparkUnavailable(
            "Spark needs PySpark: install ctdata with the 'spark' extra (pip install 'ctdata[spark]')"
        ) from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable(
            "Spark needs a Java runtime (17 or later): install one (apt-get install default-jre-headless)"
        )
    checkpoint = s.checkpoint_dir
    if not checkpoint:
        checkpoint = _owned_dir = tempfile.mkdtemp(prefix="ctdata-spark-")
    builder = (
        SparkSession.builder.master(s.master)
        .appName(s.app_name)
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", s.driver_memory)
        .config("spark.executor.memory", s.executor_memory)
        .config("spark.sql.shuffle.partitions", str(s.shuffle_partitions))
        .config("spark.default.parallelism", str(s.shuffle_partitions))
        .config("spark.buffer.pageSize", s.page_size)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", checkpoint if s.local else tempfile.gettempdir())
    )
    if s.local:
        builder = builder.config("spark.ui.enabled", "false")
        if not os.environ.get("PYSPARK_PYTHON"):
            # Python tasks (the warehouse build's shaping) run in this interpreter, which has ctdata and
            # pyarrow; PySpark's default is whatever `python3` is on PATH, and it reads only the
            # environment. On a cluster, PYSPARK_PYTHON must name the executors' interpreter with ctdata.
            os.environ["PYSPARK_PYTHON"] = sys.executable
    for key, value in s.conf.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - the JVM's own error says what is wrong (no Java, master down)
        raise SparkUnavailable(f"Spark could not start on {s.master}: {str(exc).splitlines()[0]}") from exc
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(checkpoint, "checkpoints"))
    atexit.register(stop)
    return spark


def active_settings() -> SparkSettings | None:
    """The settings of the running session, or None when none runs."""
    return _settings if _session is not None else None


def stop() -> None:
    """Stop the process's Spark session (if any) and remove the temporary directory it made."""
    global _session, _settings, _owned_dir
    with _lock:
        if _session is not None:
            try:
                _session.stop()
            except Exception:  # noqa: BLE001 - stopping a context whose JVM already went is harmless
                pass
        _session = _settings = None
        if _owned_dir:
            shutil.rmtree(_owned_dir, ignore_errors=True)
            _owned_dir = None
