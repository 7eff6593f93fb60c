"""The deployment files in deploy/ hold together: the compose file loads, its services are the documented
ones, every ctdata command in it and in the systemd units is a real command with real options, and the
settings file it mounts is accepted by the settings it configures. (Docker itself is not run here.)
"""

from __future__ import annotations

import re
import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from ctdata.cli.app import app as cli_app
from ctdata.spark_session import SparkSettings
from ctdata.web.shared import WebSettings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _parse(args: list[str]) -> Any:
    """Parse a ctdata command line down to its command, as the CLI would (no command is run)."""
    cmd = typer.main.get_command(cli_app)
    ctx = cmd.make_context("ctdata", list(args))
    while hasattr(cmd, "resolve_command"):  # a group (typer's own click, or click's)
        protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", None) or []
        rest = [*protected, *ctx.args]
        if not rest:
            return ctx
        name, sub, rest = cmd.resolve_command(ctx, rest)
        assert sub is not None, f"no command {name!r} in {args}"
        cmd = sub
        ctx = sub.make_context(name or "", rest, parent=ctx)
    return ctx


def _ctdata_commands() -> list[list[str]]:
    """Every ctdata command line in the compose file (commands and documented `run` lines) and the units."""
    found: list[list[str]] = []
    compose = yaml.safe_load(COMPOSE.read_text())
    for svc in compose["services"].values():
        cmd = svc.get("command")
        if isinstance(cmd, list) and cmd and cmd[0] == "ctdata":
            found.append(cmd[1:])
    for line in COMPOSE.read_text().splitlines():
        m = re.search(r"run --rm \w+ ctdata (.+)$", line)
        if m:
            found.append(shlex.split(m.group(1)))
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            m = re.match(r"ExecStart(?:Pre)?=\S*/ctdata (.+)$", line)
            if m:
                found.append(shlex.split(m.group(1)))
    return found


def test_compose_file_has_postgres_the_app_with_four_workers_and_spark() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"postgres", "app", "spark-master", "spark-worker", "migrate"} <= set(services)
    app = services["app"]
    assert app["command"][:2] == ["ctdata", "serve"] and app["command"][-2:] == ["--workers", "4"]
    assert app["environment"]["CTDATA_DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in app["environment"]["CTDATA_DATABASE_URL"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["spark-worker"]["command"][:3] == [
        "spark-class", "org.apache.spark.deploy.worker.Worker", "spark://spark-master:7077"]
    assert services["spark-master"]["command"][:2] == ["spark-class", "org.apache.spark.deploy.master.Master"]
    for name in ("app", "migrate", "spark-master", "spark-worker"):  # one image: same Python and PySpark
        assert services[name]["image"] == "ctdata:local"
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
    assert all(p.startswith("127.0.0.1:") for s in services.values() for p in s.get("ports", []))
    assert (DEPLOY / "Dockerfile").is_file() and "ctdata.toml" in str(app["volumes"])


def test_spark_class_the_compose_file_and_units_run_comes_with_pyspark() -> None:
    assert (Path(sys.executable).parent / "spark-class").is_file()


def test_every_ctdata_command_in_the_deployment_is_real() -> None:
    commands = _ctdata_commands()
    assert len(commands) >= 7, commands  # serve and migrate in both, and the documented run lines
    names = set()
    for args in commands:
        ctx = _parse(args)
        names.add(ctx.command_path)
    assert {"ctdata serve", "ctdata migrate", "ctdata audit verify", "ctdata link", "ctdata user add"} <= names
    with pytest.raises(Exception, match="No such option") as bad:
        _parse(["serve", "--wokers", "4"])  # the check itself refuses a misspelt option
    assert type(bad.value).__name__ == "NoSuchOption"
    with pytest.raises(Exception, match="No such command"):
        _parse(["audit", "verfy"])


def test_deployed_settings_file_is_accepted() -> None:
    data = tomllib.loads((DEPLOY / "ctdata.toml").read_text())
    assert set(data) == {"web", "spark"}
    web = WebSettings.from_dict(data["web"])
    assert web.shared_state == "database"
    spark = SparkSettings.from_dict(data["spark"])
    assert spark.master == "spark://spark-master:7077" and spark.checkpoint_dir.startswith("/spark-work")


def test_units_run_ctdata_and_spark_from_one_venv() -> None:
    assert {u.name for u in UNITS} == {"ctdata-web.service", "ctdata-spark-master.service",
                                      "ctdata-spark-worker.service"}
    for unit in UNITS:
        text = unit.read_text()
        assert re.search(r"^ExecStart=/opt/ctdata/venv/bin/(ctdata|spark-class) ", text, re.M), unit.name
        assert "User=ctdata" in text and "[Install]" in text
