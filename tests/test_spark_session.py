"""Spark settings: data in ctdata.toml's [spark] table or CTDATA_SPARK_* variables, checked when made."""

from __future__ import annotations

from pathlib import Path

import pytest

from ctdata.config import reset_settings
from ctdata.errors import ConfigError
from ctdata.spark_session import SparkSettings, spark_settings


def test_defaults_run_on_this_machine() -> None:
    s = SparkSettings()
    assert s.master == "local[2]" and s.local and s.shuffle_partitions >= 1


@pytest.mark.parametrize("master", ["local", "local[*]", "local[4]", "local[2,3]", "spark://10.0.0.5:7077",
                                    "spark://a:7077,b:7077", "yarn", "k8s://https://api:6443"])
def test_master_urls_accepted(master: str) -> None:
    s = SparkSettings(master=master, checkpoint_dir="" if master.startswith("local") else "hdfs:///ctdata")
    assert SparkSettings.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"master": "spark://nohost"}, "master"),
        ({"master": "local[two]"}, "master"),
        ({"driver_memory": "lots"}, "driver_memory"),
        ({"shuffle_partitions": 0}, "shuffle_partitions"),
        ({"break_lineage": "delta"}, "break_lineage"),
        ({"master": "spark://h:7077", "break_lineage": "parquet"}, "checkpoint_dir"),
        ({"shuffle_partitions": "8"}, "shuffle_partitions"),
        ({"masterr": "local"}, "unknown setting"),
    ],
)
def test_bad_settings_are_refused_with_their_name(given: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SparkSettings.from_dict(given)


def test_settings_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "ctdata.toml"
    conf.write_text('[spark]\nmaster = "spark://10.1.2.3:7077"\ndriver_memory = "8g"\nshuffle_partitions = 40\n'
                    'checkpoint_dir = "hdfs:///tmp/ctdata"\n[spark.conf]\n"spark.executor.cores" = "4"\n')
    monkeypatch.setenv("CTDATA_CONFIG", str(conf))
    for key in ("MASTER", "DRIVER_MEMORY", "SHUFFLE_PARTITIONS", "EXECUTOR_MEMORY", "BREAK_LINEAGE", "CHECKPOINT_DIR"):
        monkeypatch.delenv(f"CTDATA_SPARK_{key}", raising=False)
    reset_settings()
    s = spark_settings()
    assert (s.master, s.driver_memory, s.shuffle_partitions) == ("spark://10.1.2.3:7077", "8g", 40)
    assert s.conf == {"spark.executor.cores": "4"} and not s.local
    monkeypatch.setenv("CTDATA_SPARK_SHUFFLE_PARTITIONS", "12")
    monkeypatch.setenv("CTDATA_SPARK_MASTER", "local[*]")
    s = spark_settings()
    assert (s.master, s.shuffle_partitions, s.driver_memory) == ("local[*]", 12, "8g")
    monkeypatch.setenv("CTDATA_SPARK_SHUFFLE_PARTITIONS", "many")
    with pytest.raises(ConfigError, match="CTDATA_SPARK_SHUFFLE_PARTITIONS"):
        spark_settings()
    conf.write_text('spark = "local"\n')
    with pytest.raises(ConfigError, match=r"\[spark\] must be a table"):
        spark_settings()
