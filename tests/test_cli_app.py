"""The CLI's wiring: every command group is attached, and a broken command module is never dropped silently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GROUPS = {"import", "standard", "quarantine", "report", "audit", "user", "warehouse", "link", "publish"}
VERBS = {"migrate", "simulate", "estimate", "demo", "serve"}


def _help(code: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CTDATA_DATA_DIR": str(tmp / "d"), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, env=env,
                          timeout=120)


def test_help_lists_every_command_group(tmp_path: Path) -> None:
    r = _help("from ctdata.cli import main; main()", tmp_path)
    assert r.returncode == 0, r.stderr
    listed = {line.strip("│ ").split()[0] for line in r.stdout.splitlines() if line.startswith("│ ")}
    assert GROUPS | VERBS <= listed, sorted((GROUPS | VERBS) - listed)


def test_an_import_error_in_a_command_module_is_not_swallowed(tmp_path: Path) -> None:
    """The `link` command module failing to import must stop `ctdata`, not hide `link` from it."""
    code = (
        "import importlib.abc, sys\n"
        "class Broken(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.startswith('ctdata.') and name.rsplit('.', 1)[-1] in ('link', 'cli_link'):\n"
        "            raise ImportError('broken link module')\n"
        "sys.meta_path.insert(0, Broken())\n"
        "from ctdata.cli import main; main()\n"
    )
    r = _help(code, tmp_path)
    assert r.returncode != 0
    assert "broken link module" in r.stderr
