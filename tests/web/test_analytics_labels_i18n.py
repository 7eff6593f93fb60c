"""Analytics data labels on the analysts' pages in the reader's language; the CLI and JSON keep English.

Region and sub-region names (UN M49, named from CLDR through their M49 codes), regional offices and
their regions (the catalogue), the networks' corridors (countries through Babel) and the
within-region definition, the MSE methods, models and lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel import Locale

from ctdata.analytics.indicators import indicator_rows
from ctdata.analytics.networks import corridor_words
from ctdata.analytics.perpetrators import WITHIN_REGION_DEFINITION
from ctdata.prevalence.chart import METHOD_NAMES, method_name, model_words
from ctdata.prevalence.sources import LIST_NAMES
from ctdata.standard import regions, vocab
from ctdata.web import i18n
from tests.web.test_estimates_page import _linked_warehouse
from tests.web.test_pages import signed_in

LANGS = ("fr", "es", "ar")
#: names written the same way in the language (their catalogue entry repeats them)
_SAME = {"fr": {"Bangkok", "Dakar", "Pretoria", "Buenos Aires"}, "es": {"Bangkok", "Dakar", "Pretoria", "Buenos Aires"}}


@pytest.mark.parametrize("lang", LANGS)
def test_every_region_office_and_office_region_has_a_name_in_the_language(lang: str) -> None:
    names = set(regions.M49_AREA_CODES) | set(regions.REGIONAL_OFFICES)
    names |= {o.region for o in regions.regional_office_table().values()}
    names |= {r.sub_region for r in regions.m49_table().values() if r.sub_region}
    names |= {r.intermediate_region for r in regions.m49_table().values() if r.intermediate_region}
    names |= set(vocab.UN_REGION.terms.values())
    catalogue = i18n.translations(lang)
    cldr = Locale.parse(lang).territories
    untranslated = sorted(
        n
        for n in names
        if not (cldr.get(regions.M49_AREA_CODES.get(n, "")) or catalogue.gettext(n) != n or n in _SAME.get(lang, ()))
    )
    assert untranslated == []
    assert i18n.region_name("Western Africa", "fr") == "Afrique occidentale"  # CLDR's, through M49 code 011
    assert i18n.region_name("Cairo", "fr") == "Le Caire"


def test_corridors_methods_and_definition_in_the_language_and_english_underneath() -> None:
    words = corridor_words("LA -> TH")
    assert words == "Laos → Thailand"  # English as a string
    assert i18n.localise(words, "fr") == "Laos → Thaïlande"
    assert i18n.localise(words, "ar") == "لاوس ← تايلاند"  # the arrow points the way Arabic reads
    assert i18n.localise(corridor_words("asia -> ?"), "es") == "Asia → desconocido"
    assert i18n.localise(WITHIN_REGION_DEFINITION, "fr").startswith("Part des victimes")
    assert [i18n.localise(method_name(m), "fr") for m in ("main", "stepwise")] == [
        "effets principaux seuls",
        "pas à pas",
    ]
    assert set(METHOD_NAMES) >= {"main", "stepwise", "aic", "bic"}
    model = model_words("main effects + GOV:destination_office", lambda n: LIST_NAMES.get(n, n))
    assert model == "main effects + GOV:destination office"
    assert i18n.localise(model, "es") == "efectos principales + GOV:oficina de destino"


def test_the_cli_rows_stay_english() -> None:
    data = {
        "instances": 3,
        "by_sex": {},
        "children": 0,
        "adults": 0,
        "age_unknown": 3,
        "cross_border": 0,
        "internal": 0,
        "journey_unknown": 3,
        "by_citizenship": {},
        "citizenship_unknown": 3,
        "by_country_of_exploitation": {},
        "country_of_exploitation_unknown": 3,
        "by_exploitation_type": {},
        "exploitation_unknown": 3,
        "by_regional_office": {"Cairo": 2, "San Jose": 1},
        "regional_office_unknown": 0,
    }
    labels = [r["label"] for r in indicator_rows(data) if r["value"] in ("Cairo", "San Jose")]
    assert labels == ["Cairo", "San Jose"]
    assert i18n.localise(labels[0], "fr") == "Le Caire"


def test_analyst_pages_name_offices_corridors_and_methods_in_the_language(  # type: ignore[no-untyped-def]
    app, engine, actors, tmp_path: Path
) -> None:
    analyst, _ = signed_in(app, engine, "analyst")
    _linked_warehouse(tmp_path)
    fr = {"accept-language": "fr"}
    page = analyst.get("/indicators", headers=fr).text
    assert "Vienne" in page and "Le Caire" in page and "Cairo" not in page and "Vienna" not in page
    assert "Cairo" in analyst.get("/indicators").text  # English page unchanged
    page = analyst.get("/estimates?lists=agency&year_from=2011&year_to=2011", headers=fr).text
    assert "<td>pas à pas</td>" in page and "effets principaux" in page and "vraisemblance profilée" in page
    assert "<td>stepwise</td>" not in page and "main effects" not in page and "(profile)" not in page
    assert "pas à pas" in page.split('id="mse-chart-spec"')[1]  # the chart's method names too
    page = analyst.get("/estimates?lists=office_type", headers={"accept-language": "es"}).text
    assert "oficina de destino" in page and "destination_office" not in page
    ar = analyst.get("/networks", headers={"accept-language": "ar"}).text
    assert "Share of victims" not in ar and "نسبة الضحايا" in ar
    assert " -> " not in ar and " ← " in ar
