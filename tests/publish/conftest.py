"""Small, realistic-shaped input for the publication tests (no shared data files)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

COUNTRIES = ["PH", "UA", "MD", "ID", "NG", "US", "MX", "TH", "KH", "VN", "GH", "RO", "XK", "BR", "IN"]
DESTS = ["US", "RU", "MY", "TH", "AE", "UA"]


def make_rows(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.choice(["0-8", "9-17", "18-20", "21-23", "24-26", "30-38", "48+", None], n).astype(object)
    cit = rng.choice(
        COUNTRIES,
        n,
        p=np.array([1 / (i + 1) for i in range(len(COUNTRIES))])
        / sum(1 / (i + 1) for i in range(len(COUNTRIES))),
    ).astype(object)
    coe = np.where(rng.random(n) < 0.5, cit, rng.choice(DESTS, n)).astype(object)
    sex = rng.choice(["female", "male", None], n, p=[0.65, 0.33, 0.02]).astype(object)
    expl = np.where(
        sex == "female",
        rng.choice(["sexual_exploitation", "forced_labour"], n, p=[0.7, 0.3]),
        rng.choice(["forced_labour", "forced_labour;forced_begging"], n, p=[0.8, 0.2]),
    ).astype(object)
    return pd.DataFrame(
        {
            "registration_year": rng.choice(np.arange(2012, 2022), n),
            "data_source": rng.choice(["case_management", "hotline"], n),
            "sex": sex,
            "age_band": age,
            "child": pd.array([None if a is None else a in ("0-8", "9-17") for a in age], dtype="boolean"),
            "citizenship": cit,
            "country_of_exploitation": coe,
            "exploitation_types": expl,
            "labour_sectors": np.where(expl == "forced_labour", "agriculture", None),
            "means_of_control": rng.choice(["debt_bondage", "threats;physical_abuse"], n),
            "consent_research": pd.array(
                rng.choice([True, False, None], n, p=[0.85, 0.05, 0.1]), dtype="boolean"
            ),
            "source_kind": "case",
        }
    )


@pytest.fixture
def rows() -> pd.DataFrame:
    return make_rows(3000, seed=7)


CANARIES = {
    "given_name": "Zzyxwquandor",
    "family_name": "Qqvelthrimbor",
    "date_of_birth": "1987-03-19",
    "id_document_number": "PX99887766Q",
    "record_id": "REC-CANARY-424242",
    "notes": "canary-free-text-55813",
}


@pytest.fixture
def rows_with_identifiers(rows: pd.DataFrame) -> pd.DataFrame:
    df = rows.copy()
    for col, value in CANARIES.items():
        df[col] = [f"{value}{i}" if col != "date_of_birth" else value for i in range(len(df))]
    return df
