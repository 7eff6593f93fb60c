"""Names: transliteration schemes, typos, and the differences between records of one person."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from ctdata.simulate.names import N_FORMS, load_namebook, typo
from ctdata.simulate.transliterate import SCHEMES, feminine_surname, romanise, strip_accents
from tests.simulate.conftest import read

CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяёыэъАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯЁЫЭ"


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


@given(st.text(alphabet=CYRILLIC + " -'", min_size=1, max_size=30), st.sampled_from(sorted(SCHEMES)))
def test_romanisation_leaves_no_cyrillic(text, scheme):
    assert not _has_cyrillic(romanise(text, scheme))


def test_one_ukrainian_name_many_spellings():
    book = load_namebook()
    row = next(i for i in range(len(book.given)) if book.given[i, 0] == "Олександр")
    spellings = set(book.given[row, 2:])
    assert {"Oleksandr", "Aleksandr", "Olexandr"} <= spellings
    assert book.given[row, 1] == "Александр"  # a Russian-speaking office's own script
    assert romanise("Шевченко", "german") == "Schewtschenko"
    assert romanise("Шевченко", "polish") == "Szewczenko"
    assert romanise("Бахтиёр", "uzbek_latin") == "Baxtiyor"


def test_arabic_and_mekong_names_carry_field_romanisations():
    book = load_namebook()
    forms = [tuple(row) for row in book.given]
    arabic = next(c for c in book.cultures if c.name == "arabic")
    mohammed = next(tuple(book.given[i]) for i in arabic.given_m if book.given[i, 0] == "محمد")
    assert {"Mohammed", "Muhammad", "Mohamed", "Mohamad"} <= set(mohammed[2:])
    souk = next(f for f in forms if f[0] == "ສຸກສະຫວັນ")
    assert {"Souksavanh", "Suksavan"} <= set(souk[2:])
    assert all(len(f) == N_FORMS and all(f) for f in forms)


@given(st.text(min_size=2, max_size=25), st.integers(0, 2**32 - 1))
@settings(max_examples=300)
def test_a_typo_is_one_edit(text, seed):
    out = typo(np.random.default_rng(seed), text)
    assert OSA.distance(text, out) <= 1


@given(st.text(alphabet="aeiouçéèêëàâäîïôöûüñ ńšžćłđ", max_size=20))
def test_strip_accents_gives_ascii_and_is_idempotent(text):
    out = strip_accents(text)
    assert out.isascii()
    assert strip_accents(out) == out


@pytest.mark.parametrize(
    ("male", "female"),
    [("Каримов", "Каримова"), ("Ковальський", "Ковальська"), ("Алиев", "Алиева"), ("Шевченко", "Шевченко")],
)
def test_feminine_surnames(male, female):
    assert feminine_surname(male) == female


@pytest.fixture(scope="module")
def pairs(three_years) -> pd.DataFrame:
    rec = read(three_years / "records.csv").merge(read(three_years / "truth.csv"), on="record_id")
    p = rec.merge(rec, on="person_id", suffixes=("_a", "_b"))
    return p[p["record_id_a"] < p["record_id_b"]]


def test_records_of_one_person_differ_in_the_promised_ways(pairs):
    n = len(pairs)
    assert n > 2000
    same_name = (pairs["given_name_a"] == pairs["given_name_b"]) & (pairs["family_name_a"] == pairs["family_name_b"])
    assert 0.1 < same_name.mean() < 0.6  # linkage has work to do, but not hopeless work
    ascii_a = pairs["given_name_a"].map(str.isascii)
    ascii_b = pairs["given_name_b"].map(str.isascii)
    assert (ascii_a != ascii_b).mean() > 0.1  # one office wrote the original script, another Latin
    swapped = (pairs["given_name_a"] == pairs["family_name_b"]) & (pairs["family_name_a"] == pairs["given_name_b"])
    assert swapped.mean() > 0.01
    one_edit = [
        OSA.distance(a.lower(), b.lower()) == 1
        for a, b in zip(pairs["given_name_a"], pairs["given_name_b"], strict=True)
    ]
    assert np.mean(one_edit) > 0.02  # typos and one-letter spelling variants
    dob_a, dob_b = pairs["date_of_birth_a"], pairs["date_of_birth_b"]
    assert (dob_a.str.len() != dob_b.str.len()).mean() > 0.2  # full vs partial vs missing
    both_full = (dob_a.str.len() == 10) & (dob_b.str.len() == 10)
    day_month = (
        both_full
        & (dob_a.str.slice(0, 4) == dob_b.str.slice(0, 4))
        & (dob_a.str.slice(5, 7) == dob_b.str.slice(8, 10))
        & (dob_a.str.slice(8, 10) == dob_b.str.slice(5, 7))
        & (dob_a != dob_b)
    )
    assert day_month.sum() > 0
    assert (pairs["registration_date_a"] != pairs["registration_date_b"]).mean() > 0.8
    assert (
        (pairs["sex_a"] == pairs["sex_b"])
        | (pairs["sex_a"].isin(["", "unknown"]))
        | (pairs["sex_b"].isin(["", "unknown"]))
    ).all()


def test_common_names_collide_across_persons(three_years):
    rec = read(three_years / "records.csv").merge(read(three_years / "truth.csv"), on="record_id")
    persons = rec.groupby(["given_name", "family_name"])["person_id"].nunique()
    # Lists of thousands of names (a listed head of common names, then a long tail) make a shared
    # full name about as common as in life: some, not most, of the names written are shared.
    assert 0.01 < (persons > 1).mean() < 0.3
    assert persons.max() >= 5  # the Marie Josephs and Mohammed Al-Ahmadis of this world


def test_name_lists_have_long_tails():
    book = load_namebook()
    sizes = {c.name: len(c.given_f) + len(c.given_m) + len(c.family_m) for c in book.cultures}
    assert sum(sizes.values()) > 10_000
    assert min(sizes[c] for c in ("east_slavic", "arabic", "haitian", "lao")) > 500
    again = load_namebook.__wrapped__()  # rebuilt from scratch: the tail is deterministic
    assert (again.given == book.given).all() and (again.family == book.family).all()
