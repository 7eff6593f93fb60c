"""The public portal in its reader's language: chosen from the browser or the language switch, `lang` and
`dir`, every word of the page (figures' labels, chart specs, notes), numbers and dates, while the JSON
answers stay English for programs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ctdata.web import i18n
from tests.web.test_portal_data import make_releases, portal_env

PAGES = ("/", "/portal/dashboard", "/portal/map", "/portal/releases")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("portal-i18n")
    with portal_env(root) as rel_dir:
        make_releases(rel_dir)
        from ctdata.web.app import create_app

        app = create_app(f"sqlite:///{root / 'ctdata.db'}")
        with TestClient(app, follow_redirects=False) as client:
            yield client


def _get(client: TestClient, path: str, lang: str) -> str:
    r = client.get(path, headers={"accept": "text/html", "accept-language": lang})
    assert r.status_code == 200, (path, r.text[:300])
    assert r.headers["content-language"] == lang and "Accept-Language" in r.headers["vary"]
    return r.text


@pytest.mark.parametrize(("lang", "direction"), [("fr", "ltr"), ("es", "ltr"), ("ar", "rtl")])
def test_pages_follow_the_browser_with_lang_and_dir(portal: TestClient, lang: str, direction: str) -> None:
    for path in PAGES:
        html = _get(portal, path, lang)
        assert f'<html lang="{lang}" dir="{direction}">' in html, path
        tr = i18n.translations(lang).gettext
        assert tr("Counter-trafficking data portal") in html and "Counter-trafficking data portal" not in html
        assert "Skip to main content" not in html and "Staff sign-in" not in html


def test_the_dashboard_in_french_names_every_figure_in_french(portal: TestClient) -> None:
    html = _get(portal, "/portal/dashboard", "fr")
    for french in (
        "Dossiers par année d’enregistrement et sexe",
        "Femme",
        "Homme",
        "Appliquer les filtres",
        "Tous les dossiers de cette publication sont affichés",
        "Total",
    ):
        assert french in html, french
    words = re.sub(r'"[a-z_]+_code": "[^"]*"', "", html)  # the codes of the charts' values stay codes
    for english in (
        "Records by",
        "Female",
        "Male",
        "Apply filters",
        "Showing all records",
        "Bar chart of",
        "Unknown",
        "Any (withheld)",
        "Age band",
        "Region of exploitation",
    ):
        assert english not in words, english
    # the charts' specs carry the same words, and their numbers are written as French writes them
    spec = json.loads(
        re.search(r'<script type="application/json" id="chart-year_sex-spec">(.*?)</script>', html, re.S).group(1)
    )
    assert (
        spec["encoding"]["y"]["title"] == i18n.translations("fr").gettext("Records") != "Records"
        and "Diagramme en barres" in spec["description"]
    )
    locale = json.loads(re.search(r'id="format-locale">(.*?)</script>', html, re.S).group(1))
    assert locale["decimal"] == "," and locale["thousands"] != ","
    assert re.search(r'<td class="num">\d{1,3}(\u202f|\xa0)\d{3}</td>', html)  # 1 234, not 1,234


def test_the_map_and_releases_in_arabic(portal: TestClient) -> None:
    html = _get(portal, "/portal/map", "ar")
    assert "خريطة الممرات" in html and "Corridor map" not in html and " to " not in html
    spec = json.loads(re.search(r'id="corridor-map-spec">(.*?)</script>', html, re.S).group(1))
    corridor = spec["layer"][1]["data"]["values"][0]["corridor"]
    assert corridor.startswith("من ") and " إلى " in corridor  # countries named in Arabic
    html = _get(portal, "/portal/releases", "ar")
    assert "ملفات الإصدار" in html and "Files of release" not in html and "Records as CSV" not in html
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}">[^<]*\d{4}</time>', html)  # dates as Arabic writes them
    assert '<div class="markdown" lang="en" dir="ltr">' in html  # the release's own documentation is English


def test_the_language_switch_and_the_json_stay_english(portal: TestClient) -> None:
    r = portal.post("/language", data={"lang": "es", "next": "/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = portal.post("/language", data={"lang": "es", "next": "/portal/dashboard?release=x"})
    assert r.headers["location"] == "/portal/dashboard?release=x"
    html = portal.get("/", headers={"accept": "text/html", "accept-language": "fr"}, cookies={i18n.COOKIE: "es"}).text
    assert '<html lang="es" dir="ltr">' in html  # the choice beats the browser
    api = portal.get("/portal/api/indicators", headers={"accept-language": "ar"}).json()
    tables = list(api["tables"].values()) if isinstance(api["tables"], dict) else api["tables"]
    titles = [t["title"] for t in tables]
    assert "Records by year of registration and sex" in titles
    assert {c["label"] for t in tables for c in t["columns"]} >= {"Female"}
    assert api["corridors"] and all(re.fullmatch(r"[A-Za-z ,.'()-]+", c["origin_name"]) for c in api["corridors"])


def test_the_home_pages_largest_corridor_names_its_countries_as_a_sentence_does(portal: TestClient) -> None:
    """'citizens of the Philippines exploited in the United States' in English (the names that need 'the' are
    a table: standard/data/country_names_in_sentences.csv); other languages name them as CLDR does."""
    from ctdata.standard import countries

    portal.cookies.clear()  # a language chosen by an earlier test would beat the browser's
    top = portal.get("/portal/api/indicators").json()["corridors"][0]
    html = _get(portal, "/", "en")
    origin, destination = (countries.name_in_sentence(top[k]) for k in ("origin", "destination"))
    assert (f"citizens of <strong>{origin}</strong> exploited in <strong>{destination}</strong>") in html
    fr = _get(portal, "/", "fr")
    assert f"<strong>{i18n.country_name(top['origin'], 'fr')}</strong>" in fr


def test_the_names_in_sentences_are_the_ones_the_home_page_would_show() -> None:
    """The corridor's words through the page's `localise`: English with the article, French by CLDR."""
    from ctdata.publish.portal import Flow
    from ctdata.standard import countries
    from ctdata.text import Country

    flow = Flow("PH", Country("PH", "Philippines"), "US", Country("US", "United States"), 40)
    assert i18n.localise(flow.origin_in_sentence, "en") == "the Philippines"
    assert i18n.localise(flow.destination_in_sentence, "en") == "the United States"
    assert i18n.localise(flow.origin_name, "en") == "Philippines"  # the map's table cell keeps the bare name
    assert i18n.localise(flow.destination_in_sentence, "es") == i18n.country_name("US", "es")
    assert countries.name_in_sentence("TH") == "Thailand"


@pytest.mark.parametrize(("lang", "said"), [("fr", "aucune version publiée «\u00a0nope\u00a0»"),
                                            ("es", "no hay ninguna publicación «nope»"),
                                            ("ar", "لا يوجد إصدار منشور «nope»")])
def test_the_not_found_reason_is_in_the_language(portal: TestClient, lang: str, said: str) -> None:
    """A release nobody published: the page says why in its language; the JSON keeps the English sentence."""
    portal.cookies.clear()
    for path in ("/portal/dashboard?release=nope", "/portal/map?release=nope"):
        r = portal.get(path, headers={"accept": "text/html", "accept-language": lang})
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
        assert said in r.text and "no published release" not in r.text, path
    api = portal.get("/portal/api/indicators?release=nope", headers={"accept-language": lang})
    assert api.status_code == 404 and api.json()["detail"] == "no published release “nope”"


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "Ignored (not in this release): Year of registration and Sex."),
    ("fr", "Ignorés (absents de cette publication)\u00a0: Année d’enregistrement et Sexe."),
    ("es", "Ignorados (no están en esta publicación): Año de registro y Sexo."),
    ("ar", "تم تجاهلها (غير موجودة في هذا الإصدار): سنة التسجيل والجنس."),
])
def test_filters_a_release_lacks_are_named_as_the_language_writes_a_list(portal: TestClient, lang: str,
                                                                          said: str) -> None:
    """A made-up filter value is not dropped silently: the dashboard and the map name the filters they ignored,
    joined as the page's language joins a list (an English ', ' in the Arabic sentence before)."""
    portal.cookies.clear()
    for path in ("/portal/dashboard", "/portal/map"):
        html = _get(portal, f"{path}?year=1999&sex=robot", lang)
        status = re.sub(r"[ \t\n]+", " ", html.split('role="status"')[1].split("</p>")[0])  # keeps no-break spaces
        assert said in status, (path, status)
    api = portal.get("/portal/api/indicators?year=1999&sex=robot", headers={"accept-language": lang}).json()
    assert api["ignored_filters"] == ["year", "sex"]  # the JSON keeps the filters' names
