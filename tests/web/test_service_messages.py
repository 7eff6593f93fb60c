"""Service messages in plain words and in the page's language (issue 19): a value outside a code list,
pydantic's own refusals, the quarantine's row reasons, the four-eyes and release refusals, an expired form
(CSRF) and an ended session. The CLI, the API and the audit keep the English sentence."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from ctdata.cases import users
from ctdata.cases.tx import transaction
from ctdata.ingest.validate import TableValidator
from ctdata.store.models import User
from ctdata.web import i18n
from ctdata.web.security import COOKIE
from tests.ingest.helpers import record, write_records
from tests.web.conftest import make_user
from tests.web.test_pages import signed_in

FR = {"accept-language": "fr"}
#: pydantic's and the validators' developer wording, which no page may show
DEVELOPER = re.compile(r"Input should|String should|Value error|Field required|Extra inputs|is not a \w+ code|"
                       r"expected one of|CSRF|required value is empty|appears twice in this file")


def _error_of(page: str, field: str) -> str:
    return page.split(f'id="f-{field}-error">')[1].split("</span></span>")[0]


def test_a_value_outside_a_code_list_and_pydantic_refusals_are_plain_and_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    form = {"csrf_token": csrf, "given_name": "Ana", "actions": ["recruitment"], "purposes": ["forced_labour"]}
    r = client.post("/screening/register", data={**form, "sex": "robot", "family_name": "x" * 201}, headers=FR)
    assert r.status_code == 422
    assert "«\u00a0robot\u00a0» ne fait pas partie des valeurs admises ici (utilisez l’une de celles-ci\u00a0: female" \
        in _error_of(r.text, "sex")
    assert "Trop long\u00a0: 200 caractères au plus." in _error_of(r.text, "family_name")
    assert "2 champs doivent être corrigés" in r.text and not DEVELOPER.search(r.text.split("<main")[1])
    es = client.post("/screening/register", data={**form, "sex": "robot"}, headers={"accept-language": "es"}).text
    assert "«robot» no es uno de los valores admitidos aquí" in es
    ar = client.post("/screening/register", data={**form, "sex": "robot"}, headers={"accept-language": "ar"}).text
    assert "«robot» ليست من القيم المقبولة هنا" in ar
    en = client.post("/screening/register", data={**form, "sex": "robot"}).text
    assert "“robot” is not one of the values allowed here (use one of: female, male" in en


def test_row_reasons_are_read_back_from_english_into_every_language() -> None:
    """A quarantine reason is stored in English (the CLI shows it); a page reads it back into its language."""
    validator = TableValidator("records")
    row = {**{k: str(v) for k, v in record(1).items()}, "sex": "robot", "date_of_birth": "31/02/1994",
           "citizenship": "Atlantis", "registration_date": ""}
    with pytest.raises(Exception) as exc:
        validator.row(row)
    reason = str(exc.value)
    assert "sex: “robot” is not one of the values allowed here" in reason and "registration_date" in reason
    again = i18n.reread(reason)
    assert str(again) == reason  # the same English for the CLI and the audit
    fr = str(i18n.localise(again, "fr"))
    assert "sex\u00a0: «\u00a0robot\u00a0» ne fait pas partie des valeurs admises ici" in fr
    assert "le 31 février 1994 n’existe pas" in fr and "«\u00a0Atlantis\u00a0» n’est pas un pays connu" in fr
    assert "registration_date\u00a0: valeur obligatoire vide" in fr and not DEVELOPER.search(fr)
    assert "calendrier)\u202f; sex\u00a0:" in fr  # French writes its own list of problems
    assert "no es uno de los valores admitidos" in str(i18n.localise(again, "es"))
    assert i18n.reread("something no catalogue says") == "something no catalogue says"


def test_quarantine_pages_show_row_reasons_in_french(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [record(0, agency="IOM"), record(1, agency="IOM", sex="robot", date_of_birth="31/02/1994"),
            record(2, agency="IOM"), {**record(3, agency="IOM"), "record_id": record(2)["record_id"]}]
    dm, csrf = signed_in(app, engine, "dm")
    data = write_records(tmp_path / "records.csv", rows).read_bytes()
    dm.post("/data/import", data={"csrf_token": csrf}, files={"file": ("partner.csv", io.BytesIO(data), "text/csv")},
            headers=FR)
    listing = dm.get("/data/quarantine", headers=FR).text
    main = listing.split("<main")[1]
    assert "«\u00a0robot\u00a0» ne fait pas partie des valeurs admises ici" in main
    assert "figure deux fois dans ce fichier (d’abord à la ligne" in main
    assert "Lignes en attente d’une correction" in main and ">dossiers</td>" in main and not DEVELOPER.search(main)
    qid = int(re.search(r'href="/data/quarantine/(\d+)"', listing)[1])
    page = dm.get(f"/data/quarantine/{qid}", headers=FR).text.split("<main")[1]
    assert f"<h1>Ligne en quarantaine n°\u00a0{qid}</h1>" in page and "de la table «\u00a0dossiers\u00a0»" in page
    assert "sex\u00a0: «\u00a0robot\u00a0» ne fait pas partie" in page.split('id="q-reason">')[1]
    assert "Le 31 février 1994 n’existe pas" in page and not DEVELOPER.search(page)


def test_release_refusals_in_french(app, engine, actors, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [record(i, sex="female", citizenship="UA", date_of_birth="1990-01-01") for i in range(40)]
    dm, csrf = signed_in(app, engine, "dm")
    data = write_records(tmp_path / "records.csv", rows).read_bytes()
    dm.post("/data/import", data={"csrf_token": csrf}, files={"file": ("p.csv", io.BytesIO(data), "text/csv")})
    created = dm.get(dm.post("/data/releases", data={"csrf_token": csrf, "k": "5"}).headers["location"])
    rid = re.search(r'<tr id="release-([^"]+)"', created.text)[1]
    own = dm.post(f"/data/releases/{rid}/approve", data={"csrf_token": csrf}, headers=FR)
    assert own.status_code == 403
    assert "une autre personne que celle qui l’a créée (principe des quatre yeux)" in own.text
    make_user(engine, "dm2", "data_manager", None, "IOM")
    dm2, csrf2 = signed_in(app, engine, "dm2")
    assert dm2.post(f"/data/releases/{rid}/approve", data={"csrf_token": csrf2}).status_code in (200, 303)
    again = dm2.post(f"/data/releases/{rid}/approve", data={"csrf_token": csrf2}, headers=FR)
    assert again.status_code == 409 and f"La version {rid} est approuvée\u202f; seul un brouillon" in again.text
    empty = dm.post(f"/data/releases/{rid}/withdraw", data={"csrf_token": csrf, "reason": ""}, headers=FR)
    assert empty.status_code == 422 and "Indiquez pourquoi la version est retirée." in empty.text
    assert "--reason" not in empty.text and "four eyes" not in own.text


def test_an_expired_form_and_an_ended_session_are_said_in_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    client, _ = signed_in(app, engine, "th")
    stale = client.post("/screening/register", data={"csrf_token": "from-an-earlier-session"}, headers=FR)
    assert stale.status_code == 403 and "Ce formulaire a expiré\u202f; rechargez la page et réessayez." in stale.text
    assert "CSRF" not in stale.text
    api = client.post("/screening/register", data={"csrf_token": "x"}, headers={"accept": "application/json"})
    assert "missing or wrong CSRF token" in api.json()["detail"]  # the API client reads what is wrong
    with transaction(engine) as s:
        user = s.execute(select(User).where(User.username == "th")).scalar_one()
        old = users.start_session(s, user, minutes=-1)
    client.cookies.set(COOKIE, old.token)
    r = client.get("/cases?page=2", headers=FR)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/cases") and "ended=1" in r.headers[
        "location"]
    login = client.get(r.headers["location"], headers=FR).text
    assert "Votre session a pris fin" in login and "Reconnectez-vous pour revenir à la page" in login
    fresh = client.get("/login", headers=FR).text  # a first visit says nothing of a session
    assert "Votre session a pris fin" not in fresh


def test_case_refusals_and_a_bad_address_are_plain_and_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """A page address with a number that is not one, and a change to a voided case: each refused in the
    page's language, none in developer words."""
    from ctdata.cases import closure, service
    from tests.web.conftest import CASE, PERSON

    client, csrf = signed_in(app, engine, "th")
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    page = client.get(f"/cases/{case_id}?registered=oui", headers=FR)
    main = page.text.split("<main")[1]
    assert page.status_code == 422 and "Registered\u00a0: doit être un nombre entier." in main
    assert not DEVELOPER.search(main)
    with transaction(engine) as s:
        closure.void_case(s, actors["th"], case_id, "registered twice")
    r = client.post(f"/cases/{case_id}/journey", data={"csrf_token": csrf, "to_country": "TH"}, headers=FR)
    assert r.status_code == 409
    assert f"Le dossier {case_id} a été annulé (enregistré par erreur)\u202f; il ne peut plus être modifié" in r.text


#: English sentences of the admin-level refusals below, which a French page must not show
ADMIN_ENGLISH = re.compile(r"unknown agency|agency registry|needs an active|is not one|already erased|say why the data|"
                           r"names the person|may not |no published release|search by case number|choose the file")


def test_admin_refusals_are_said_in_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """An account for an agency nobody registered (the users page), the publish account check, the erasure's
    refusals and the role refusal of a service: each in the page's language; the CLI and audit keep English."""
    from ctdata.cases import agencies, erasure, service
    from ctdata.cases.access import Actor, require_role
    from ctdata.errors import Conflict, PermissionDenied, ValidationError
    from ctdata.publish.flows import APPROVE_ROLES
    from tests.web.conftest import CASE, PERSON

    admin, csrf = signed_in(app, engine, "admin")
    form = {"csrf_token": csrf, "username": "kim", "role": "caseworker", "office_country": "TH", "agency": "IMO",
            "password": "a-long-enough-password"}
    r = admin.post("/admin/users", data=form, headers=FR)
    main = r.text.split("<main")[1]
    assert r.status_code == 422 and "Agence inconnue «\u00a0IMO\u00a0»" in main
    assert not ADMIN_ENGLISH.search(main)
    english = admin.post("/admin/users", data=form).text
    assert "nknown agency &#39;IMO&#39;: not in the agency registry" in english

    def french(exc: BaseException) -> str:
        return str(i18n.localise(exc.args[0], "fr"))

    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
        with pytest.raises(PermissionDenied) as denied:
            users.require_account(s, actors["analyst"], APPROVE_ROLES, "release_approve", "release", "r1")
        with pytest.raises(ValidationError) as no_reason:
            erasure.erase_person(s, actors["admin"], case_id, "  ")
        with pytest.raises(ValidationError) as named:
            erasure.erase_person(s, actors["admin"], case_id, "Mai asked on 2024-05-01")
        with pytest.raises(PermissionDenied) as role:
            require_role(s, actors["th"], agencies.REGISTRARS, "agency.create")
        with pytest.raises(Conflict) as twice:
            agencies.register_agency(s, actors["admin"], "iom")
    assert str(denied.value) == ("release approve needs an active admin or data-manager account; 'analyst' is not one "
                                 "(role analyst may not release approve)")
    assert french(denied.value).startswith("pour approuver une version, il faut un compte actif (")
    assert "gestionnaire de données" in french(denied.value)
    assert french(no_reason.value).startswith("indiquez pourquoi les données sont effacées")
    assert "le motif nomme la personne (prénom)" in french(named.value)
    assert french(role.value).startswith("le rôle «\u00a0") and french(role.value).endswith(
        "\u00a0» n’autorise pas à enregistrer une agence")
    assert french(twice.value) == "l’agence «\u00a0IOM\u00a0» est déjà enregistrée"
    for exc in (denied, no_reason, named, role, twice):
        assert not ADMIN_ENGLISH.search(french(exc.value)), french(exc.value)
        assert not ADMIN_ENGLISH.search(str(i18n.localise(exc.value.args[0], "es"))), exc.value
    assert isinstance(actors["th"], Actor)


def test_page_refusals_from_the_services_are_said_in_french(app, engine, actors) -> None:  # type: ignore[no-untyped-def]
    """A name search by a role that sees no names, an import posted without its file."""
    analyst, _ = signed_in(app, engine, "analyst")
    r = analyst.get("/cases?q=Mai", headers=FR)
    main = r.text.split("<main")[1]
    assert "Votre rôle permet de chercher par numéro de dossier seulement" in main
    dm, csrf = signed_in(app, engine, "dm")
    r = dm.post("/data/import", data={"csrf_token": csrf}, files={"file": ("", b"", "text/csv")}, headers=FR)
    main = r.text.split("<main")[1]
    assert r.status_code == 422 and "Choisissez le fichier à importer." in main
    assert not ADMIN_ENGLISH.search(main) and not DEVELOPER.search(main)


#: the screening form's refusals in each language: an age out of range, an unaccompanied child recorded for an
#: adult, a code outside its list (English on every page before, the code's in developer words)
SCREENING_SAID = {
    "fr": ("200 n’est pas un âge compris entre 0 et 130",
           "«\u00a0Enfant non accompagné ou séparé\u00a0» a été indiqué, mais la personne avait 30 ans lors de "
           "l’exploitation",
           "«\u00a0robot\u00a0» ne fait pas partie des valeurs admises ici"),
    "es": ("200 no es una edad entre 0 y 130",
           "registró «Niño no acompañado o separado», pero la persona tenía 30 años durante la explotación",
           "«robot» no es uno de los valores admitidos aquí"),
    "ar": ("200 ليس عمرًا بين 0 و130",
           "سُجِّل «طفل غير مصحوب أو منفصل عن ذويه»، لكن عمر الشخص كان 30 سنة عند الاستغلال",
           "«robot» ليست من القيم المقبولة هنا"),
}
SCREENING_ENGLISH = re.compile(r"is not an age between|was recorded, but|cannot be a child now|unknown \w+ code")


@pytest.mark.parametrize("lang", sorted(SCREENING_SAID))
def test_the_screening_forms_refusals_are_in_the_pages_language(app, engine, actors, lang: str) -> None:  # type: ignore[no-untyped-def]
    client, csrf = signed_in(app, engine, "th")
    headers = {"accept-language": lang}
    age, child, code = SCREENING_SAID[lang]
    form = {"csrf_token": csrf, "actions": ["recruitment"], "purposes": ["forced_labour"]}
    adult_child = {**form, "age_at_exploitation": "30", "vulnerabilities": ["unaccompanied_child"]}
    for said, data in ((age, {**form, "age_at_exploitation": "200"}), (child, adult_child),
                       (code, {**form, "actions": ["robot"]})):
        panel = client.post("/screening/determine", data=data, headers={**headers, "hx-request": "true"}).text
        assert said in panel, (lang, panel[-800:])  # the live outcome panel
        assert not SCREENING_ENGLISH.search(panel) and not DEVELOPER.search(panel), panel[-800:]
    r = client.post("/screening/register", data={**form, "given_name": "Ana", "age_at_exploitation": "200"},
                    headers=headers)
    assert r.status_code == 422 and age in _error_of(r.text, "age_at_exploitation")  # beside its field
    r = client.post("/screening/register", data={**adult_child, "given_name": "Ana"}, headers=headers)
    main = r.text.split("<main")[1]
    assert r.status_code == 422 and child in main and not SCREENING_ENGLISH.search(main)
    assert ('<html lang="ar" dir="rtl">' in r.text) is (lang == "ar")
    en = client.post("/screening/determine", data={**form, "age_at_exploitation": "200"}).text
    assert "200 is not an age between 0 and 130" in en


#: a page's words when what it asks for is not there: the error's title, and a transfer that is not there
NOT_FOUND_SAID = {
    "fr": ("Page introuvable", "Transfert 999 introuvable"),
    "es": ("Página no encontrada", "Transferencia 999 no encontrada"),
    "ar": ("الصفحة غير موجودة", "التحويل 999 غير موجود"),
}


@pytest.mark.parametrize("lang", sorted(NOT_FOUND_SAID))
def test_not_found_is_said_in_the_pages_language(app, engine, actors, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A case (or a return of it) that is not there or not the reader's: a tab's fragment (HTMX) was titled
    'Page not found' in English on every page. A transfer that is not there: 'Transfer 999 not found' on the
    inbox. The API's JSON keeps its English sentence (tests/web/test_api_messages.py)."""
    from ctdata.cases import service
    from tests.web.conftest import CASE, PERSON

    client, csrf = signed_in(app, engine, "th")
    headers = {"accept-language": lang}
    title, transfer = NOT_FOUND_SAID[lang]
    with transaction(engine) as s:
        case_id = service.register_case(s, actors["th"], PERSON, CASE).id
    htmx = {**headers, "hx-request": "true"}
    tab = client.get(f"/cases/{case_id + 1000}/tabs/journey", headers=htmx)
    travelled = client.post(f"/cases/{case_id}/return/travelled", headers=htmx, data={
        "csrf_token": csrf, "return_id": "999", "version": "1", "travel_date": "2024-01-01"})
    for r in (tab, travelled):
        assert r.status_code == 404 and f"<strong>{title}</strong>" in r.text and "not found" not in r.text, r.text
    inbox = client.post("/transfers/999/accept", data={"csrf_token": csrf}, headers=headers)
    main = inbox.text.split("<main")[1]
    assert inbox.status_code == 404 and transfer in main and "not found" not in main
    assert "Transfer 999 not found." in client.post("/transfers/999/accept", data={"csrf_token": csrf}).text
