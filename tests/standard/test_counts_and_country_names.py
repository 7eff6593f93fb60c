"""Generated English agrees with its numbers and names countries as a sentence does: '1 instance of
assistance' (not '1 instances of assistance'), 'citizens of the Philippines' (not 'citizens of
Philippines'). The plural is `standard.units.ONE`'s table, the article the table in
standard/data/country_names_in_sentences.csv."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.report.model import fmt_n
from ctdata.report.sections import _records_phrase
from ctdata.standard import countries, units
from ctdata.text import Text, from_data, to_data
from ctdata.web import i18n
from ctdata.web.pages.render import office_label

UNITS = [units.INSTANCES, units.HOTLINE_REPORTS, units.CASE_RECORDS, units.INDIVIDUALS, units.RETURNEES,
         units.RETURNS]


@given(n=st.integers(min_value=0, max_value=10**7), unit=st.sampled_from(UNITS))
def test_a_count_of_one_takes_the_singular_and_any_other_the_plural(n: int, unit: str) -> None:
    said = units.counted(n, unit, fmt_n(n))
    assert said.startswith(fmt_n(n) + " ")
    words = said[len(fmt_n(n)) + 1:]
    assert (words == unit) is (n != 1), said
    assert (words == units.ONE[unit]) is (n == 1), said
    assert units.ONE[unit] != unit and not units.ONE[unit].startswith(unit)


@pytest.mark.parametrize(("n", "said"), [(0, "0 instances of assistance"), (1, "1 instance of assistance"),
                                         (2, "2 instances of assistance"), (1.5, "1.5 instances of assistance")])
def test_counts_zero_one_and_more(n: float, said: str) -> None:
    assert units.counted(n, units.INSTANCES) == said


@given(assistance=st.integers(min_value=0, max_value=5), hotline=st.integers(min_value=0, max_value=5))
def test_the_reports_records_phrase_agrees_with_each_count(assistance: int, hotline: int) -> None:
    n = assistance + hotline
    phrase = _records_phrase({"instances": n, "assistance": assistance, "hotline_reports": hotline})
    assert "1 instances" not in phrase and "1</strong> instances" not in phrase
    assert "1 hotline reports" not in phrase and "1</strong> hotline reports" not in phrase
    if n == 1 and not hotline:
        assert phrase == "<strong>1</strong> instance of assistance"
    if assistance == 1 and hotline > 1:
        assert "(1 instance of assistance and " in phrase


def test_the_table_of_names_with_the_is_valid_and_complete_for_the_names_asked() -> None:
    table = countries._in_sentences()
    for code, in_sentence in table.items():
        assert in_sentence == "the " + countries.name(code), code  # the same name, with its article
    for code, said in [("PH", "the Philippines"), ("US", "the United States"), ("GB", "the United Kingdom"),
                       ("NL", "the Netherlands"), ("CD", "the Democratic Republic of the Congo"),
                       ("TH", "Thailand"), ("LA", "Laos")]:
        assert countries.name_in_sentence(code) == said
        assert countries.name(code) == said.removeprefix("the ")  # a table cell or list keeps the bare name


def test_a_country_in_a_sentence_is_english_with_its_article_and_named_in_other_languages() -> None:
    sentence = Text("citizens of {origin} exploited in {destination}", origin=countries.in_sentence("PH"),
                    destination=countries.in_sentence("TH"))
    assert sentence == "citizens of the Philippines exploited in Thailand"
    assert i18n.localise(sentence, "en") == "citizens of the Philippines exploited in Thailand"
    assert i18n.localise(countries.in_sentence("PH"), "fr") == "Philippines"  # the language's own name
    assert from_data(to_data(sentence)) == sentence  # through a redirect, the same words
    assert i18n.localise(from_data(to_data(sentence)), "en") == "citizens of the Philippines exploited in Thailand"
    assert i18n.localise(office_label("US", "IOM"), "en") == "IOM office in the United States"
    assert i18n.localise(office_label("TH", None), "en") == "Office in Thailand"


@pytest.mark.parametrize(("unknown", "said"), [
    (1, "No known value: the 1 instance of assistance counted here has this item unrecorded (unknown)."),
    (3, "No known value: all 3 instances of assistance counted here have this item unrecorded (unknown)."),
])
def test_a_report_caption_of_only_unknown_values_agrees_with_its_count(unknown: int, said: str) -> None:
    import pandas as pd

    from ctdata.analytics.table import IndicatorTable
    from ctdata.report.model import Figure

    empty = pd.DataFrame({"value": [], "label": [], "count": [], "share": []})
    table = IndicatorTable("sex", "Sex", empty, units.INSTANCES, known=0, unknown=unknown)
    assert Figure("sex", "Sex", table).caption == said
