"""The case pages in English, French, Spanish and Arabic: the language from the person's choice or the
browser, `lang` and `dir` on the page, country names in the language, and complete catalogues."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from ctdata.standard import countries, vocab
from ctdata.web import i18n
from tests.web.test_pages import signed_in

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "ctdata" / "web"
#: the vocabularies whose labels the templates show through gettext (option lists of the forms)
VOCABULARIES = (vocab.SEX, vocab.ACTIONS, vocab.MEANS, vocab.PURPOSES, vocab.VULNERABILITIES, vocab.CASE_STATUS,
                vocab.CROSSING, vocab.TRAVEL_DOCUMENT, vocab.TRANSPORT_MODE, vocab.EXPLOITED_ON_LEG,
                vocab.ASSISTANCE_TYPES, vocab.RISK_LEVEL, vocab.LEGAL_ASSISTANCE_TYPES, vocab.FUNDING_SOURCE,
                vocab.REINTEGRATION_STATUS, vocab.DETERMINATION, vocab.TRANSFER_STATUS, vocab.RETURN_STATUS,
                vocab.EXPLOITATION_TYPES, vocab.PERPETRATOR_ROLE, vocab.PERPETRATOR_AGE_BAND,
                vocab.PERPETRATOR_RELATION, vocab.YES_NO, vocab.MEANS_OF_CONTROL, vocab.AGE_BAND)


@pytest.mark.parametrize(
    ("accept", "chosen", "lang"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", None, "fr"),
        ("fr-CA", None, "fr"),
        ("de,es;q=0.5", None, "es"),
        ("ar-EG", None, "ar"),
        ("de", None, "en"),
        (None, None, "en"),
        ("fr", "ar", "ar"),
        ("fr", "xx", "fr"),
        ("en;q=0.2,ar;q=0.9", None, "ar"),
    ],
)
def test_language_is_the_choice_then_the_browser(accept: str | None, chosen: str | None, lang: str) -> None:
    assert i18n.choose(accept, chosen) == lang


def _msgids() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    method_map = [(f"src/ctdata/{where}", "python") for where in ("text.py", "errors.py", "screening/**.py",
                                                                  "cases/**.py", "standard/**.py",
                                                                  "linkage/review_store.py", "prevalence/**.py",
                                                                  "analytics/**.py", "ingest/**.py",
                                                                  "publish/flows.py", "publish/releases.py",
                                                                  "publish/labels.py", "publish/portal.py",
                                                                  "publish/public.py", "web/**.py")]
    method_map += [("src/ctdata/web/templates/pages/**.html", "jinja2"),
                   ("src/ctdata/web/templates/portal/**.html", "jinja2")]
    options = {f"src/ctdata/web/templates/{d}/**.html": {"extensions": "jinja2.ext.i18n"} for d in ("pages", "portal")}
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options,
        keywords={"_": None, "N_": None, "Text": (1,), "gettext": None, "ngettext": (1, 2)},
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
def test_every_marked_string_and_form_option_is_translated(lang: str) -> None:
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    ids = _msgids()
    assert len(ids) > 80
    labels = {label for v in VOCABULARIES for label in v.terms.values()}
    for mid in sorted(ids | labels, key=str):
        key = mid[0] if isinstance(mid, tuple) else mid
        entry = catalog.get(key)
        assert entry is not None and not entry.fuzzy, (lang, mid)
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert len(forms) == (catalog.num_plurals if isinstance(mid, tuple) else 1) and all(forms), (lang, mid)
    assert i18n.translations(lang).gettext("Cases") == catalog.get("Cases").string


def test_pages_follow_the_browser_and_the_choice(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app, follow_redirects=False)
    fr = client.get("/login", headers={"accept": "text/html", "accept-language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr" dir="ltr">' in fr.text and "<h1>Se connecter</h1>" in fr.text
    assert fr.headers["content-language"] == "fr"
    ar = client.get("/login", headers={"accept": "text/html", "accept-language": "ar"})
    assert '<html lang="ar" dir="rtl">' in ar.text and "تسجيل الدخول" in ar.text
    en = client.get("/login", headers={"accept": "text/html"})
    assert '<html lang="en" dir="ltr">' in en.text and "<h1>Sign in</h1>" in en.text
    r = client.post("/language", data={"lang": "es", "next": "/login"}, headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.cookies.get(i18n.COOKIE) == "es"
    es = client.get("/login", headers={"accept": "text/html", "accept-language": "fr"})  # the choice wins
    assert '<html lang="es" dir="ltr">' in es.text and "Iniciar sesión" in es.text
    evil = client.post("/language", data={"lang": "fr", "next": "//evil.example"}, headers={"accept": "text/html"})
    assert evil.headers["location"] == "/cases"


def test_country_names_and_form_options_in_the_language(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    page = client.get("/screening", headers={"accept-language": "fr"}).text
    assert '<option value="DE">Allemagne</option>' in page and "Recrutement" in page and "Date de naissance" in page
    select = page.split('id="f-citizenship"')[1].split("</select>")[0]
    names = re.findall(r'<option value="[A-Z]{2}">([^<]+)</option>', select)
    assert names == sorted(names, key=countries.collation_key) and len(names) > 190
    assert names.index("Côte d’Ivoire") < names.index("Croatie")
    ar = client.get("/cases", headers={"accept-language": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in ar and "الحالات" in ar and "ألمانيا" in ar


def test_case_page_and_its_tabs_in_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    from ctdata.cases import journeys, service
    from ctdata.cases.tx import transaction
    from tests.web.conftest import CASE, PERSON

    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
        journeys.add_leg(s, actors["th"], case_id, {"from_country": "VN", "to_country": "TH", "crossing": "unofficial"})
    client, _ = signed_in(app, engine, "th")
    fr = {"accept-language": "fr"}
    page = client.get(f"/cases/{case_id}?tab=journey", headers=fr).text
    assert ">Parcours</a>" in page and "Ajouter une étape du parcours" in page and "Passage non officiel" in page
    assert "Journey" not in page.split('<main')[1] and "Unofficial crossing" not in page
    assert '<td data-label="Passage de frontière">Passage non officiel</td>' in page
    assert '<td data-label="De">Viêt Nam</td><td data-label="Vers">Thaïlande</td>' in page
    overview = client.get(f"/cases/{case_id}", headers=fr).text
    assert "<dd>Viêt Nam</dd>" in overview
    assert "Enregistrer le consentement" in client.get(f"/cases/{case_id}/tabs/consent", headers=fr).text
    ret = client.get(f"/cases/{case_id}/tabs/return", headers={"accept-language": "es"}).text
    assert "Solicitar un retorno" in ret


def test_the_choice_is_kept_on_the_account(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """Chosen once while signed in (with the session's CSRF token), the language follows the account."""
    from sqlalchemy import select

    from ctdata.cases.tx import transaction
    from ctdata.store.models import User
    from ctdata.web.security import COOKIE

    client, csrf = signed_in(app, engine, "th")
    client.post("/language", data={"lang": "ar", "next": "/cases", "csrf_token": "forged"})
    with transaction(engine) as s:
        assert s.execute(select(User.language).where(User.username == "th")).scalar_one() is None
    r = client.post("/language", data={"lang": "ar", "next": "/cases", "csrf_token": csrf})
    assert r.status_code == 303
    with transaction(engine) as s:
        assert s.execute(select(User.language).where(User.username == "th")).scalar_one() == "ar"
    elsewhere = TestClient(app, headers={"accept": "text/html", "accept-language": "en"})
    elsewhere.cookies.set(COOKIE, client.cookies.get(COOKIE))  # the same account, another browser
    assert '<html lang="ar" dir="rtl">' in elsewhere.get("/cases").text


def test_page_languages_are_the_accounts_languages() -> None:
    from ctdata.cases.users import PAGE_LANGUAGES

    assert set(PAGE_LANGUAGES) == set(i18n.LANGUAGES)


# --- words made in Python (ctdata.text), dates and numbers, in the page's language ---------------------------


def test_words_made_in_python_are_english_strings_that_keep_their_message_id() -> None:
    """The CLI, the API and the audit see the English sentence; a page sees the message id and parameters."""
    import pickle

    from ctdata.text import Country, Join, Terms, Text

    t = Text("{agency} office in {country}", agency="IOM", country=Country("TH", "Thailand"))
    assert t == "IOM office in Thailand" and t.msgid == "{agency} office in {country}"
    assert i18n.localise(t, "es") == "Oficina de IOM en Tailandia"
    terms = Terms(["Recruitment", "Transportation"])
    assert terms == "recruitment and transportation" and i18n.localise(terms, "fr") == "recrutement et transport"
    assert i18n.localise(Join([Text("Not recorded"), Text("No one")], sep=", "), "fr") == "Non renseigné, Personne"
    assert pickle.loads(pickle.dumps(t)).msgid == t.msgid  # survives a worker process


def test_screening_explanation_in_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    fr = {"accept-language": "fr"}
    base = {"csrf_token": csrf, "actions": ["recruitment"], "purposes": ["forced_labour"]}
    page = client.post("/screening/determine", data=base, headers=fr).text
    explanation = page.split('id="explanation">')[1].split("</p>")[0]
    assert "Enregistré : une action (recrutement) et une finalité (travail ou services forcés)." in explanation
    assert "L’âge au moment de l’exploitation est inconnu" in explanation
    assert ", car une finalité d’exploitation (travail ou services forcés) a été enregistrée" in explanation
    assert "Recorded" not in page and "So the person" not in page and "Still missing" not in page
    assert "Une action" not in page and "Un moyen : la personne a-t-elle été menacée" in page  # what is missing
    child = client.post("/screening/determine", data={**base, "age_at_exploitation": "15"}, headers=fr).text
    assert "La personne était un enfant (15 ans, moins de 18 ans) au moment de l’exploitation" in child
    assert "Enfant au moment de l’exploitation, avec une action et une finalité" in child  # the rule
    ar = client.post("/screening/determine", data=base, headers={"accept-language": "ar"}).text
    assert "التجنيد" in ar and "Recorded" not in ar


def test_error_messages_in_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """A refused date of birth is explained in French at its field, with the banner in French too."""
    client, csrf = signed_in(app, engine, "th")
    form = {"csrf_token": csrf, "given_name": "Ana", "actions": ["recruitment"], "purposes": ["forced_labour"]}
    r = client.post("/screening/register", data={**form, "date_of_birth": "31/02/1994"},
                    headers={"accept-language": "fr"})
    assert r.status_code == 422
    error = r.text.split('id="f-date_of_birth-error">')[1].split("</span></span>")[0]
    assert "Le 31 février 1994 n’existe pas (« 31/02/1994 » n’est pas une date du calendrier)." in error
    assert "There is no" not in r.text and "Non enregistré : veuillez vérifier votre saisie" in r.text
    ambiguous = client.post("/screening/register", data={**form, "date_of_birth": "03/04/1994"},
                            headers={"accept-language": "es"}).text
    assert "puede ser el 3 de abril de 1994 o el 4 de marzo de 1994" in ambiguous
    age = client.post("/screening/determine", data={**form, "age_at_exploitation": "quinze"},
                      headers={"accept-language": "fr"}).text
    assert "Veuillez vérifier le formulaire" in age and "doit être un nombre entier, pas « quinze »" in age
    missing = client.get("/cases/999999", headers={"accept-language": "fr"})
    assert missing.status_code == 404 and "Cette page n’existe pas" in missing.text
    refused = client.get("/admin/users", headers={"accept-language": "fr", "accept": "text/html"})
    assert refused.status_code == 403
    said = "Cette page est réservée aux rôles suivants : administrateurs ; votre rôle (agent de suivi des cas)"
    assert said in refused.text


def test_case_page_values_dates_and_office_in_the_language(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    from ctdata.cases import journeys, service
    from ctdata.cases.tx import transaction
    from tests.web.conftest import CASE, PERSON

    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
        journeys.add_leg(s, actors["th"], case_id, {"from_country": "VN", "to_country": "TH",
                                                     "departure_date": "2023-11-05"})
    client, _ = signed_in(app, engine, "th")
    fr = client.get(f"/cases/{case_id}", headers={"accept-language": "fr"}).text
    main = fr.split("<main")[1]
    assert f"<h1>Dossier {case_id}" in main and "Bureau IOM – Thaïlande" in main
    assert '<time datetime="2024-03-01">1 mars 2024</time> par : Bureau IOM – Thaïlande' in main
    assert "28 ans à l’enregistrement" in main and "Non renseigné" in main
    assert "office in" not in main and "at registration" not in main and "Not recorded" not in main
    journey = client.get(f"/cases/{case_id}/tabs/journey", headers={"accept-language": "es"}).text
    assert '<time datetime="2023-11-05">5 nov 2023</time>' in journey
    en = client.get("/cases", headers={"accept-language": "en"}).text
    assert f">Case {case_id}</a>" in en and '<time datetime="2024-03-01">1 Mar 2024</time>' in en
    assert "IOM office in Thailand" in en


@pytest.mark.parametrize(
    ("lang", "number", "share", "day"),
    [
        ("en", "1,234,567.5", "25.3%", "3 Dec 2026"),
        ("fr", "1\u202f234\u202f567,5", "25,3\u00a0%", "3 déc. 2026"),
        ("es", "1.234.567,5", "25,3\u00a0%", "3 dic 2026"),
        ("ar", "1,234,567.5", "25.3%", "03\u200f/12\u200f/2026"),
    ],
)
def test_numbers_and_dates_follow_the_language(lang: str, number: str, share: str, day: str) -> None:
    from ctdata.web.pages.render import _env

    out = _env(lang).from_string("{{ n|number }}|{{ p|percent(1) }}|{{ d|day }}").render(
        n=1234567.5, p=0.2534, d="2026-12-03")
    assert out == f'{number}|{share}|<time datetime="2026-12-03">{day}</time>'


def test_linkage_estimates_perpetrators_and_script_words_in_the_language(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    import json

    from ctdata.cases import service
    from ctdata.cases.tx import transaction
    from tests.web.conftest import CASE, PERSON

    fr = {"accept-language": "fr"}
    dm, _ = signed_in(app, engine, "dm")
    linkage = dm.get("/linkage", headers=fr).text.split("<main")[1]
    assert "<h1>Revue des rapprochements</h1>" in linkage
    assert "Les enregistrements n’ont pas encore été rapprochés." in linkage
    assert "Waiting for review" not in linkage and "En attente d’examen" in linkage
    analyst, _ = signed_in(app, engine, "analyst")
    estimates = analyst.get("/estimates", headers={"accept-language": "es"}).text.split("<main")[1]
    assert "Estimar el total oculto" in estimates and "Población cerrada" in estimates
    assert "No hay estimación." in estimates and "Closed population" not in estimates
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    th, _ = signed_in(app, engine, "th")
    perpetrators = th.get(f"/cases/{case_id}/tabs/perpetrators", headers={"accept-language": "ar"}).text
    assert "<h2>الجناة</h2>" in perpetrators or "الجناة" in perpetrators
    assert "Means of control" not in perpetrators and "وسائل السيطرة" in perpetrators
    screening = th.get("/screening", headers=fr).text
    words = json.loads(screening.split('<script type="application/json" id="js-words">')[1].split("</script>")[0])
    assert words["went_offline"] == "Pas de connexion : les dépistages sont conservés sur cet appareil, chiffrés."
    assert words["waiting"][1].startswith("1 dépistage enregistré") and words["waiting"][2].startswith("2 dépistages")
    assert words["not_registered"].endswith(": {reason}")  # the script puts the server's reason in


def test_french_puts_a_no_break_space_before_a_colon_and_release_dates_are_localised(  # type: ignore[no-untyped-def]
    app, engine, actors, tmp_path
) -> None:
    """'Dossier 2 : Mai Tran' (the space is in the catalogue, which writes French's spaces everywhere), and the
    releases page writes when a release was made as the language does, not as ISO."""
    import io

    from ctdata.cases import service
    from ctdata.cases.tx import transaction
    from tests.ingest.helpers import record, write_records
    from tests.web.conftest import CASE, PERSON

    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    client, _ = signed_in(app, engine, "th")
    fr = client.get(f"/cases/{case_id}", headers={"accept-language": "fr"}).text
    assert f"<h1>Dossier {case_id}\u00a0: Mai Tran</h1>" in fr
    assert f"<h1>Case {case_id}: Mai Tran</h1>" in client.get(f"/cases/{case_id}").text
    with (i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    plain_space = [m.id for m in catalog if m.id and re.search(r" [:;?!»]|« ", str(m.string))]
    assert not plain_space, plain_space[:5]
    rows = [record(i, sex="female", citizenship="UA", date_of_birth="1990-01-01") for i in range(40)]
    dm, csrf = signed_in(app, engine, "dm")
    data = write_records(tmp_path / "records.csv", rows).read_bytes()
    dm.post("/data/import", data={"csrf_token": csrf}, files={"file": ("p.csv", io.BytesIO(data), "text/csv")})
    dm.post("/data/releases", data={"csrf_token": csrf, "k": "5"})
    page = dm.get("/data/releases", headers={"accept-language": "fr"}).text
    made = re.search(r'<span class="hint"><time datetime="([^"]+)">([^<]+)</time></span>', page)
    assert made is not None and "T" in made[1] and "T" not in made[2] and re.search(r"\d{4}", made[2])
    assert any(month in made[2] for month in ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août",
                                              "sept.", "oct.", "nov.", "déc."))


def test_the_case_lists_orders_are_in_the_language(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """The order select of the case list was English on every page (seen on the French and Arabic screenshots)."""
    client, _ = signed_in(app, engine, "th")
    fr = client.get("/cases", headers={"accept-language": "fr"}).text
    assert "Numéro de dossier, le plus récent d’abord" in fr and "newest first" not in fr
    ar = client.get("/cases", headers={"accept-language": "ar"}).text
    assert "رقم الحالة، الأحدث أولًا" in ar and "newest first" not in ar
