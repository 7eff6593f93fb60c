"""Small synthetic case records with ground truth, for the linkage tests.

The project's simulator (``ctdata.simulate``) is the real source of test data,
and its name book is this generator's too; the generator exists so that the
linkage layer can be tested on small, harsh data of its own (more typos, more
names in native script, fewer dates of birth than the simulator). It makes
the shapes the issue describes: a person registered by the destination office,
again by the origin office after return (with ``referral_from_office``), and
by partner agencies; names in native scripts or in several romanisations,
typos, swapped name order, partial or missing dates of birth.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from ctdata.linkage.features import INPUT_COLUMNS
from ctdata.simulate.names import load_namebook

# Countries of origin: (weight, destination countries). Names come from the simulator's name book
# (ctdata.simulate.names: each culture's listed names and their long tail, in the native script and
# every romanisation the simulator knows).
_N = tuple[str, list[str]]
_ORIGINS: dict[str, tuple[int, list[str]]] = {
    "UA": (3, ["PL", "DE", "TR", "IL"]),
    "SY": (3, ["TR", "LB", "DE", "JO"]),
    "LA": (2, ["TH", "CN"]),
    "KH": (2, ["TH", "MY"]),
    "VN": (2, ["GB", "DE", "CN"]),
    "NG": (3, ["IT", "ES", "GH", "LY"]),
}

_AGENCIES = ["IOM", "NGO-A", "NGO-B"]


def _names(forms: np.ndarray, script: str) -> _N:
    """(native script or "", romanisations) of one row of the name book's form tables."""
    native = str(forms[0]) if script != "latin" else ""
    return native, list(dict.fromkeys(str(f) for f in forms[2:]))


@lru_cache(maxsize=1)
def _pools() -> dict[str, dict]:
    """Per origin: its destinations and the simulator's given (by sex) and family names, commonest first."""
    book = load_namebook()
    out = {}
    for country, (weight, dest) in _ORIGINS.items():
        c = book.cultures[book.culture_of_country[country]]
        out[country] = {
            "w": weight,
            "dest": dest,
            "m": [_names(book.given[i], c.script) for i in c.given_m],
            "f": [_names(book.given[i], c.script) for i in c.given_f],
            "fam_m": [_names(book.family[i], c.script) for i in c.family_m],
            "fam_f": [_names(book.family[i], c.script) for i in c.family_f],
        }
    return out


def _pick(rng: np.random.Generator, pool: list) -> tuple:
    # Zipf-like: a few names are very common, as in real registers.
    w = 1.0 / np.arange(1, len(pool) + 1) ** 0.9
    return pool[rng.choice(len(pool), p=w / w.sum())]


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 4:
        return s
    i = int(rng.integers(1, len(s) - 1))
    k = rng.integers(3)
    if k == 0:
        return s[:i] + s[i + 1 :]
    if k == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + "aeiou"[int(rng.integers(5))] + s[i + 1 :]


def _write_name(rng: np.random.Generator, name: _N, native_ok: bool) -> str:
    native, romans = name
    if native and native_ok and rng.random() < 0.5:
        return native
    return romans[int(rng.integers(len(romans)))]


def generate(persons: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (records in the exchange template, truth with record_id and person_id)."""
    rng = np.random.default_rng(seed)
    pools = _pools()
    countries = list(pools)
    cw = np.array([pools[c]["w"] for c in countries], dtype=float)
    rows: list[dict] = []
    truth: list[tuple[str, str]] = []
    rid = 0
    for p in range(persons):
        origin = countries[rng.choice(len(countries), p=cw / cw.sum())]
        pool = pools[origin]
        sex = "female" if rng.random() < 0.6 else "male"
        given = [_pick(rng, pool["f" if sex == "female" else "m"])]
        if rng.random() < 0.15:
            given.append(_pick(rng, pool["f" if sex == "female" else "m"]))
        family = _pick(rng, pool["fam_f" if sex == "female" else "fam_m"])
        dob = date(1960, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 48)))
        dest = pool["dest"][int(rng.integers(len(pool["dest"])))]
        cit = origin + (";" + dest if rng.random() < 0.03 else "")
        t0 = date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 8)))
        n = 1 + int(rng.choice([0, 1, 2, 3], p=[0.55, 0.3, 0.11, 0.04]))
        # Registrations: destination first, then (often) the origin office after return.
        for k in range(n):
            if k == 0:
                office, agency, ref, reg = dest, "IOM", None, t0
            elif k == 1 and rng.random() < 0.75:
                office, agency, ref = origin, "IOM", dest
                reg = t0 + timedelta(days=int(rng.integers(20, 400)))
            else:
                office = dest if rng.random() < 0.5 else origin
                agency = _AGENCIES[int(rng.integers(1, len(_AGENCIES)))]
                ref = None
                reg = t0 + timedelta(days=int(rng.integers(-60, 500)))
            native_ok = office == origin
            g = " ".join(_write_name(rng, x, native_ok) for x in given)
            f = _write_name(rng, family, native_ok)
            if rng.random() < 0.08:
                g = _typo(rng, g)
            if rng.random() < 0.08:
                f = _typo(rng, f)
            if rng.random() < 0.05:
                g, f = f, g
            u = rng.random()
            if u < 0.55:
                d = dob.isoformat()
                if rng.random() < 0.04:  # a slip of one digit or a day/month swap
                    d = _typo_date(rng, dob)
            elif u < 0.65:
                d = dob.isoformat()[:7]
            elif u < 0.82:
                d = str(dob.year + (int(rng.integers(-1, 2)) if rng.random() < 0.2 else 0))
            else:
                d = ""
            rid += 1
            rows.append(
                {
                    "record_id": f"R{rid:08d}",
                    "agency": agency,
                    "office_country": office,
                    "registration_date": reg.isoformat(),
                    "given_name": g,
                    "family_name": f,
                    "date_of_birth": d,
                    "sex": sex if rng.random() > 0.03 else "unknown",
                    "citizenship": cit if rng.random() > 0.1 else "",
                    "referral_from_office": ref or "",
                }
            )
            truth.append((f"R{rid:08d}", f"P{p:08d}"))
    records = pd.DataFrame(rows)
    order = rng.permutation(len(records))
    records = records.iloc[order].reset_index(drop=True)
    truth_df = pd.DataFrame(truth, columns=["record_id", "person_id"]).iloc[order].reset_index(drop=True)
    return records, truth_df


def _typo_date(rng: np.random.Generator, d: date) -> str:
    if d.day <= 12 and rng.random() < 0.5:
        return f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
    s = list(d.isoformat())
    i = int(rng.choice([3, 9]))
    s[i] = str((int(s[i]) + 1) % 10)
    out = "".join(s)
    try:
        date.fromisoformat(out)
        return out
    except ValueError:
        return d.isoformat()


def to_features(records: pd.DataFrame) -> pd.DataFrame:
    """The restricted features table the warehouse hands to linkage, from template records."""
    # the person columns of the engine's input (the case fields after them are not generated here)
    cols = INPUT_COLUMNS[: INPUT_COLUMNS.index("age_band") + 1]
    out = records[[c for c in cols if c in records.columns]].copy()
    out.insert(0, "record_key", records["record_id"].astype(str))
    return out
