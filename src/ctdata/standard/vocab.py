"""Controlled vocabularies of the case data standard.

Codes are stable strings that never change meaning once released; labels are
for display and may be reworded. Each vocabulary is an ordered mapping so that
forms, dictionaries and charts list values in the same, deliberate order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Vocabulary:
    """A named code list with labels; membership tests use the codes."""

    name: str
    terms: Mapping[str, str]
    description: str = ""

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def codes(self) -> list[str]:
        return list(self.terms)

    def label(self, code: str | None) -> str:
        if code is None:
            return "Unknown"
        return self.terms.get(code, code)


def _v(name: str, description: str, **terms: str) -> Vocabulary:
    return Vocabulary(name, dict(terms), description)


SEX = _v(
    "sex",
    "Sex or gender as recorded by the registering office.",
    female="Female",
    male="Male",
    transgender_nonconforming="Transgender or gender non-conforming",
    unknown="Unknown",
)

CASE_STATUS = _v(
    "case_status",
    "Where the case stands.",
    screening="Being screened",
    victim_of_trafficking="Victim of trafficking",
    vulnerable_migrant="Vulnerable migrant (needs-first)",
    not_eligible="Not eligible",
    closed="Closed",
)

DATA_SOURCE = _v(
    "data_source",
    "How the record came to the agency.",
    case_management="Case management",
    hotline="Hotline",
    partner="Partner agency",
    survey="Survey or field collection",
    other="Other",
)

ACTIONS = _v(
    "action",
    "Protocol Art. 3 'act' element.",
    recruitment="Recruitment",
    transportation="Transportation",
    transfer="Transfer",
    harbouring="Harbouring",
    receipt="Receipt",
)

MEANS = _v(
    "means",
    "Protocol Art. 3 'means' element (not required for a child).",
    threat="Threat",
    use_of_force="Use of force",
    coercion="Other forms of coercion",
    abduction="Abduction",
    fraud="Fraud",
    deception="Deception",
    abuse_of_power="Abuse of power",
    abuse_of_vulnerability="Abuse of a position of vulnerability",
    payments="Giving or receiving payments or benefits",
)

PURPOSES = _v(
    "purpose",
    "Protocol Art. 3 'purpose' element (the exploitation intended).",
    sexual_exploitation="Sexual exploitation",
    forced_labour="Forced labour or services",
    slavery="Slavery or practices similar to slavery",
    servitude="Servitude",
    organ_removal="Removal of organs",
    forced_marriage="Forced marriage",
    forced_begging="Forced begging",
    forced_criminality="Forced criminality",
    other="Other exploitation",
)

VULNERABILITIES = _v(
    "vulnerability",
    "Needs-first criteria for assistance as a vulnerable migrant.",
    unaccompanied_child="Unaccompanied or separated child",
    exploitation_or_abuse="Exploitation or abuse without all trafficking elements",
    stranded="Stranded migrant",
    health_needs="Health needs",
)

DETERMINATION = _v(
    "determination",
    "Outcome of screening.",
    victim_of_trafficking="Victim of trafficking",
    vulnerable_migrant="Vulnerable migrant (needs-first)",
    not_eligible="Not eligible",
)

EXPLOITATION_TYPES = _v(
    "exploitation_type",
    "Type of exploitation experienced (a record may have several).",
    forced_labour="Forced labour",
    sexual_exploitation="Sexual exploitation",
    sex_and_labour="Combined sexual exploitation and forced labour",
    forced_marriage="Forced marriage",
    forced_begging="Forced begging",
    forced_criminality="Forced criminality",
    organ_removal="Organ removal",
    forced_military="Forced military service",
    slavery="Slavery and similar practices",
    other="Other exploitation",
)

#: The one table from a Protocol purpose (what screening records) to the exploitation type it records
#: on the case. Servitude has no type of its own: the type list counts it with slavery and similar
#: practices, as the Protocol's wording ("slavery or practices similar to slavery, servitude") does.
PURPOSE_EXPLOITATION_TYPE: Mapping[str, str] = {
    "sexual_exploitation": "sexual_exploitation",
    "forced_labour": "forced_labour",
    "slavery": "slavery",
    "servitude": "slavery",
    "organ_removal": "organ_removal",
    "forced_marriage": "forced_marriage",
    "forced_begging": "forced_begging",
    "forced_criminality": "forced_criminality",
    "other": "other",
}
#: Types recorded together that the standard holds as one combined type (CTDC's isSexAndLabour).
COMBINED_EXPLOITATION_TYPES: Mapping[frozenset[str], str] = {
    frozenset({"sexual_exploitation", "forced_labour"}): "sex_and_labour",
}


def exploitation_types_of(purposes: Iterable[str]) -> list[str]:
    """The exploitation types that recorded purposes make, in the vocabulary's order.

    >>> exploitation_types_of(["forced_labour", "sexual_exploitation", "forced_begging"])
    ['sex_and_labour', 'forced_begging']
    """
    types = {PURPOSE_EXPLOITATION_TYPE[p] for p in purposes}
    for parts, combined in COMBINED_EXPLOITATION_TYPES.items():
        if parts <= types:
            types = (types - parts) | {combined}
    return [code for code in EXPLOITATION_TYPES.codes if code in types]


#: Every type some purpose can make: the types screening owns on the case record.
SCREENED_EXPLOITATION_TYPES: frozenset[str] = frozenset(PURPOSE_EXPLOITATION_TYPE.values()) | frozenset(
    COMBINED_EXPLOITATION_TYPES.values()
)

LABOUR_SECTORS = _v(
    "labour_sector",
    "Sector of forced labour (CTDC list).",
    agriculture="Agriculture",
    aquafarming="Aquafarming and fishing",
    begging="Begging",
    construction="Construction",
    domestic_work="Domestic work",
    hospitality="Hospitality",
    illicit_activities="Illicit activities",
    manufacturing="Manufacturing",
    mining_or_drilling="Mining or drilling",
    peddling="Peddling",
    transportation="Transportation",
    other="Other",
    not_specified="Not specified",
)

SEXUAL_EXPLOITATION_TYPES = _v(
    "sexual_exploitation_type",
    "Form of sexual exploitation (CTDC list).",
    prostitution="Prostitution",
    pornography="Pornography",
    remote_interactive_services="Remote interactive services",
    private_sexual_services="Private sexual services",
)

MEANS_OF_CONTROL = _v(
    "means_of_control",
    "How the exploiter controlled the person (CTDC / HTCDS list).",
    debt_bondage="Debt bondage",
    takes_earnings="Takes earnings",
    restricts_financial_access="Restricts financial access",
    threats="Threats",
    psychological_abuse="Psychological abuse",
    physical_abuse="Physical abuse",
    sexual_abuse="Sexual abuse",
    false_promises="False promises",
    psychoactive_substances="Psychoactive substances",
    restricts_movement="Restricts movement",
    restricts_medical_care="Restricts medical care",
    excessive_working_hours="Excessive working hours",
    uses_children="Uses children",
    threat_of_law_enforcement="Threat of law enforcement",
    withholds_necessities="Withholds necessities",
    withholds_documents="Withholds documents",
    other="Other",
    not_specified="Not specified",
)

RECRUITER_RELATION = _v(
    "recruiter_relation",
    "Relation of the recruiter to the person.",
    intimate_partner="Intimate partner",
    friend="Friend",
    family="Family member",
    other="Other",
    unknown="Unknown",
)

RECRUITMENT_TACTICS = _v(
    "recruitment_tactic",
    "How the person was recruited (the annual report's recruitment figures).",
    job_offer="Offer of a job",
    study_offer="Offer of study or training",
    marriage_or_relationship="Promise of marriage or a relationship",
    travel_offer="Offer to arrange travel or migration",
    loan="Loan or advance payment",
    sold_by_family="Sold or handed over by family",
    abduction="Abduction",
    online="Approached online",
    other="Other",
)

PROMISED_SECTORS = _v(
    "promised_sector",
    "Sector of the job promised at recruitment (the labour sectors, plus work the model reports apart).",
    **{k: v for k, v in LABOUR_SECTORS.terms.items() if k != "not_specified"},
    entertainment="Entertainment, dancing or modelling",
    sex_work="Sex work",
    marriage="Marriage",
    not_specified="Not specified",
)

LEGAL_ASSISTANCE_TYPES = _v(
    "legal_assistance_type",
    "Kind of legal assistance (the annual report's sub-types of legal assistance).",
    documents="Identity or travel documents",
    immigration="Residence or immigration status",
    restitution="Restitution (recovery of wages or property)",
    compensation="Compensation claim",
    representation="Representation in proceedings",
    advice="Legal advice or counselling",
    other="Other",
)

FUNDING_SOURCE = _v(
    "funding_source",
    "What paid for an item of assistance: a project (by its name in the projects file) or a named fund.",
    project="A project",
    fund="A named fund (emergency or assistance fund)",
    core="The office's own budget",
)

REINTEGRATION_STATUS = _v(
    "reintegration_status",
    "Where reintegration stands at the latest follow-up after return.",
    in_progress="In progress",
    completed="Completed: reintegrated",
    at_risk="At risk",
    re_trafficked="Trafficked again",
    lost_contact="Lost contact",
    declined="Declined further support",
)

CROSSING = _v(
    "crossing",
    "How a journey leg crossed (or did not cross) a border.",
    official_air="Official border point: air",
    official_land="Official border point: land",
    official_sea="Official border point: sea",
    unofficial="Unofficial crossing",
    none="No border crossed (internal)",
)

TRAVEL_DOCUMENT = _v(
    "travel_document",
    "Document used on a journey leg.",
    own_genuine="Own genuine document",
    forged="Forged or fraudulent document",
    none="No document",
    held_by_another="Document held by another person",
)

TRANSPORT_MODE = _v(
    "transport_mode",
    "Main means of transport on a journey leg.",
    air="Air",
    bus="Bus or coach",
    car="Car or truck",
    train="Train",
    boat="Boat",
    foot="On foot",
    other="Other",
)

EXPLOITED_ON_LEG = _v(
    "exploited_on_leg",
    "Whether exploitation had begun by or during this leg.",
    before="Exploited before the leg",
    during="Exploited during the leg",
    no="Not exploited on or before the leg",
)

ASSISTANCE_TYPES = _v(
    "assistance_type",
    "Type of direct assistance.",
    accommodation="Accommodation or shelter",
    medical="Medical",
    psychosocial="Psychosocial",
    legal="Legal",
    financial="Financial",
    housing="Housing",
    education="Education or vocational training",
    community_based="Community-based",
    family_tracing="Family tracing",
    travel="Travel",
    other="Other",
)

RISK_LEVEL = _v("risk_level", "Assessed risk of return.", low="Low", medium="Medium", high="High")

RETURN_STATUS = _v(
    "return_status",
    "Where an assisted voluntary return stands.",
    requested="Requested",
    approved="Approved: all gates met",
    travelled="Travelled",
    cancelled="Cancelled",
)

TRANSFER_STATUS = _v(
    "transfer_status",
    "Where a transfer between offices stands.",
    pending="Pending",
    accepted="Accepted",
    rejected="Rejected",
)

PERPETRATOR_ROLE = _v(
    "perpetrator_role",
    "Role of a perpetrator in the trafficking process.",
    recruiter="Recruiter",
    transporter="Transporter",
    exploiter="Exploiter",
    broker="Broker (sold or bought the person)",
    controller="Controller (controlled, abused or kidnapped the person)",
)

PERPETRATOR_RELATION = _v(
    "perpetrator_relation",
    "Relation of a perpetrator to the victim (the categories of the CTDC victim-perpetrator release).",
    family_intimate_partner="Family member or intimate partner",
    friend_acquaintance="Friend or acquaintance",
    stranger_other="Stranger, unknown or other",
)

PERPETRATOR_AGE_BAND = _v(
    "perpetrator_age_band",
    "Age bands of perpetrators (those of the CTDC victim-perpetrator release).",
    **{"0-29": "Under 30", "30-38": "30 to 38", "39-47": "39 to 47", "48+": "48 and over"},
)

UN_REGION = _v(
    "un_region",
    "UN M49 regions; the CTDC victim-perpetrator release merges the Americas and Oceania.",
    africa="Africa",
    americas="Americas",
    asia="Asia",
    europe="Europe",
    oceania="Oceania",
    americas_oceania="Americas and Oceania (merged in the public release)",
)

YES_NO = _v("yes_no", "Yes or no, as a code (a list of them says both happened).", yes="Yes", no="No")

AGE_BAND = _v(
    "age_band",
    "Age bands of the public CTDC release.",
    **{
        "0-8": "0 to 8",
        "9-17": "9 to 17",
        "18-20": "18 to 20",
        "21-23": "21 to 23",
        "24-26": "24 to 26",
        "27-29": "27 to 29",
        "30-38": "30 to 38",
        "39-47": "39 to 47",
        "48+": "48 and over",
    },
)

CLOSURE_REASON = _v(
    "closure_reason",
    "Why a case was closed.",
    reintegrated="Reintegration completed",
    returned="Returned, no further assistance needed",
    lost_contact="Lost contact",
    declined="Person declined further assistance",
    transferred="Transferred to another office",
    not_eligible="Not eligible",
    deceased="Deceased",
    other="Other",
)

ALL_VOCABULARIES: tuple[Vocabulary, ...] = (
    SEX,
    CASE_STATUS,
    DATA_SOURCE,
    ACTIONS,
    MEANS,
    PURPOSES,
    VULNERABILITIES,
    DETERMINATION,
    EXPLOITATION_TYPES,
    LABOUR_SECTORS,
    SEXUAL_EXPLOITATION_TYPES,
    MEANS_OF_CONTROL,
    RECRUITER_RELATION,
    RECRUITMENT_TACTICS,
    PROMISED_SECTORS,
    CROSSING,
    TRAVEL_DOCUMENT,
    TRANSPORT_MODE,
    EXPLOITED_ON_LEG,
    ASSISTANCE_TYPES,
    LEGAL_ASSISTANCE_TYPES,
    FUNDING_SOURCE,
    RISK_LEVEL,
    RETURN_STATUS,
    REINTEGRATION_STATUS,
    TRANSFER_STATUS,
    PERPETRATOR_ROLE,
    PERPETRATOR_RELATION,
    PERPETRATOR_AGE_BAND,
    UN_REGION,
    YES_NO,
    AGE_BAND,
    CLOSURE_REASON,
)
VOCABULARIES: dict[str, Vocabulary] = {v.name: v for v in ALL_VOCABULARIES}


def age_band(age: int | None) -> str | None:
    """Map an age in years to the CTDC band, the finest age the warehouse keeps."""
    if age is None or age < 0:
        return None
    for code, upper in (("0-8", 8), ("9-17", 17), ("18-20", 20), ("21-23", 23), ("24-26", 26),
                        ("27-29", 29), ("30-38", 38), ("39-47", 47)):
        if age <= upper:
            return code
    return "48+"
