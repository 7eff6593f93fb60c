"""Facts researchers derive from released columns, computed one way for real and synthetic rows.

Why a module of its own: a synthetic release that keeps each column's shares can
still break the facts people compute *from* the columns. Two matter most:

- **cross-border** = the country of exploitation is not the country of
  citizenship. Compared on generalised labels it goes wrong: a Beninese person
  exploited in Benin, with Benin lumped into "Western Africa" as a citizenship
  but kept as a country of exploitation, looks cross-border. So the synthesiser
  never compares labels to decide it: it measures the country of exploitation
  *relative to* the citizenship (``SAME`` = exploited in the country of
  citizenship, ``relative_exploitation``), decodes ``SAME`` to the
  citizenship's released label (``absolute_exploitation``), and releases the
  flag it modelled (``cross_border``). A released row then has equal labels
  exactly when it is internal, and a lumped pair is never counted cross-border.
- **child** = under 18 at exploitation when known, else at registration. Someone
  in an age band under 18 at registration was under 18 at exploitation too
  (exploitation comes first), so such a row must be a child
  (``child_consistent``); an adult band may still be a child at exploitation.

All functions are vectorised over pandas Series and keep missing values missing.
"""

from __future__ import annotations

import pandas as pd

#: code of "exploited in the country of citizenship" in the relative country-of-exploitation column
SAME = "=citizenship"
#: age bands under 18 (the standard's ``AGE_BAND`` vocabulary)
MINOR_BANDS: frozenset[str] = frozenset({"0-8", "9-17"})


def relative_exploitation(citizenship: pd.Series, exploitation: pd.Series) -> pd.Series:
    """The country of exploitation, or ``SAME`` where it equals the citizenship (both known)."""
    cit = citizenship.astype(object)
    coe = exploitation.astype(object)
    same = cit.notna() & coe.notna() & (cit.astype("string") == coe.astype("string")).fillna(False)
    return coe.where(~same.astype(bool), SAME)


def absolute_exploitation(citizenship: pd.Series, relative: pd.Series) -> pd.Series:
    """Released country of exploitation: ``SAME`` becomes the row's (released) citizenship."""
    rel = relative.astype(object)
    same = (rel == SAME).fillna(False).astype(bool)
    out = rel.where(~same, citizenship.astype(object))
    # SAME with an unknown citizenship cannot be decoded: unknown
    return out.where(~(same & citizenship.isna()), None)


def cross_border(citizenship: pd.Series, exploitation: pd.Series) -> pd.Series:
    """True when both are known and differ, False when equal, missing otherwise.

    On a synthetic release this is exact for every row (its labels are equal
    exactly when the modelled record is internal); on generalised *real* rows
    equal labels of two different countries would read as internal, which is why
    the synthesiser decides the flag before lumping.
    """
    known = citizenship.notna() & exploitation.notna()
    differ = citizenship.astype("string") != exploitation.astype("string")
    return differ.astype("boolean").where(known, pd.NA)


def relative_cross_border(citizenship: pd.Series, relative: pd.Series) -> pd.Series:
    """The flag as modelled: known citizenship and known relative country, not ``SAME``."""
    known = citizenship.notna() & relative.notna()
    return (relative.astype(object) != SAME).astype("boolean").where(known, pd.NA)


def child_consistent(age_band: pd.Series, child: pd.Series) -> pd.Series:
    """``child`` with every row in an age band under 18 set to a child (see the module docstring)."""
    minor = age_band.astype("string").isin(MINOR_BANDS).fillna(False).astype(bool).to_numpy()
    if pd.api.types.is_bool_dtype(child.dtype):
        return child.where(~minor, True)
    return child.where(~minor, "true")  # the synthesiser's labels before they become booleans
