"""Refusals that only the API and the CLI meet (no page form sends these values) are words a page can put in
its language (fr, es, ar) like every other service message; the JSON keeps the English sentence. The
transfer refusal names the receiving office's country by name ('IOM Viet Nam'), not by its code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ctdata.cases import returns, screening, service, transfer
from ctdata.cases.tx import transaction
from ctdata.errors import CtdataError, NotFound
from ctdata.screening import ScreeningInput, ages
from ctdata.standard import countries
from ctdata.text import Text, words_of
from ctdata.web import i18n
from tests.web.conftest import CASE, PERSON, bearer

#: what each refusal says in English (unchanged for the API, the CLI and the audit) and in each language
SAID = {
    "fields": (
        "these case fields cannot be changed here: status",
        {
            "fr": "ces champs du dossier ne peuvent pas être modifiés ici\u00a0: status",
            "es": "estos campos del caso no se pueden cambiar aquí: status",
            "ar": "لا يمكن تغيير حقول الحالة هذه هنا: status",
        },
    ),
    "given": (
        "given must be true or false",
        {
            "fr": "given doit valoir true ou false",
            "es": "given debe ser true o false",
            "ar": "يجب أن تكون قيمة given إما true أو false",
        },
    ),
    "screening_fields": (
        "unknown screening fields: colour",
        {
            "fr": "champs de dépistage inconnus\u00a0: colour",
            "es": "campos de cribado desconocidos: colour",
            "ar": "حقول فحص غير معروفة: colour",
        },
    ),
    "indicators": (
        "indicators must be a list of text",
        {
            "fr": "indicators doit être une liste de textes",
            "es": "indicators debe ser una lista de textos",
            "ar": "يجب أن تكون indicators قائمة نصوص",
        },
    ),
    "no_reason": (
        "an override needs a reason: say why the determination is changed",
        {
            "fr": "modifier la détermination demande un motif\u00a0: dites pourquoi elle est modifiée",
            "es": "modificar la determinación requiere un motivo: indique por qué se cambia",
            "ar": "تعديل القرار يحتاج إلى سبب: اذكر لماذا يُعدَّل القرار",
        },
    ),
    "already": (
        "the determination is already “Victim of trafficking”; nothing to override",
        {
            "fr": "la détermination est déjà «\u00a0Victime de la traite\u00a0»\u202f; il n’y a rien à modifier",
            "es": "la determinación ya es «Víctima de trata»; no hay nada que modificar",
            "ar": "القرار هو بالفعل «ضحية اتجار»؛ لا يوجد ما يُعدَّل",
        },
    ),
}

SCREEN = {"actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"]}


def _refusal(engine, actors, what: str) -> CtdataError:  # type: ignore[no-untyped-def]
    th = actors["th"]
    with transaction(engine) as s:
        case = service.register_case(s, th, PERSON, CASE)
        done = screening.screen(s, th, case.id, SCREEN, expected_version=case.version)
    calls: dict[str, Callable[[Any], Any]] = {
        "fields": lambda s: service.update_case(s, th, case.id, done["case_version"], {"status": "closed"}),
        "given": lambda s: transfer.record_consent(s, th, case.id, {"kind": "research", "given": "yes"}),
        "screening_fields": lambda s: screening.screen(s, th, case.id, {**SCREEN, "colour": "red"}),
        "indicators": lambda s: screening.screen(s, th, case.id, {**SCREEN, "indicators": "debt"}),
        "no_reason": lambda s: screening.override(s, th, case.id, done["screening_id"], "vulnerable_migrant", "  "),
        "already": lambda s: screening.override(
            s, th, case.id, done["screening_id"], "victim_of_trafficking", "checked again"
        ),
    }
    with pytest.raises(CtdataError) as exc, transaction(engine) as s:
        calls[what](s)
    return exc.value


@pytest.mark.parametrize("what", sorted(SAID))
def test_api_only_refusals_are_words_a_page_puts_in_its_language(engine, actors, what: str) -> None:  # type: ignore[no-untyped-def]
    exc = _refusal(engine, actors, what)
    english, langs = SAID[what]
    assert str(exc) == english  # the API's JSON, the CLI and the audit
    words = words_of(exc)
    assert isinstance(words, Text)
    for lang, said in langs.items():
        assert said in str(i18n.localise(words, lang)), lang


def test_the_api_keeps_the_english_sentence_in_any_language(client, engine, actors) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as s:
        case = service.register_case(s, actors["th"], PERSON, CASE)
        done = screening.screen(s, actors["th"], case.id, SCREEN, expected_version=case.version)
    headers = {**bearer(engine, "th"), "accept-language": "fr"}
    r = client.post(
        f"/api/v1/cases/{case.id}/screenings/{done['screening_id']}/override",
        json={"determination": "victim_of_trafficking", "reason": "checked again"},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["detail"] == SAID["already"][0]


def test_the_transfer_refusal_names_the_office_by_its_country(client, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """The finding: 'the person has not consented to share their case with IOM VN' (the country's code), in the
    API's answer and in the words a page would translate."""
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    r = client.post(
        f"/api/v1/cases/{case_id}/transfers",
        json={"to_office_country": "VN", "to_agency": "IOM"},
        headers={**bearer(engine, "th"), "accept-language": "fr"},
    )
    assert r.status_code == 409
    assert f"share their case with IOM {countries.name('VN')}: record" in r.json()["detail"]
    assert "IOM VN" not in r.json()["detail"]
    with pytest.raises(CtdataError) as exc, transaction(engine) as s:
        transfer.request_transfer(s, actors["th"], case_id, {"to_office_country": "VN", "to_agency": "IOM"})
    for lang, said in {
        "fr": "de son dossier avec IOM {}\u00a0: enregistrez",
        "es": "compartir su caso con IOM {}:",
        "ar": "مع IOM {}:",
    }.items():
        assert said.format(i18n.country_name("VN", lang)) in str(i18n.localise(words_of(exc.value), lang)), lang


#: refusals of the screening's age rules (ctdata.screening.ages) and of its input that no page form sends: the
#: English sentence each said before (kept for the CLI, the API and the audit) and the words in each language
SCREENING_INPUT: dict[str, tuple[Callable[[], Any], str, dict[str, str]]] = {
    "no_date": (
        lambda: ages.date_range("soon"),
        "date 'soon' is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD",
        {
            "fr": "date 'soon'\u00a0: ce n’est pas une date de la forme AAAA, AAAA-MM ou AAAA-MM-JJ",
            "es": "fecha 'soon': no es una fecha de la forma AAAA, AAAA-MM o AAAA-MM-DD",
            "ar": "التاريخ 'soon': ليس تاريخًا بإحدى الصيغ YYYY أو YYYY-MM أو YYYY-MM-DD "
                  "(السنة، أو السنة والشهر، أو التاريخ كاملًا)",
        },
    ),
    "no_such_day": (
        lambda: ages.from_dob("2001-02-30", "2020"),
        "date of birth '2001-02-30' is not a real calendar date",
        {
            "fr": "date de naissance '2001-02-30'\u00a0: cette date n’existe pas dans le calendrier",
            "es": "fecha de nacimiento '2001-02-30': esa fecha no existe en el calendario",
            "ar": "تاريخ الميلاد '2001-02-30': هذا التاريخ غير موجود في التقويم",
        },
    ),
    "exploited_before_birth": (
        lambda: ages.from_dob("2010-05-01", "2009-12-31"),
        "exploitation date 2009-12-31 is before the date of birth 2010-05-01; check both dates",
        {
            "fr": "la date d’exploitation 31 déc. 2009 est antérieure à la date de naissance 1 mai 2010\u202f; "
                  "vérifiez les deux dates",
            "es": "la fecha de explotación 31 dic 2009 es anterior a la fecha de nacimiento 1 may 2010; "
                  "compruebe ambas fechas",
            "ar": "تاريخ الاستغلال 31\u200f/12\u200f/2009 سابق لتاريخ الميلاد 01\u200f/05\u200f/2010؛ "
                  "تحقّق من التاريخين",
        },
    ),
    "day_before_birth": (
        lambda: ages.age_on(date(2010, 5, 1), date(2010, 4, 30)),
        "the date 2010-04-30 is before the date of birth 2010-05-01",
        {
            "fr": "la date 30 avr. 2010 est antérieure à la date de naissance 1 mai 2010",
            "es": "la fecha 30 abr 2010 es anterior a la fecha de nacimiento 1 may 2010",
            "ar": "التاريخ 30\u200f/04\u200f/2010 سابق لتاريخ الميلاد 01\u200f/05\u200f/2010",
        },
    ),
    "too_old": (
        lambda: ages.from_dob("1800", "2020"),
        "date of birth 1800 gives an age over 130; check the year",
        {
            "fr": "la date de naissance 1800 donne un âge de plus de 130 ans\u202f; vérifiez l’année",
            "es": "la fecha de nacimiento 1800 da una edad de más de 130 años; compruebe el año",
            "ar": "تاريخ الميلاد 1800 يعطي عمرًا يزيد على 130 سنة؛ تحقّق من السنة",
        },
    ),
    "not_a_list": (
        lambda: ScreeningInput.parse({"actions": "recruitment"}),
        "actions must be a list of codes, got 'recruitment'",
        {
            "fr": "actions doit être une liste de codes (reçu\u00a0: 'recruitment')",
            "es": "actions debe ser una lista de códigos (se recibió: 'recruitment')",
            "ar": "يجب أن تكون actions قائمة رموز (القيمة المستلمة: 'recruitment')",
        },
    ),
    "not_an_object": (
        lambda: ScreeningInput.parse(["recruitment"]),  # type: ignore[arg-type]
        "screening input must be an object, got list",
        {
            "fr": "les données du dépistage doivent former un objet (reçu\u00a0: list)",
            "es": "los datos del cribado deben ser un objeto (se recibió: list)",
            "ar": "يجب أن تكون مدخلات الفحص كائنًا (القيمة المستلمة: list)",
        },
    ),
}


@pytest.mark.parametrize("what", sorted(SCREENING_INPUT))
def test_the_age_rules_and_screening_input_refusals_are_words_a_page_puts_in_its_language(what: str) -> None:
    """ctdata.screening said these refusals in English f-strings, which no page could translate."""
    call, english, langs = SCREENING_INPUT[what]
    with pytest.raises(CtdataError) as exc:
        call()
    assert str(exc.value) == english  # the CLI, the API and the audit
    words = words_of(exc.value)
    assert isinstance(words, Text)
    for lang, said in langs.items():
        assert str(i18n.localise(words, lang)) == said, lang


def test_not_found_of_a_case_a_return_and_a_screening_in_every_language(client, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """'case N not found' and its siblings are words a page puts in its language; the API's JSON keeps English."""
    th = actors["th"]
    with transaction(engine) as s:
        case = service.register_case(s, th, PERSON, CASE)
        cid, version = case.id, case.version
    missing = cid + 1000
    calls: dict[str, tuple[Callable[[Any], Any], str, dict[str, str]]] = {
        "case": (lambda s: service.get_case(s, th, missing), f"case {missing} not found",
                 {"fr": f"dossier {missing} introuvable", "es": f"caso {missing} no encontrado",
                  "ar": f"الحالة {missing} غير موجودة"}),
        "return": (lambda s: returns.update_return(s, th, cid, 999, {}, version),
                   f"return 999 of case {cid} not found",
                   {"fr": f"retour 999 du dossier {cid} introuvable", "es": f"retorno 999 del caso {cid} no encontrado",
                    "ar": f"العودة 999 للحالة {cid} غير موجودة"}),
        "screening": (lambda s: screening.override(s, th, cid, 999, "vulnerable_migrant", "checked"),
                      f"screening 999 of case {cid} not found",
                      {"fr": f"dépistage 999 du dossier {cid} introuvable",
                       "es": f"cribado 999 del caso {cid} no encontrado", "ar": f"الفحص 999 للحالة {cid} غير موجود"}),
    }
    for what, (call, english, langs) in calls.items():
        with pytest.raises(NotFound) as exc, transaction(engine) as s:
            call(s)
        assert str(exc.value) == english, what
        for lang, said in langs.items():
            assert str(i18n.localise(words_of(exc.value), lang)) == said, (what, lang)
    r = client.get(f"/api/v1/cases/{missing}", headers={**bearer(engine, "th"), "accept-language": "ar"})
    assert r.status_code == 404 and r.json() == {"detail": f"case {missing} not found"}  # the API stays English
