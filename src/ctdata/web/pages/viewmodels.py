"""Turn the case services' dicts into what the templates show: labels, not codes.

Why a separate step: the services decide *what* an actor may see (identifying
fields are absent from an analyst's dict); this module decides *how* it reads,
in plain language, and adds nothing the service did not give. A template never
sees a code it would have to translate itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ctdata.screening import RULES, Determination
from ctdata.standard import countries, vocab
from ctdata.standard import models as std
from ctdata.text import Country, Day, Join, Plain, Sentence, Terms, Text
from ctdata.web.i18n import N_
from ctdata.web.pages.render import office_label

STATUS_KIND = {
    "screening": "info",
    "victim_of_trafficking": "bad",
    "vulnerable_migrant": "warn",
    "not_eligible": "info",
    "closed": "info",
}
DETERMINATION_KIND = {"victim_of_trafficking": "bad", "vulnerable_migrant": "warn", "not_eligible": "info"}
RETURN_KIND = {"requested": "warn", "approved": "ok", "travelled": "ok", "cancelled": "info"}
TRANSFER_KIND = {"pending": "warn", "accepted": "ok", "rejected": "bad"}

#: Plain words for the Protocol elements the engine reports as missing.
MISSING_WORDS = {
    "action": Text("An action: was the person recruited, moved, transferred, harboured or received?"),
    "means": Text("A means: was the person threatened, forced, deceived, or was their vulnerability abused? "
                  "(Not needed for a child.)"),
    "purpose": Text("A purpose: what was the person exploited for, or meant to be exploited for?"),
    "age_at_exploitation": Text("The age when the exploitation began: for a child no means is needed."),
}

#: Short help beside each Protocol code on the screening form.
HELP = {
    "actions": {
        "recruitment": Text("Someone found, hired or persuaded the person, e.g. with a job offer."),
        "transportation": Text("Someone moved the person or arranged their travel."),
        "transfer": Text("The person was handed over from one person or group to another."),
        "harbouring": Text("The person was housed or kept somewhere, or hidden."),
        "receipt": Text("Someone took in or collected the person on arrival."),
    },
    "means": {
        "threat": Text("Threats against the person or their family."),
        "use_of_force": Text("Violence or physical force."),
        "coercion": Text("Other pressure that left no real choice."),
        "abduction": Text("Taken away against their will."),
        "fraud": Text("Tricked with false papers, contracts or promises."),
        "deception": Text("Lied to about the work, pay or conditions."),
        "abuse_of_power": Text("Someone with power over them used it (employer, official, family head)."),
        "abuse_of_vulnerability": Text("Their poverty, debt, status or dependence was used against them."),
        "payments": Text("Someone was paid to hand over control of the person."),
    },
    "purposes": {
        "sexual_exploitation": Text("Made to sell sex or take part in sexual acts or images."),
        "forced_labour": Text("Made to work or serve under threat, without real freedom to leave."),
        "slavery": Text("Treated as property, or held in debt bondage."),
        "servitude": Text("Made to live and work for someone with no way out."),
        "organ_removal": Text("Brought to have an organ removed."),
        "forced_marriage": Text("Made to marry against their will."),
        "forced_begging": Text("Made to beg for someone else."),
        "forced_criminality": Text("Made to commit crimes such as theft or drug selling."),
        "other": Text("Another form of exploitation."),
    },
}

GATE_LABELS = {
    "consent_written": Text("Written, informed consent to return"),
    "risk_assessment": Text("Risk assessment with how the risks will be reduced"),
    "child_known": Text("Whether the person is a child is recorded"),
    "best_interest_determination": Text("Best-interest determination by a child protection authority"),
    "guardian_willing": Text("Parent or guardian willing to take the child back"),
    "guardian_able": Text("Parent or guardian able to care for the child"),
}


def rule_words(rule: str) -> str:
    """The sentence of a screening rule (`ctdata.screening.RULES`), to be put in the page's language."""
    return RULES.get(rule, "")


def gate_states(r: dict[str, Any]) -> list[tuple[str, bool | None]]:
    """Each gate of a return and whether it is met (None: not needed for this person).

    Mirrors ctdata.cases.returns.open_gates, whose sentences stay the authority on
    refusal; this only lays the same rules out as a checklist.
    """
    child = r.get("is_child")
    child_gate: bool | None = None if child is False else True
    nothing_open = not r.get("open_gates")  # the service's word wins (e.g. mitigations hidden from analysts)
    risk = bool(r.get("risk_level")) and bool((r.get("risk_mitigations") or "").strip())
    gates: list[tuple[str, bool | None]] = [
        ("consent_written", bool(r.get("consent_written")) or nothing_open),
        ("risk_assessment", risk or nothing_open),
    ]
    if child is None:
        gates.append(("child_known", False))
    gates += [
        ("best_interest_determination", bool(r.get("best_interest_determination")) if child_gate else None),
        ("guardian_willing", bool(r.get("guardian_willing")) if child_gate else None),
        ("guardian_able", bool(r.get("guardian_able")) if child_gate else None),
    ]
    return gates


AUDIT_WORDS = {
    "case.create": Text("Registered the case"),
    "case.read": Text("Opened the case"),
    "case.list": Text("Listed cases"),
    "case.update": Text("Changed case details"),
    "screening.create": Text("Recorded a screening"),
    "screening.override": Text("Overrode the screening outcome"),
    "journey_leg.create": Text("Added a journey step"),
    "assistance.create": Text("Recorded assistance"),
    "perpetrator.create": Text("Recorded a perpetrator"),
    "perpetrator.read": Text("Read the perpetrators"),
    "perpetrator.delete": Text("Removed a perpetrator"),
    "exploitation.update": Text("Changed exploitation details"),
    "return.create": Text("Requested a return"),
    "return.update": Text("Recorded return checks"),
    "return.travel": Text("Marked the return travelled"),
    "return.cancel": Text("Cancelled the return"),
    "consent.create": Text("Recorded a consent"),
    "transfer.create": Text("Asked to transfer the case"),
    "transfer.accept": Text("Accepted the transfer"),
    "transfer.reject": Text("Rejected the transfer"),
    "case.close": Text("Closed the case"),
    "person.erase": Text("Erased the person's identity on request"),
    "access_denied": Text("Was refused access"),
}


def audit_words(action: str) -> str:
    if action in AUDIT_WORDS:
        return AUDIT_WORDS[action]
    return action.replace("_", " ").replace(".", ": ").capitalize()


def label_list(vocabulary: vocab.Vocabulary, codes: list[str] | None) -> str:
    """The labels of codes as a list the page writes in its language ('Forced labour, Sexual exploitation')."""
    labels = [Text(vocabulary.label(c)) for c in codes or []]
    return Join(labels, sep=", ") if labels else ""


def yes_no(value: bool | None) -> str:
    return Text("Not recorded") if value is None else (Text("Yes") if value else Text("No"))


def _when(value: Any, seconds: bool = False) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if isinstance(value, str) and "T" in value:
        return value.replace("T", " ")[: 19 if seconds else 16]
    return str(value or "")


def _person_name(person: dict[str, Any] | None) -> str | None:
    if not person:
        return None
    if person.get("erased"):
        return Text("(identity erased on request)")
    parts = [person.get("given_name"), person.get("family_name")]
    text = " ".join(p for p in parts if p)
    return text or None


def case_ref(case_id: int) -> str:
    return Text("Case {number}", number=Plain(case_id))


@dataclass
class DeterminationView:
    label: str
    kind: str
    rule: str
    rule_text: str
    explanation: str
    missing: list[str]
    criteria: list[str]


def determination_view(det: Determination | dict[str, Any], explanation: Text | None = None) -> DeterminationView:
    """The outcome as the screening form shows it; `explanation` is the engine's words with their message ids
    (`ctdata.screening.explain`), which the page puts in its language (a stored explanation is English only)."""
    d = det.to_dict() if isinstance(det, Determination) else det
    return DeterminationView(
        label=vocab.DETERMINATION.label(d["determination"]),
        kind=DETERMINATION_KIND.get(d["determination"], "info"),
        rule=d["rule"],
        rule_text=rule_words(d["rule"]),
        explanation=explanation if explanation is not None else d.get("explanation", ""),
        missing=[MISSING_WORDS.get(m, m) for m in d.get("missing", [])],
        criteria=[vocab.VULNERABILITIES.label(c) for c in d.get("criteria", [])],
    )


@dataclass
class RowView:
    id: int
    ref: str
    name: str | None
    status_label: str
    status_kind: str
    registration_date: str | None
    age_text: str
    office_text: str
    voided: bool = False


def _age_text(c: dict[str, Any]) -> str:
    if c.get("age_at_registration") is not None:
        return Text("{age} at registration", age=c["age_at_registration"])
    band = c.get("age_band")
    return Text("{band} years", band=Text(vocab.AGE_BAND.label(band))) if band else Text("Not known")


def row_view(c: dict[str, Any], identifying: bool) -> RowView:
    return RowView(
        id=c["id"],
        ref=case_ref(c["id"]),
        name=_person_name(c.get("person")) if identifying else None,
        status_label=vocab.CASE_STATUS.label(c["status"]),
        status_kind=STATUS_KIND.get(c["status"], "info"),
        registration_date=c.get("registration_date"),
        age_text=_age_text(c),
        office_text=office_label(c.get("current_office_country"), c.get("current_agency")),
        voided=bool(c.get("voided")),
    )


@dataclass
class Gate:
    key: str
    label: str
    state: str  # met | open | na
    detail: str = ""


@dataclass
class ReturnView:
    id: int
    version: int
    status: str
    status_label: str
    status_kind: str
    travel_date: str | None
    gates: list[Gate]
    open_gates: list[str]
    raw: dict[str, Any]

    def __getattr__(self, name: str) -> Any:  # the form reads the recorded values
        raw = self.__dict__.get("raw") or {}
        if name in raw:
            return raw[name]
        raise AttributeError(name)


def sentence(text: str) -> str:
    return Sentence(text)


def return_view(r: dict[str, Any]) -> ReturnView:
    gates = []
    for key, met in gate_states(r):
        detail = ""
        if key == "risk_assessment" and r.get("risk_level"):
            detail = Text("Risk: {level}", level=Text(vocab.RISK_LEVEL.label(r["risk_level"])))
        if key == "best_interest_determination" and r.get("bid_authority"):
            detail = Text("By {authority}", authority=r["bid_authority"])
        state = "na" if met is None else ("met" if met else "open")
        if state == "na":
            detail = Text("Not needed: the person is an adult.")
        gates.append(Gate(key, GATE_LABELS[key], state, detail))
    return ReturnView(
        id=r["id"],
        version=r["version"],
        status=r["status"],
        status_label=vocab.RETURN_STATUS.label(r["status"]),
        status_kind=RETURN_KIND.get(r["status"], "info"),
        travel_date=r.get("travel_date"),
        gates=gates,
        open_gates=[sentence(g) for g in r.get("open_gates") or []],
        raw=r,
    )


@dataclass
class CaseView:
    id: int
    ref: str
    version: int
    access: str
    name: str | None
    date_of_birth: str | None
    place_of_birth: str | None
    sex_label: str
    citizenship_text: str
    citizenship_code: str | None
    age_text: str
    child: bool
    status_label: str
    status_kind: str
    status_rule_text: str
    registration_date: str | None
    office_text: str
    agency: str
    exploitation_country_text: str
    exploitation_types_text: str
    consent_assistance_text: str
    consent_research_text: str
    sharing_text: str
    screening: dict[str, Any] | None
    legs: list[dict[str, Any]] = field(default_factory=list)
    assistance: list[dict[str, Any]] = field(default_factory=list)
    ret: ReturnView | None = None
    transfers: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    voided: dict[str, Any] | None = None  # by, at, reason (the reason for identifying roles only)
    citizenship_codes: list[str] = field(default_factory=list)  # the page names them in its language
    exploitation_country: str | None = None
    recruitment_tactics: list[str] = field(default_factory=list)
    recruiter_relation: list[str] = field(default_factory=list)
    promised_sector: str | None = None
    promised_job: str | None = None  # the person's words: identifying roles only


CONSENT_WORDS = {  # the consent tab translates them (ctdata.web.i18n)
    "assistance": N_("Receiving assistance"),
    "sharing": N_("Sharing the case"),
    "research": N_("Anonymous research use"),
    "return": N_("Returning home"),
}


def case_view(c: dict[str, Any], identifying: bool) -> CaseView:
    """The case page's data; identifying fields only when the actor may see them and the service sent them."""
    person = c.get("person") or {}
    citizenship = person.get("citizenship") or []
    child = bool(c.get("child_at_exploitation") or c.get("child_at_registration"))
    screenings = c.get("screenings") or []
    last = screenings[-1] if screenings else None
    screening = None
    if last:
        det = last.get("override_determination") or last["determination"]
        screening = {
            "label": vocab.DETERMINATION.label(det),
            "rule": "override" if last.get("override_determination") else last["rule"],
            "actions": label_list(vocab.ACTIONS, last.get("actions")),
            "means": label_list(vocab.MEANS, last.get("means")),
            "purposes": label_list(vocab.PURPOSES, last.get("purposes")),
            "vulnerabilities": label_list(vocab.VULNERABILITIES, last.get("vulnerabilities")),
            "age": last.get("age_at_exploitation"),
        }
    legs = [
        {
            "number": leg["leg_number"],
            "from_text": countries.name(leg.get("from_country")),
            "to_text": countries.name(leg.get("to_country")),
            "from_code": leg.get("from_country"),  # the page names it in its language
            "to_code": leg.get("to_country"),
            "date": leg.get("departure_date"),
            "crossing": vocab.CROSSING.label(leg.get("crossing")),
            "document": vocab.TRAVEL_DOCUMENT.label(leg.get("travel_document")),
            "transport": vocab.TRANSPORT_MODE.label(leg.get("transport_mode")),
            "exploited": vocab.EXPLOITED_ON_LEG.label(leg.get("exploited")),
        }
        for leg in c.get("journey_legs") or []
    ]
    assistance = [
        {
            "type": vocab.ASSISTANCE_TYPES.label(a["assistance_type"]),
            "date": a.get("date"),
            "provider": a.get("provider") if identifying else None,
            "reintegration": a.get("reintegration"),
            "funding": a.get("funding_name")
            or (vocab.FUNDING_SOURCE.label(a["funding_source"]) if a.get("funding_source") else None),
        }
        for a in c.get("assistance") or []
    ]
    returns = c.get("returns") or []
    open_returns = [r for r in returns if r.get("status") not in ("travelled", "cancelled")]
    current = (open_returns or returns or [None])[-1]
    transfers = [
        {
            "id": t["id"],
            "to_text": office_label(t["to_office_country"], t["to_agency"]),
            "from_text": office_label(t["from_office_country"], t["from_agency"]),
            "status_label": vocab.TRANSFER_STATUS.label(t["status"]),
            "status_kind": TRANSFER_KIND.get(t["status"], "info"),
            "reason": t.get("reason") if identifying else None,
            "decision_text": _decision_text(t, identifying),
            "pending": t["status"] == "pending",
        }
        for t in c.get("transfers") or []
    ]
    consents = [
        {
            "kind": CONSENT_WORDS.get(d["kind"], d["kind"]),
            "organisation": d.get("organisation"),
            "given": d.get("given"),
            "date": d.get("date"),
            "document_ref": d.get("document_ref") if identifying else None,
        }
        for d in c.get("consents") or []
    ]
    consent = c.get("consent") or {}
    ex = c.get("exploitation") or {}
    rule = c.get("status_rule")
    void = c.get("voided")
    voided = None if not void else {
        "by": void.get("by"),
        "at": _when(void.get("at")),
        "reason": void.get("reason") if identifying else None,
    }
    return CaseView(
        id=c["id"],
        ref=case_ref(c["id"]),
        version=c["version"],
        access=c.get("access", ""),
        name=_person_name(person) if identifying else None,
        date_of_birth=person.get("date_of_birth") if identifying else None,
        place_of_birth=person.get("place_of_birth") if identifying else None,
        sex_label=vocab.SEX.label(person.get("sex")),
        citizenship_text=Join([Country(x, countries.name(x)) for x in citizenship], sep=", ") or Text("Not known"),
        citizenship_code=citizenship[0] if citizenship else None,
        age_text=_age_text(c),
        child=child,
        status_label=vocab.CASE_STATUS.label(c["status"]),
        status_kind=STATUS_KIND.get(c["status"], "info"),
        status_rule_text=rule_words(rule or ""),
        registration_date=c.get("registration_date"),
        office_text=office_label(c.get("current_office_country"), c.get("current_agency")),
        agency=c.get("current_agency") or c.get("agency") or "",
        exploitation_country_text=countries.name(ex.get("country_of_exploitation")),
        exploitation_types_text=label_list(vocab.EXPLOITATION_TYPES, ex.get("types")) or Text("None recorded"),
        consent_assistance_text=yes_no(consent.get("assistance")),
        consent_research_text=yes_no(consent.get("research")),
        sharing_text=", ".join(consent.get("sharing") or []) or Text("No one"),
        screening=screening,
        legs=legs,
        assistance=assistance,
        ret=return_view(current) if current else None,
        transfers=transfers,
        consents=consents,
        citizenship_codes=list(citizenship),
        exploitation_country=ex.get("country_of_exploitation"),
        voided=voided,
        recruitment_tactics=list(ex.get("recruitment_tactics") or []),
        recruiter_relation=list(ex.get("recruiter_relation") or []),
        promised_sector=ex.get("promised_sector"),
        promised_job=ex.get("promised_job") if identifying else None,
    )


def _decision_text(t: dict[str, Any], identifying: bool) -> str:
    if t["status"] == "pending":
        return Text("Waiting for the receiving office")
    status = Text(vocab.TRANSFER_STATUS.label(t["status"]))
    by = t.get("decided_by") or Text("the receiving office")
    if t.get("decided_at"):
        text = Text("{status} by {who} on {day}", status=status, who=by, day=Day(_when(t["decided_at"])[:10]))
    else:
        text = Text("{status} by {who}", status=status, who=by)
    if identifying and t.get("decision_reason"):
        return Text("{decision}: {reason}", decision=text, reason=t["decision_reason"])
    return text


@dataclass
class AuditRow:
    when: str
    actor: str
    action: str
    detail: str
    times: int = 1


def audit_rows(entries: list[Any], identifying: bool) -> list[AuditRow]:
    """Audit entries in words, newest first; repeated openings by one person fold into one row.

    Free-text reasons (which could name someone) only for identifying roles.
    """
    rows: list[AuditRow] = []
    for e in entries:
        get = e.get if isinstance(e, dict) else lambda k, _e=e: getattr(_e, k, None)
        action = get("action") or ""
        details = get("details") or {}
        detail = (get("reason") or "") if identifying else ""
        if action == "access_denied":
            detail = Text("Tried: {what}", what=Terms([audit_words(str(details.get("attempted", "?")))]))
        elif isinstance(details, dict) and details.get("determination"):
            detail = Text(vocab.DETERMINATION.label(details["determination"]))
        row = AuditRow(_when(get("ts"), seconds=True), get("actor") or "", audit_words(action), detail)
        last = rows[-1] if rows else None
        if (
            last
            and action == "case.read"
            and (last.actor, last.action, last.detail) == (row.actor, row.action, row.detail)
        ):
            last.times += 1
            continue
        rows.append(row)
    return rows


def perpetrator_rows(perpetrators: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The perpetrators of a case as the Perpetrators tab lists them (labels; identifiers as the case
    view gives them, which is empty for a role that may not see them)."""
    def labels(v: vocab.Vocabulary, codes: list[str]) -> str:
        return label_list(v, codes)

    return [
        {
            "roles": labels(vocab.PERPETRATOR_ROLE, p["roles"]),
            "sex": labels(vocab.SEX, p["sex"]),
            "age_band": labels(vocab.PERPETRATOR_AGE_BAND, p["age_band"]),
            "citizenship": Join([Country(c, countries.name(c)) for c in p["citizenship"]], sep=", "),
            "relation": labels(vocab.PERPETRATOR_RELATION, p["relation"]),
            "paid_money": labels(vocab.YES_NO, p["paid_money"]),
            "means_of_control": labels(vocab.MEANS_OF_CONTROL, p["means_of_control"]),
            "identifiers": "; ".join(v for name in std.PERPETRATOR_IDENTIFYING for v in p.get(name) or []),
        }
        for p in perpetrators
    ]
