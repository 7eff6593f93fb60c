"""A caseworker's full day in French, in a real browser (Debian's Chromium, headless), as a user would.

The browser asks for French and every step is done with the French labels, buttons and tabs: screening
with the live outcome -> registration of a child -> a journey step -> assistance -> a return refused while
its checks are open -> the written consent, risk assessment and best-interest determination recorded ->
travelled -> a transfer refused for want of a consent to share -> the consent -> the transfer to the
origin office, whose caseworker (in French too) accepts it and records the reintegration follow-up, then
changes to Spanish on the tab they are on.

Each step's result is checked where it shows, and again on a fresh load of every tab (it is stored, not
only swapped into the page). At every step no line of the page is English: labels and headings, and the
words made in Python too (messages, refusals, screening explanations, case references, office names,
values, dates), which were English until the catalogues covered them.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from babel.dates import format_date
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.web.browser_conftest import PASSWORD, LiveServer, browser, live_server  # noqa: F401

GIVEN, FAMILY = "Aminata", "Kouyaté"
TIMEOUT = 15_000

#: words of English sentences that French does not use (a line holding one reads as English)
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|is|was|were|has|have|not|with|for|by|yet|none|no one|recorded|added|requested|your|you|"
    r"this|that|which|when|where|are|been|from|to|in|at|case|yes|no|status|done|read|open|opened|sent)\b",
    re.IGNORECASE,
)


@cache
def _english_terms() -> frozenset[str]:
    """Words the app shows in English when untranslated: the vocabularies' labels and the catalogue's
    English, less the words French writes the same way (Transport, Date, Assistance...)."""
    from babel.messages.pofile import read_po

    from ctdata.standard import vocab
    from ctdata.web.i18n import LOCALE_DIR

    labels = {t for v in vars(vocab).values() if isinstance(v, vocab.Vocabulary) for t in v.terms.values()}
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale="fr")
    english = {m.id for m in catalogue if m.id and isinstance(m.id, str)}
    french = {m.string for m in catalogue if m.id and isinstance(m.string, str)}
    return frozenset((labels | english) - french)


def _is_english(line: str) -> bool:
    return line in _english_terms() or bool(ENGLISH_WORDS.search(line))


def _lines(loc: Locator, selector: str | None = None) -> list[str]:
    """The visible text lines of `loc` (or of its elements matching `selector`), options of selects left out."""
    texts = loc.evaluate(
        """(root, selector) => {
            const parts = selector ? Array.from(root.querySelectorAll(selector)) : [root];
            return parts.filter(e => e.getClientRects().length).map(e => {
                const c = e.cloneNode(true);
                c.querySelectorAll('select').forEach(s => s.remove());
                c.style.position = 'absolute';
                document.body.appendChild(c);
                const t = c.innerText;
                c.remove();
                return t;
            });
        }""",
        selector,
    )
    return [part.strip() for t in texts for line in t.split("\n") for part in line.split("\t") if part.strip()]


def _check_french(page: Page, step: str) -> None:
    """The page is French: `lang`, the French sign-out button, and no line of its main part in English
    (labels, headings, buttons, messages, values and explanations made in Python alike)."""
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    english = [line for line in _lines(page.locator("main")) if _is_english(line)]
    assert not english, f"{step}: English on the French page: {english}"


def DAY(iso: str) -> re.Pattern[str]:  # noqa: N802
    """A stored date as shown: ISO as recorded, or written the French way (1 mars 2025)."""
    french = format_date(date.fromisoformat(iso), format="medium", locale="fr")
    return re.compile(f"{re.escape(iso)}|{re.escape(french)}")


def _login_fr(chrome: Browser, server: LiveServer, username: str) -> tuple[BrowserContext, Page]:
    """Sign in on the login page in French, the language the browser asks for."""
    ctx = chrome.new_context(base_url=server.url, locale="fr-FR")
    ctx.set_default_timeout(TIMEOUT)
    page = ctx.new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")
    return ctx, page


def _tab(page: Page, name: str, heading: str) -> Locator:
    """Open a case tab by its French name; its panel, once it shows the tab's French heading."""
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")
    panel = page.locator("#tab-panel")
    expect(panel.get_by_role("heading", level=2).first).to_have_text(heading)
    return panel


def test_caseworker_day_in_french(browser: Browser, live_server: LiveServer) -> None:  # noqa: F811
    server = live_server
    ctx, page = _login_fr(browser, server, "dest.cw")
    _check_french(page, "case list")

    # --- screening with the live outcome -------------------------------------------------------------
    page.get_by_role("link", name="Nouveau filtrage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Filtrer une personne")
    page.get_by_label("Prénom", exact=True).fill(GIVEN)
    page.get_by_label("Nom de famille", exact=True).fill(FAMILY)
    page.get_by_label("Date de naissance", exact=True).fill("14/03/2010")  # day first, as written in French
    person = page.get_by_role("group", name="La personne", exact=True)  # not a perpetrator's block
    person.get_by_label("Sexe", exact=True).select_option(label="Femme")
    person.get_by_label("Nationalité", exact=True).select_option(label="Laos")
    page.locator("#f-actions-recruitment").check()  # its label holds its explanation too
    page.get_by_label("Travail ou services forcés").check()
    expect(page.locator("#missing")).to_be_visible()  # an adult needs a means: the age is not given yet
    page.get_by_label("Âge au début de l’exploitation", exact=True).fill("14")
    expect(page.locator("#outcome")).to_contain_text("Victime de la traite")
    expect(page.locator("#determination")).to_contain_text("art3_child_action_purpose")
    page.get_by_label("Pays où l’exploitation a eu lieu", exact=True).select_option(label="Thaïlande")
    page.get_by_label("La personne accepte de recevoir une assistance", exact=True).check()
    _check_french(page, "screening")
    page.get_by_role("button", name="Enregistrer le dossier").click()
    page.wait_for_url(re.compile(r"/cases/\d+\?registered=1"))
    case_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    # French puts a no-break space before a colon: "Dossier 2 : Aminata Kouyaté"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dossier {case_id}\u00a0: {GIVEN} {FAMILY}")
    lede = page.locator(".lede")
    expect(lede).to_contain_text("Victime de la traite")
    expect(lede).to_contain_text("Enfant")
    facts = page.locator("#overview-facts")
    expect(facts).to_contain_text(DAY("2010-03-14"))  # the day-first date read as 14 March
    expect(facts).to_contain_text("Femme")
    expect(facts).to_contain_text("Thaïlande")
    expect(page.locator("#exploitation-types")).to_contain_text("Travail forcé")
    _check_french(page, "registered case")

    # --- journey ---------------------------------------------------------------------------------------
    panel = _tab(page, "Parcours", "Parcours")
    page.get_by_label("Pays de départ", exact=True).select_option(label="Laos")
    page.get_by_label("Pays d’arrivée", exact=True).select_option(label="Thaïlande")
    page.get_by_label("Date de départ", exact=True).fill("2024-06-01")
    page.get_by_label("Comment la frontière a-t-elle été franchie ?", exact=True).select_option(
        label="Passage non officiel")
    page.get_by_role("button", name="Ajouter l’étape").click()
    expect(panel.locator("[role=status]")).to_contain_text("1")
    legs = page.locator("#legs")
    for shown in ("Laos", "Thaïlande", "Passage non officiel", DAY("2024-06-01")):
        expect(legs).to_contain_text(shown)
    _check_french(page, "journey")

    # --- assistance -------------------------------------------------------------------------------------
    panel = _tab(page, "Assistance", "Assistance")
    page.get_by_label("Type d’assistance", exact=True).select_option(label="Hébergement ou foyer")
    page.get_by_label("Date", exact=True).fill("2025-01-11")
    page.get_by_label("Fournie par", exact=True).fill("Foyer Baan Kredtrakarn")
    page.get_by_role("button", name="Enregistrer l’assistance").click()
    expect(panel.locator("[role=status]")).to_be_visible()
    rows = page.locator("#assistance-list")
    for shown in ("Hébergement ou foyer", "Foyer Baan Kredtrakarn", DAY("2025-01-11")):
        expect(rows).to_contain_text(shown)
    _check_french(page, "assistance")

    # --- return: refused while its checks are open, then the checks, then travelled -----------------------
    panel = _tab(page, "Retour", "Retour au pays")
    page.get_by_label("Date à laquelle la personne a demandé le retour", exact=True).fill("2025-02-01")
    page.get_by_label("Bureau dans le pays d’origine", exact=True).select_option(label="Laos")
    page.get_by_role("button", name="Demander un retour").click()
    expect(panel.get_by_role("heading", name="Vérifications avant le voyage")).to_be_visible()
    gates = page.locator("#gates")
    for gate in ("consent_written", "risk_assessment", "best_interest_determination", "guardian_willing",
                 "guardian_able"):
        expect(gates.locator(f'li[data-gate="{gate}"]')).to_have_attribute("data-state", "open")
    _check_french(page, "return requested")
    page.get_by_role("button", name="Marquer comme parti").click()
    refusal = panel.locator("[role=alert]")
    expect(refusal.locator("li")).to_have_count(6)  # each open check named, one a line
    expect(gates.locator("li.open")).to_have_count(5)
    _check_french(page, "travel refused")

    def answer(question: str, choice: str) -> None:
        panel.get_by_role("group", name=question, exact=True).get_by_label(choice, exact=True).check()

    answer("La personne a-t-elle donné par écrit son consentement éclairé au retour ?", "Oui")
    page.get_by_label("Risque du retour (évaluation des risques)", exact=True).select_option(label="Moyen")
    page.get_by_label("Comment les risques seront réduits", exact=True).fill("Visite de la famille d’abord.")
    answer("Une autorité de protection de l’enfance a-t-elle décidé que le retour est dans l’intérêt supérieur "
           "de l’enfant ?", "Oui")
    page.get_by_label("Quelle autorité a pris cette décision ?", exact=True).fill("Département de l’enfance")
    answer("Le parent ou tuteur est-il disposé à reprendre l’enfant ?", "Oui")
    answer("Le parent ou tuteur est-il en mesure de s’occuper de l’enfant ?", "Oui")
    page.get_by_role("button", name="Enregistrer les vérifications").click()
    expect(panel.locator("[role=status]")).to_be_visible()
    expect(gates.locator("li.open")).to_have_count(0)
    expect(gates).to_contain_text("Département de l’enfance")
    expect(gates).to_contain_text("Moyen")
    _check_french(page, "return checks")
    page.get_by_label("Date du voyage", exact=True).fill("2025-03-01")
    page.get_by_role("button", name="Marquer comme parti").click()
    expect(panel.locator("[role=status]")).to_contain_text(DAY("2025-03-01"))
    expect(panel.get_by_role("heading", name="Suivi de la réintégration")).to_be_visible()
    expect(page.get_by_role("button", name="Marquer comme parti")).to_have_count(0)
    _check_french(page, "travelled")

    # --- transfer: refused without a consent to share, the consent, then sent -----------------------------
    panel = _tab(page, "Transferts", "Transferts")
    reason = "Rentrée au pays ; réintégration au Laos."
    page.get_by_label("Pays du bureau destinataire", exact=True).select_option(label="Laos")
    page.get_by_label("Pourquoi transférer le dossier ?", exact=True).fill(reason)
    page.get_by_role("button", name="Envoyer la demande de transfert").click()
    expect(panel.locator("[role=alert]")).to_be_visible()
    expect(page.get_by_label("Pourquoi transférer le dossier ?", exact=True)).to_have_value(reason)  # kept
    expect(page.get_by_label("Pays du bureau destinataire", exact=True)).to_have_value("LA")
    expect(page.locator("#transfer-list")).to_have_count(0)
    _check_french(page, "transfer refused")
    panel.locator("[role=alert] a").click()  # the refusal links to the consent tab
    expect(page.get_by_role("tab", name="Consentement", exact=True)).to_have_attribute("aria-selected", "true")
    panel = page.locator("#tab-panel")
    page.get_by_label("La personne accepte", exact=True).select_option(label="Partager le dossier avec un autre bureau")
    page.get_by_label("Partager avec le bureau de (pour le partage)", exact=True).select_option(label="Laos")
    page.get_by_label("Date de signature", exact=True).fill("2025-02-20")
    page.get_by_label("Où le formulaire signé est conservé", exact=True).fill("Dossier TH-2025-014")
    page.get_by_role("button", name="Enregistrer le consentement").click()
    consents = page.locator("#consent-list")
    for shown in ("Partage du dossier", "Laos", "Dossier TH-2025-014", DAY("2025-02-20")):
        expect(consents).to_contain_text(shown)
    _check_french(page, "consent")
    panel = _tab(page, "Transferts", "Transferts")
    page.get_by_label("Pays du bureau destinataire", exact=True).select_option(label="Laos")
    page.get_by_label("Pourquoi transférer le dossier ?", exact=True).fill(reason)
    page.get_by_role("button", name="Envoyer la demande de transfert").click()
    expect(panel.locator("[role=status]")).to_contain_text("Laos")
    expect(page.locator("#transfer-list")).to_contain_text(reason)
    expect(page.locator("#transfer-waiting")).to_be_visible()  # no second transfer while this one waits
    _check_french(page, "transfer sent")

    # --- a fresh load of each tab shows what was recorded ------------------------------------------------
    stored = {
        "overview": ["Victime de la traite", DAY("2010-03-14"), "Laos"],
        "journey": ["Passage non officiel", DAY("2024-06-01")],
        "assistance": ["Hébergement ou foyer", "Foyer Baan Kredtrakarn"],
        "return": ["Département de l’enfance", DAY("2025-03-01")],
        "transfers": [reason],
        "consent": ["Dossier TH-2025-014"],
        "audit": ["dest.cw"],
    }
    for tab, shown in stored.items():
        page.goto(f"/cases/{case_id}?tab={tab}")
        for text in shown:
            expect(page.locator("#tab-panel")).to_contain_text(text)
        _check_french(page, f"{tab} tab, reloaded")
    rows = page.locator("#audit-list tbody tr")
    expect(rows.filter(has_text="dest.cw").first).to_be_visible()
    assert rows.count() >= 9, "registered, screened and each of the seven changes are in the audit trail"
    ctx.close()

    # --- the origin office accepts, in French, and records the follow-up ---------------------------------
    ctx, page = _login_fr(browser, server, "origin.cw")
    page.get_by_role("link", name="Transferts reçus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transferts reçus")
    card = page.locator("article.card")
    expect(card).to_contain_text(reason)
    expect(card).to_contain_text("Thaïlande")
    _check_french(page, "inbox")
    card.get_by_role("button", name=re.compile(r"^Accepter")).click()
    expect(page.locator("#inbox [role=status]")).to_be_visible()
    expect(page.locator("#inbox-empty")).to_have_text("Aucun transfert n’attend votre bureau.")
    _check_french(page, "transfer accepted")
    page.get_by_role("link", name="Dossiers", exact=True).click()
    page.locator("#case-rows").get_by_role("link", name=re.compile(rf"\b{case_id}\b")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(GIVEN)
    expect(page.locator(".lede")).to_contain_text("Laos")  # the case is the origin office's now
    panel = _tab(page, "Retour", "Retour au pays")
    page.get_by_label("Date du dernier suivi", exact=True).fill("2025-06-15")
    page.get_by_label("Où en est la réintégration", exact=True).select_option(label="En cours")
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(panel.locator("[role=status]")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Date du dernier suivi", exact=True)).to_have_value("2025-06-15")
    expect(page.get_by_label("Où en est la réintégration", exact=True)).to_have_value("in_progress")
    _check_french(page, "follow-up")
    # a form opened before the session's token changed (another sign-in): refused in plain French
    page.goto("/screening")
    page.locator("#screening-form input[name=csrf_token]").evaluate("e => e.value = 'from-an-earlier-session'")
    page.locator("#f-given_name").fill("Nga")
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.locator("main")).to_contain_text("Ce formulaire a expiré\u202f; rechargez la page et réessayez.")
    _check_french(page, "expired form")
    # the session ends (here: its cookie names no live session): the sign-in page says why, and leads back
    page.goto(f"/cases/{case_id}?tab=return")
    ctx.add_cookies([{"name": "ctdata_session", "value": "an-ended-session", "url": server.url}])
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    expect(page.get_by_role("status")).to_contain_text("Votre session a pris fin")
    english = [line for line in _lines(page.locator("main")) if _is_english(line)]
    assert not english, f"session ended: English on the French page: {english}"
    page.get_by_label("Nom d’utilisateur").fill("origin.cw")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}"))
    # another language, chosen on a tab opened in the page: the switch comes back to that tab
    _tab(page, "Parcours", "Parcours")
    page.get_by_label("Langue", exact=True).select_option(label="Español")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"\?tab=journey$"))
    expect(page.locator("#tab-journey")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#legs")).to_contain_text("Laos")
    ctx.close()
