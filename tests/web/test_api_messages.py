"""Refusals that only the API and the CLI meet (no page form sends these values) are words a page can put in
its language (fr, es, ar) like every other service message; the JSON keeps the English sentence. The
transfer refusal names the receiving office's country by name ('IOM Viet Nam'), not by its code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ctdata.cases import screening, service, transfer
from ctdata.cases.tx import transaction
from ctdata.errors import CtdataError
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
