"""The Splink internals ctdata uses, pinned to the tested Splink version: an upgrade fails here first.

Each function of linkage/_splink_compat.py is exercised on a small trained model.
If this file fails after an upgrade of Splink, fix _splink_compat.py (and only it),
then move TESTED_VERSION.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import splink

from ctdata.linkage import _splink_compat as compat
from ctdata.linkage.engine import Linker
from ctdata.linkage.settings import LinkageSettings
from tests.linkage.synthetic import generate, to_features


def test_splink_is_the_tested_version():
    assert splink.__version__ == compat.TESTED_VERSION


@pytest.fixture(scope="module")
def linker():
    records, _ = generate(persons=300, seed=2)
    lk = Linker(to_features(records), LinkageSettings(seed=1, self_labelled_m=False), threads=1)
    lk.training.estimate()  # u by sampling, m by EM: fills every attribute read below
    yield lk.splink
    lk.close()


def test_levels_mirror_the_saved_model(linker):
    saved = linker.misc.save_model_to_json()  # public API: the model as data
    all_levels = compat.levels(linker, include_null=True)
    assert [lv.comparison for lv in all_levels if lv.index == 0] == [
        c["output_column_name"] for c in saved["comparisons"]
    ]
    for comp in saved["comparisons"]:
        mine = [lv for lv in all_levels if lv.comparison == comp["output_column_name"]]
        assert [lv.label for lv in mine] == [lvl["label_for_charts"] for lvl in comp["comparison_levels"]]
        assert [lv.is_null for lv in mine] == [bool(lvl.get("is_null_level")) for lvl in comp["comparison_levels"]]
        n = len(mine) - 1
        assert [lv.vector_value for lv in mine] == [-1, *range(n - 1, -1, -1)]
        for lv, lvl in zip(mine, comp["comparison_levels"], strict=True):
            if not lv.is_null and "m_probability" in lvl:
                assert lv.m == pytest.approx(lvl["m_probability"]) and lv.m_trained
    assert not any(lv.is_null for lv in compat.levels(linker))
    # EM's estimates per pass are kept, in order, for the levels it trained
    assert any(isinstance(p, float) for lv in compat.levels(linker) for p in lv.m_estimates)


def test_set_m_u_and_prior_reach_the_model(linker):
    lv = compat.levels(linker)[0]
    compat.set_m(linker, lv.comparison, lv.index, 0.3125)
    compat.set_u(linker, lv.comparison, lv.index, 0.0625)
    after = next(x for x in compat.levels(linker) if (x.comparison, x.index) == (lv.comparison, lv.index))
    assert (after.m, after.u) == (0.3125, 0.0625)
    saved = linker.misc.save_model_to_json()
    level = next(c for c in saved["comparisons"] if c["output_column_name"] == lv.comparison)["comparison_levels"]
    assert (level[lv.index]["m_probability"], level[lv.index]["u_probability"]) == (0.3125, 0.0625)
    compat.set_prior(linker, 0.00125)
    assert compat.prior(linker) == 0.00125
    with pytest.raises(KeyError):
        compat.set_m(linker, "no such comparison", 0, 0.5)


def test_no_other_module_touches_splink_internals():
    """Private Splink attributes appear only in _splink_compat.py."""
    root = Path(compat.__file__).parent
    private = {"_settings_obj", "_input_tables_dict", "_db_api", "_probability_two_random_records_match"}
    private |= {"_trained_m_probabilities", "_m_is_trained", "_intermediate_table_cache"}
    for path in sorted(root.glob("*.py")):
        if path.name == "_splink_compat.py":
            continue
        names = {n.attr for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Attribute)}
        assert not names & private, f"{path.name} uses {sorted(names & private)}"
