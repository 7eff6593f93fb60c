"""Pydantic models of the case data standard (DESIGN.md section 4).

Two families live here: the entity models (person, case record, screening,
exploitation, journey leg, assistance, return, transfer, perpetrator, consent)
that the case services and the API speak, and the flat exchange rows generated
from ``template.py`` that importers validate. Both use the same annotated
types, so a value accepted in one is accepted in the other.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from ctdata.standard import vocab
from ctdata.standard.template import TABLES, Column
from ctdata.standard.types import (
    AgencyCode,
    Countries,
    Country,
    OptionalAgencyCode,
    PartialDateStr,
    TextList,
    WholeNumber,
    YesNo,
    code_of,
    codes_of,
)
from ctdata.text import Text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Person(_Model):
    """A person as one office knows them; identifying fields are encrypted in the store."""

    given_name: str | None = Field(None, max_length=200, description="Given name(s), any script.")
    family_name: str | None = Field(None, max_length=200, description="Family name(s), any script.")
    date_of_birth: PartialDateStr = Field(None, description="Full or partial date of birth.")
    place_of_birth: str | None = Field(None, max_length=200, description="Town or village of birth, any script.")
    id_document_number: str | None = Field(None, max_length=100, description="Identity document number.")
    sex: code_of(vocab.SEX) = Field(None, description="Sex or gender.")
    citizenship: Countries = Field(default_factory=list, description="Citizenships, ISO alpha-2.")
    languages: TextList = Field(default_factory=list, description="Languages spoken.")


class Consent(_Model):
    """Consent is data: transfers and exports check it."""

    assistance: YesNo = Field(None, description="Informed consent to receive assistance.")
    research: YesNo = Field(None, description="Consent to de-identified use for research and statistics.")
    sharing: TextList = Field(default_factory=list, description="Organisations or offices data may be shared with.")


class Exploitation(_Model):
    types: codes_of(vocab.EXPLOITATION_TYPES) = Field(default_factory=list)
    labour_sectors: codes_of(vocab.LABOUR_SECTORS) = Field(default_factory=list)
    sexual_exploitation_types: codes_of(vocab.SEXUAL_EXPLOITATION_TYPES) = Field(default_factory=list)
    means_of_control: codes_of(vocab.MEANS_OF_CONTROL) = Field(default_factory=list)
    recruiter_relation: codes_of(vocab.RECRUITER_RELATION) = Field(default_factory=list)
    recruitment_tactics: codes_of(vocab.RECRUITMENT_TACTICS) = Field(
        default_factory=list, description="How the person was recruited."
    )
    promised_job: str | None = Field(
        None, max_length=500, description="The job promised at recruitment, as the person tells it (encrypted)."
    )
    promised_sector: code_of(vocab.PROMISED_SECTORS) = Field(None, description="Sector of the job promised.")
    country_of_exploitation: Country = None
    start: PartialDateStr = None
    end: PartialDateStr = None
    age_at_exploitation: WholeNumber = Field(None, ge=0, le=120)


class CaseRecord(_Model):
    """One instance of assistance: one registration of one person by one office."""

    agency: AgencyCode = Field("IOM", description="Agency code (canonical form: see `types.agency_code`).")
    office_country: Country = Field(..., description="Country of the registering office.")
    data_source: code_of(vocab.DATA_SOURCE) = "case_management"
    registration_date: PartialDateStr = Field(..., description="Date of registration.")
    status: code_of(vocab.CASE_STATUS) = "screening"
    referral_from_office: Country = None
    consent: Consent = Field(default_factory=Consent)

    @field_validator("office_country")
    @classmethod
    def _office_known(cls, v: str | None) -> str:
        if not v:
            raise ValueError(Text("the office country is required"))
        return v


class ScreeningRecord(_Model):
    actions: codes_of(vocab.ACTIONS) = Field(default_factory=list)
    means: codes_of(vocab.MEANS) = Field(default_factory=list)
    purposes: codes_of(vocab.PURPOSES) = Field(default_factory=list)
    vulnerabilities: codes_of(vocab.VULNERABILITIES) = Field(default_factory=list)
    age_at_exploitation: WholeNumber = Field(None, ge=0, le=120)
    indicators: TextList = Field(default_factory=list)
    notes: str | None = Field(None, max_length=5000)


class JourneyLeg(_Model):
    leg_number: WholeNumber = Field(None, ge=1, le=100)
    from_country: Country = None
    to_country: Country = None
    departure_date: PartialDateStr = None
    crossing: code_of(vocab.CROSSING) = None
    travel_document: code_of(vocab.TRAVEL_DOCUMENT) = None
    transport_mode: code_of(vocab.TRANSPORT_MODE) = None
    exploited: code_of(vocab.EXPLOITED_ON_LEG) = None


class Assistance(_Model):
    """One item of assistance; legal assistance says its kinds, and any item what funded it."""

    assistance_type: code_of(vocab.ASSISTANCE_TYPES)
    date: PartialDateStr = None
    provider: str | None = Field(None, max_length=200)
    reintegration: YesNo = False
    legal_types: codes_of(vocab.LEGAL_ASSISTANCE_TYPES) = Field(
        default_factory=list, description="Kinds of legal assistance (only on legal assistance)."
    )
    funding_source: code_of(vocab.FUNDING_SOURCE) = Field(None, description="What paid for it.")
    funding_name: str | None = Field(
        None, max_length=200, description="The project's name (as in the projects file) or the fund's name."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Assistance:
        problem = assistance_problem(self.assistance_type, self.legal_types, self.funding_source, self.funding_name)
        if problem:
            raise ValueError(problem)
        return self


def assistance_problem(
    assistance_type: str | None, legal_types: list[str] | None, funding_source: str | None, funding_name: str | None
) -> str | None:
    """THE rule of an assistance item's related fields (the case services and the importer both ask it).

    Legal sub-types describe legal assistance only; a project or a fund is named, so the report can
    say which one, and the office's own budget has no name to give.
    """
    if legal_types and assistance_type != "legal":
        said = Text("only legal assistance has legal sub-types")
        return f"legal_types: {said}"
    if funding_source in ("project", "fund") and not funding_name:
        said = Text("name the project that funded it") if funding_source == "project" else Text(
            "name the fund that funded it")
        return f"funding_name: {said}"
    if funding_name and funding_source not in ("project", "fund"):
        said = Text("say whether it is a project or a fund (funding_source)")
        return f"funding_name: {said}"
    return None


class ReturnRecord(_Model):
    """Assisted voluntary return; the gates decide whether travel may be recorded."""

    requested_date: PartialDateStr = None
    consent_written: YesNo = None
    risk_level: code_of(vocab.RISK_LEVEL) = None
    risk_mitigations: str | None = Field(None, max_length=2000)
    best_interest_determination: YesNo = None
    bid_authority: str | None = Field(None, max_length=200)
    guardian_willing: YesNo = None
    guardian_able: YesNo = None
    travel_date: PartialDateStr = None
    receiving_office_country: Country = None
    reintegration_plan: YesNo = None
    follow_up_date: PartialDateStr = Field(None, description="Date of the latest reintegration follow-up.")
    reintegration_status: code_of(vocab.REINTEGRATION_STATUS) = Field(
        None, description="Where reintegration stood at that follow-up."
    )


class Transfer(_Model):
    to_office_country: Country
    to_agency: AgencyCode = Field("IOM", description="Agency code of the receiving office.")
    reason: str | None = Field(None, max_length=2000)


class Perpetrator(_Model):
    """A person involved in trafficking the victim of a case (recruiter, transporter, exploiter, ...).

    Identifying fields (names, aliases, phone numbers, document numbers, addresses) are encrypted in the
    store and erased with the victim's record. A public release (the CTDC victim-perpetrator data) does not
    describe perpetrators one by one but all of a victim's together: such a row is ``grouped`` and each
    field lists the values found among them ("Female;Male"). A row that is not grouped describes one
    person, so it has at most one sex, age band, relation and answer to ``paid_money``.
    """

    roles: codes_of(vocab.PERPETRATOR_ROLE) = Field(default_factory=list, description="Roles played.")
    sex: codes_of(vocab.SEX) = Field(default_factory=list, description="Sex (several only when grouped).")
    age_band: codes_of(vocab.PERPETRATOR_AGE_BAND) = Field(default_factory=list, description="Age band.")
    citizenship: Countries = Field(default_factory=list, description="Citizenships, ISO alpha-2.")
    region: codes_of(vocab.UN_REGION) = Field(
        default_factory=list, description="UN region of citizenship when the country is not known."
    )
    relation: codes_of(vocab.PERPETRATOR_RELATION) = Field(default_factory=list, description="Relation to the victim.")
    paid_money: codes_of(vocab.YES_NO) = Field(
        default_factory=list, description="Whether the victim paid the perpetrator money."
    )
    means_of_control: codes_of(vocab.MEANS_OF_CONTROL) = Field(
        default_factory=list, description="Means of control used."
    )
    grouped: YesNo = Field(False, description="The row describes several perpetrators together (public releases).")
    names: TextList = Field(default_factory=list, description="Names, any script.")
    aliases: TextList = Field(default_factory=list, description="Aliases and nicknames.")
    phone_numbers: TextList = Field(default_factory=list, description="Phone numbers.")
    document_numbers: TextList = Field(default_factory=list, description="Identity or travel document numbers.")
    addresses: TextList = Field(default_factory=list, description="Addresses or places known to be theirs.")

    @model_validator(mode="after")
    def _one_person(self) -> Perpetrator:
        problem = perpetrator_problem(self.grouped, {n: getattr(self, n) for n in ONE_PER_PERSON})
        if problem:
            raise ValueError(problem)
        return self


#: Fields of a perpetrator that a single person (a row not grouped) has at most one value of.
ONE_PER_PERSON = ("sex", "age_band", "relation", "paid_money")


def perpetrator_problem(grouped: bool | None, values: dict[str, Any]) -> str | None:
    """THE rule of a perpetrator row's fields (the case services and the importer both ask it): a row
    that is not grouped describes one person, who has one sex, age band, relation and answer to
    ``paid_money``."""
    if grouped:
        return None
    for name in ONE_PER_PERSON:
        if len(values.get(name) or []) > 1:
            said = Text("one person has one value (mark the row grouped for several)")
            return f"{name}: {said}"
    return None
#: Identifying fields of a perpetrator (encrypted in the store, erased with the victim's record).
PERPETRATOR_IDENTIFYING = ("names", "aliases", "phone_numbers", "document_numbers", "addresses")


ENTITY_MODELS: dict[str, type[BaseModel]] = {
    "person": Person,
    "case_record": CaseRecord,
    "consent": Consent,
    "screening": ScreeningRecord,
    "exploitation": Exploitation,
    "journey_leg": JourneyLeg,
    "assistance": Assistance,
    "return": ReturnRecord,
    "transfer": Transfer,
    "perpetrator": Perpetrator,
}


def _field_type(col: Column) -> Any:
    if col.kind == "code":
        return code_of(col.vocabulary)
    if col.kind == "codes":
        return codes_of(col.vocabulary)
    return {
        "text": str | None,
        "agency": OptionalAgencyCode,
        "country": Country,
        "countries": Countries,
        "date": PartialDateStr,
        "partial_date": PartialDateStr,
        "int": WholeNumber,
        "bool": YesNo,
    }[col.kind]


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _row_model(table: str) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for col in TABLES[table]:
        fields[col.name] = (_field_type(col), Field(None, description=col.description))
    return create_model(f"{table.title().replace('_', '')}Row", __base__=_Row, **fields)


#: Flat exchange rows, one model per template table, generated from template.py.
ROW_MODELS: dict[str, type[BaseModel]] = {name: _row_model(name) for name in TABLES}
RecordRow = ROW_MODELS["records"]
