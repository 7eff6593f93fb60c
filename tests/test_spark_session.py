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


@pytest.mark.parametrize("size", ["1m", "2m", "4096k", "64m", "1048576"])
def test_page_sizes_that_are_powers_of_two_from_1m_to_64m_are_accepted(size: str) -> None:
    assert SparkSettings(page_size=size).page_size == size


def test_the_running_session_has_the_settings_page_size(spark) -> None:  # type: ignore[no-untyped-def]
    """Spark's own page size (heap / cores / 16) made each small broadcast table a hash table of tens of MB: the
    scoring query of linkage broadcasts 47 of them, and 490 records failed on a 1g or 2g heap
    (tests/linkage/test_spark_backend)."""
    assert spark.sparkContext.getConf().get("spark.buffer.pageSize") == SparkSettings().page_size == "2m"


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
        ({"page_size": "3m"}, "page_size"),
        ({"page_size": "128m"}, "page_size"),
        ({"page_size": "512k"}, "page_size"),
        ({"page_size": "small"}, "page_size"),
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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def standalone_cluster(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A Spark standalone master and one worker (1 core, 1 GB) from PySpark's own launcher, stopped after."""
    import os
    import subprocess
    import time
    from pathlib import Path as P

    import pyspark

    spark_class = P(pyspark.__file__).parent / "bin" / "spark-class"
    port, ui, wui = _free_port(), _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_LOG_DIR": str(tmp_path)}
    logs = [open(tmp_path / "master.log", "w"), open(tmp_path / "worker.log", "w")]  # noqa: SIM115
    master = subprocess.Popen(
        [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
         "--webui-port", str(ui)], stdout=logs[0], stderr=subprocess.STDOUT, env=env)
    worker = subprocess.Popen(
        [str(spark_class), "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1",
         "--memory", "1g", "--webui-port", str(wui), "--work-dir", str(tmp_path / "work")],
        stdout=logs[1], stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 180
        while "Successfully registered with master" not in (tmp_path / "worker.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-2000:]
            assert worker.poll() is None and master.poll() is None, (tmp_path / "master.log").read_text()[-2000:]
            time.sleep(1)
        yield url
    finally:
        for p in (worker, master):
            p.terminate()
            p.wait(timeout=60)
        for f in logs:
            f.close()


CLUSTER_CHILD = """
import json
from ctdata import spark_session
from ctdata.analytics.indicators import headline
from ctdata.linkage.backends import make_backend
from ctdata.warehouse.query import connect
backend = make_backend("spark")  # the [spark] settings: CTDATA_SPARK_MASTER
spark = backend.db_api.spark
jw = spark.sql("SELECT jaro_winkler('martha', 'marhta') AS jw, damerau_levenshtein('ab', 'ba') AS dl FROM range(4)")
rows = jw.repartition(2).collect()  # computed by the worker's executor, with Splink's jar shipped to it
print("@@" + json.dumps({"master": spark.sparkContext.master, "jw": [r.jw for r in rows], "dl": [r.dl for r in rows],
                         "headline": headline(con=connect(engine="spark"))}))
"""


def test_runs_on_a_standalone_cluster(standalone_cluster: str, sqlite_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A spark:// master URL from the settings: Splink's similarity functions run on the cluster's executor,
    and the report's headline figures there equal DuckDB's on this machine."""
    import json
    import os
    import subprocess
    import sys

    from ctdata.analytics.indicators import headline
    from ctdata.ingest.standard_import import import_standard
    from ctdata.simulate.generator import simulate
    from ctdata.warehouse.build import build
    from ctdata.warehouse.query import connect

    simulate(120, 5, tmp_path / "sim", progress=False)
    import_standard(tmp_path / "sim" / "records.csv")
    build(progress=False)
    con = connect()
    on_duckdb = headline(con=con)
    con.close()
    env = {**os.environ, "CTDATA_DATA_DIR": str(sqlite_store.data_dir), "CTDATA_DATABASE_URL": sqlite_store.url,
           "CTDATA_SPARK_MASTER": standalone_cluster, "CTDATA_SPARK_DRIVER_MEMORY": "1g",
           "CTDATA_SPARK_EXECUTOR_MEMORY": "1g", "CTDATA_SPARK_SHUFFLE_PARTITIONS": "2", "SPARK_LOCAL_IP": "127.0.0.1"}
    p = subprocess.run([sys.executable, "-c", CLUSTER_CHILD], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    got = json.loads([line for line in p.stdout.splitlines() if line.startswith("@@")][-1][2:])
    assert got["master"] == standalone_cluster
    assert got["jw"] == [pytest.approx(0.961111, abs=1e-5)] * 4 and got["dl"] == [1.0] * 4
    assert got["headline"] == json.loads(json.dumps(on_duckdb)) and on_duckdb["instances"] == 120
