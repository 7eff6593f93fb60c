"""Linkage settings for tests of the review queue.

The default review band is narrow (odds within a factor 4 of the threshold's), and which pairs
land in it depends on the store's keyed record pseudonyms (the training samples are drawn by
them), so a small simulated file may leave no pair to review in one store and several in the
next. Tests of reviewing queue the pairs of a wide band instead, so they always have some.
"""

from __future__ import annotations

from ctdata.linkage.settings import LinkageSettings

#: Pairs with a match probability in [0.001, 0.99) wait for review.
REVIEWED = LinkageSettings(uncertain_band=(0.001, 0.99))
