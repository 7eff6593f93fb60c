"""Example datasets of the R packages SparseMSE / MultipleSystemsEstimation, with where each came from.

The counts are copied from printed R output in the MultipleSystemsEstimation
repository (github.com/bernardsilverman/MultipleSystemsEstimation):

- Korea: docs/articles/user-guide.md (commit 39364f35), the printed data frame
  ``Korea`` (lists b, c, d).
- Western, NewOrl, NewOrl_5: docs/articles/reproduce-2021.md (commit
  4f09409d), the ``$fit$y`` vectors of ``estimate_population_stepwise()``.
  Their cells are named 2 .. 2^t in binary order: cell r is the pattern whose
  bit i is list i+1 (r - 1 = sum of 2^i over the lists the pattern is on),
  which is exactly PatternTable's row order. Only non-zero cells are listed.
- Artificial_3: Table 2 of Chan, Silverman and Vincent (2021), printed in
  both vignettes (``data(Artificial_3)``).
"""

from __future__ import annotations

import numpy as np

from ctdata.prevalence.patterns import PatternTable


def _from_cells(lists: str, cells: dict[int, int]) -> PatternTable:
    counts = np.zeros(2 ** len(lists) - 1, dtype=np.int64)
    for r, v in cells.items():
        counts[r - 2] = v  # R's cell name r is pattern code r - 1, our row r - 2
    return PatternTable(tuple(lists), counts)


KOREA = PatternTable.from_rows(
    ["b", "c", "d"],
    [[0, 0, 1, 41], [0, 1, 0, 5], [1, 0, 0, 5], [1, 1, 0, 54], [1, 0, 1, 6], [0, 1, 1, 0], [1, 1, 1, 12]],
)

WESTERN = _from_cells(
    "ABCDE",
    {2: 52, 3: 90, 5: 114, 6: 4, 7: 6, 9: 45, 10: 2, 11: 1, 15: 1, 17: 21, 18: 5, 22: 1, 25: 3},
)

NEWORL = _from_cells(
    "ABCDEFGH",
    {
        2: 25, 3: 5, 5: 70, 6: 1, 9: 33, 10: 2, 13: 2, 17: 6, 18: 1, 21: 1, 25: 2, 26: 1,
        33: 6, 35: 1, 65: 6, 69: 1, 70: 1, 129: 21, 145: 1,
    },
)  # fmt: skip

NEWORL_5 = _from_cells(
    "ABCDE",
    {2: 25, 3: 24, 4: 1, 5: 70, 6: 1, 7: 2, 8: 1, 9: 33, 10: 2, 11: 2, 12: 1, 13: 2, 17: 21, 19: 1},
)

ARTIFICIAL_3 = PatternTable.from_rows(
    ["A", "B", "C"], [[1, 0, 0, 40], [0, 1, 0, 30], [0, 0, 1, 20], [1, 1, 0, 6]]
)


def printed(text: str) -> tuple[float, float]:
    """A number as R printed it, and the tolerance that printing implies (half a unit in the last place)."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return float(text), 0.5 * 10.0**-decimals
