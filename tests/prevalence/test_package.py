"""The package's public names load on first use, so its settings are cheap to read."""

from __future__ import annotations

import importlib
import subprocess
import sys

import ctdata.prevalence as prevalence


def test_reading_the_settings_does_not_load_the_estimator() -> None:
    code = (
        "import sys, ctdata.prevalence.settings, ctdata.cli.app\n"
        "heavy = [m for m in ('ctdata.prevalence.estimate', 'ctdata.prevalence.fitting', 'scipy', 'numpy')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_public_name_resolves_to_its_definition() -> None:
    importlib.import_module("ctdata.prevalence.estimate")  # the submodule must not hide the function
    from ctdata.prevalence import estimate
    from ctdata.prevalence.estimate import estimate as defined

    assert estimate is defined and prevalence.estimate is defined and callable(estimate)
    for name in prevalence.__all__:
        value = getattr(prevalence, name)
        assert getattr(value, "__name__", name) == name or name == "METHODS"
    assert set(prevalence.__all__) <= set(dir(prevalence))
