"""Rules for scripts and romanisations are data (linkage/data/romanisation.csv), not code paths."""

from __future__ import annotations

import csv
import re
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.errors import ValidationError
from ctdata.linkage.features import (
    RomanisationRules,
    loose_key,
    normalise,
    romanisation_key,
    romanisation_rules,
    tokens,
)


def _table_rows() -> list[dict[str, str]]:
    text = resources.files("ctdata.linkage").joinpath("data/romanisation.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_rule_of_the_table_is_a_known_stage_with_a_reason():
    rows = _table_rows()
    assert {r["stage"] for r in rows} == set(RomanisationRules.STAGES)
    assert all(r["note"].strip() for r in rows), "every rule says which script or spelling it is for"
    rules = romanisation_rules()
    assert len(rules.romanisation) == sum(r["stage"] == "romanisation" for r in rows)
    assert "al" in rules.articles and "abd" in rules.compounds


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Sergei", "Sergey"),  # y after a letter
        ("Dmitrii", "Dmitry"),
        ("Xenia", "Ksenia"),  # x
        ("Mahmoud", "Mahmood"),  # ou, oo
        ("Schtschukin", "Shchukin"),  # German and English щ
        ("Jurij", "Yuri"),
        ("Phoukham", "Pukham"),  # Lao ph, ou, kh
        ("Fatimah", "Fatima"),
    ],
)
def test_romanisations_of_one_name_share_a_key(a, b):
    assert romanisation_key(normalise(a)) == romanisation_key(normalise(b))


def test_script_rules_run_before_transliteration():
    assert normalise("แก้ว") == "kaew"  # Thai preposed vowel moved after its consonant
    assert normalise("ແກ້ວ") == "kev"  # Lao likewise (anyascii writes ວ as v)
    assert normalise("الحسيني") == "hsyny"  # the joined Arabic article dropped
    assert tokens(normalise("Abdel Rahman")) == tokens(normalise("Abdelrahman")) == ["abdelrahman"]
    assert tokens(normalise("al-Hassan")) == ["hassan"]


def test_a_table_is_all_it_takes_to_add_a_rule():
    rows = [*_table_rows(), {"stage": "romanisation", "pattern": "^tsch", "replacement": "ch", "note": "x"}]
    assert romanisation_rules().romanisation != RomanisationRules.from_rows(rows).romanisation
    extra = RomanisationRules.from_rows([{"stage": "article", "pattern": "bin", "replacement": "", "note": "x"}])
    assert extra.articles == frozenset({"bin"})


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"stage": "spelling", "pattern": "ph", "replacement": "p"}, "unknown stage 'spelling'"),
        ({"stage": "romanisation", "pattern": "", "replacement": "p"}, "empty pattern"),
        ({"stage": "romanisation", "pattern": "(ph", "replacement": "p"}, "'(ph'"),
        ({"stage": "script", "pattern": "(a)", "replacement": r"\2", "note": ""}, "rule '(a)' -> "),
    ],
)
def test_a_bad_rule_is_a_clear_error_naming_it(row, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        RomanisationRules.from_rows([row])


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)


@given(_TOKEN)
def test_a_romanisation_key_is_plain_letters_and_never_empty(token):
    k = romanisation_key(token)
    assert k and k.isascii() and k.isalpha() and k.islower()


@given(st.lists(_TOKEN, min_size=1, max_size=4), st.randoms())
def test_the_loose_key_ignores_how_a_name_is_ordered(toks, rnd):
    shuffled = toks[:]
    rnd.shuffle(shuffled)
    assert loose_key(toks) == loose_key(shuffled)


@given(st.lists(st.sampled_from(["al", "el", "ul", "hassan", "omar", "rahman"]), min_size=1, max_size=5))
def test_articles_never_survive_unless_the_name_is_nothing_else(toks):
    out = tokens(" ".join(toks))
    if any(t not in romanisation_rules().articles for t in toks):
        assert not set(out) & romanisation_rules().articles
    else:
        assert out == toks


#: Devanagari names and how Nepali and Hindi offices usually write them in Latin letters (common usage).
DEVANAGARI_NAMES = [
    ("कमल", "Kamal"),
    ("कमला", "Kamala"),
    ("राम", "Ram"),
    ("मगर", "Magar"),
    ("बहादुर", "Bahadur"),
    ("कृष्ण", "Krishna"),
    ("मिश्र", "Mishra"),
    ("शर्मा", "Sharma"),
    ("गणेश", "Ganesh"),
    ("प्रकाश", "Prakash"),
    ("गुरुङ", "Gurung"),
    ("तामाङ", "Tamang"),
    ("ज्ञानेन्द्र", "Gyanendra"),
    ("संजय", "Sanjay"),
    ("चन्द्र", "Chandra"),
    ("सुशीला", "Sushila"),
    ("दीपक", "Deepak"),
    ("पोखरेल", "Pokharel"),
    ("भट्टराई", "Bhattarai"),
    ("निर्मला", "Nirmala"),
]


#: Bengali names and how offices in Bangladesh and abroad usually write them (common usage).
BENGALI_NAMES = [
    ("রহিম", "Rahim"),
    ("রহমান", "Rahman"),
    ("ইসলাম", "Islam"),
    ("আলম", "Alam"),
    ("শাহিদা", "Shahida"),
    ("নাসরিন", "Nasrin"),
    ("শফিকুল", "Shafiqul"),
    ("মাহমুদ", "Mahmud"),
    ("আহমেদ", "Ahmed"),
    ("সরকার", "Sarkar"),
    ("ফাতেমা", "Fatema"),
    ("খাতুন", "Khatun"),
]


@pytest.mark.parametrize(("native", "latin"), DEVANAGARI_NAMES + BENGALI_NAMES)
def test_a_brahmic_name_and_its_usual_romanisation_share_a_key(native, latin):
    """Transliteration drops Devanagari's inherent vowel and writes श as s: कमल became 'kml' and कृष्ण
    'krsn', so a name written at the origin office in its own script met its romanisation abroad at no
    level stronger than a similar skeleton. The inherent vowel, conjunct endings, श/ष, ज्ञ, ङ and the
    anusvara are rows of the table's script stage. Bengali likewise (রহমান was 'rhman'), where names
    also leave out the inherent vowel between a vowel and a consonant that has one (ইসলাম Islam)."""
    got = [romanisation_key(t) for t in tokens(normalise(native))]
    assert got == [romanisation_key(t) for t in tokens(normalise(latin))], (native, normalise(native))


_BRAHMIC = st.text(alphabet=st.characters(min_codepoint=0x0900, max_codepoint=0x09FF), min_size=1, max_size=12)


@given(st.lists(_BRAHMIC, min_size=1, max_size=3))
def test_any_devanagari_or_bengali_text_normalises_to_plain_letters(words):
    """The script rows insert and drop letters around signs; stray signs, lone viramas and digits in
    any order still give ASCII lower-case letters, digits and single spaces (or nothing)."""
    out = normalise(" ".join(words))
    assert out is None or (out.isascii() and out == out.lower() and "  " not in out and out == out.strip())
