"""Request and response bodies of the JSON API (/api/v1), with examples for the OpenAPI docs.

The inputs of case work are the standard's own models (``ctdata.standard.models``)
with the API's few extra fields (`from_standard`): the same fields, parsers and
vocabularies, so the OpenAPI document lists every allowed code (an ``enum``), labels
and case variants are read as codes, and an unknown code is a 422 naming the allowed
ones. Identifying fields in responses are null for roles that may not see them.
"""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, create_model

from ctdata.standard import models as std
from ctdata.standard import vocab
from ctdata.standard.types import Countries, TextList, code_of

MAX_ID = 2**31 - 1
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="Case record id.")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID, description="The version you edited (optimistic concurrency).")]
Text = Annotated[str, Field(max_length=2000)]
Short = Annotated[str, Field(max_length=200)]
Code = Annotated[str, Field(max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def from_standard(
    model: type[BaseModel],
    name: str,
    *,
    exclude: tuple[str, ...] = (),
    examples: list[dict[str, Any]] | None = None,
    **more: Any,
) -> Any:
    """An API input made of a standard model's fields (minus `exclude`), plus `more` (name=(type, Field)).

    The fields keep the standard's types and checks (codes as a ``Literal``: an ``enum``
    in OpenAPI); `more` adds the API's own fields (a version) or bounds a list's length.
    """
    config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    if examples:
        config["json_schema_extra"] = {"examples": examples}  # type: ignore[typeddict-item]
    base = type(f"_{name}Base", (BaseModel,), {"model_config": config})
    fields: dict[str, Any] = {n: (f.annotation, f) for n, f in model.model_fields.items() if n not in exclude}
    return create_model(name, __base__=base, __doc__=model.__doc__, **(fields | more))


# --- auth ---------------------------------------------------------------------------------------


class LoginIn(_In):
    username: Annotated[str, Field(min_length=1, max_length=80)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"username": "amira", "password": "correct horse battery"}]},
    )


class TokenOut(_Out):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    csrf_token: str = Field(description="For cookie sessions: send as X-CSRF-Token on changes.")


class MeOut(_Out):
    username: str
    role: str
    office_country: str | None
    agency: str | None


# --- cases --------------------------------------------------------------------------------------


PersonIn = from_standard(
    std.Person,
    "PersonIn",
    citizenship=(
        Countries,
        Field(default_factory=list, max_length=10, description="ISO alpha-2 codes: a list, or one code as a string."),
    ),
    languages=(TextList, Field(default_factory=list, max_length=20, description="Languages spoken.")),
)


class ConsentIn(_In):
    assistance: bool | None = None
    research: bool | None = None
    sharing: list[Short] = Field(
        default_factory=list,
        max_length=50,
        description="Organisations or offices the person allows sharing with.",
    )


class CaseCreate(_In):
    person: PersonIn
    office_country: Code = Field(description="Country of the registering office (ISO alpha-2).")
    registration_date: Annotated[str, Field(max_length=10)]
    agency: Annotated[str, Field(min_length=1, max_length=80)] | None = Field(
        None, description="Registering agency; a caseworker's own agency by default."
    )
    data_source: code_of(vocab.DATA_SOURCE) = None
    referral_from_office: Code | None = None
    consent: ConsentIn = Field(default_factory=ConsentIn)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person": {
                        "given_name": "Mai",
                        "family_name": "Tran",
                        "date_of_birth": "2006-04",
                        "sex": "female",
                        "citizenship": ["VN"],
                    },
                    "office_country": "TH",
                    "registration_date": "2024-03-01",
                    "consent": {"assistance": True, "research": True, "sharing": ["IOM VN"]},
                }
            ]
        },
    )


class CaseUpdate(_In):
    version: Version
    person: PersonIn | None = None
    registration_date: Annotated[str, Field(max_length=10)] | None = None
    data_source: code_of(vocab.DATA_SOURCE) = None
    referral_from_office: Code | None = None
    consent: ConsentIn | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 3, "person": {"family_name": "Tran Thi"}}]},
    )


class PersonOut(_Out):
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None
    place_of_birth: str | None = None
    id_document_number: str | None = None
    person_key: str | None = None
    sex: str | None = None
    citizenship: list[str] = []
    languages: list[str] = []
    erased: bool = False


class ExploitationOut(_Out):
    types: list[str] = []
    labour_sectors: list[str] = []
    sexual_exploitation_types: list[str] = []
    means_of_control: list[str] = []
    recruiter_relation: list[str] = []
    recruitment_tactics: list[str] = []
    promised_job: str | None = None
    promised_sector: str | None = None
    country_of_exploitation: str | None = None
    start: str | None = None


class ConsentOut(_Out):
    assistance: bool | None = None
    research: bool | None = None
    sharing: list[str] = []


class ScreeningOut(_Out):
    id: int
    actions: list[str]
    means: list[str]
    purposes: list[str]
    vulnerabilities: list[str]
    indicators: list[str]
    age_at_exploitation: int | None
    notes: str | None
    determination: str
    rule: str
    missing: list[str]
    override_determination: str | None
    override_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class JourneyLegOut(_Out):
    id: int
    leg_number: int
    from_country: str | None
    to_country: str | None
    departure_date: str | None
    crossing: str | None
    travel_document: str | None
    transport_mode: str | None
    exploited: str | None
    created_by: str | None


class AssistanceOut(_Out):
    id: int
    assistance_type: str
    date: str | None
    provider: str | None
    reintegration: bool
    legal_types: list[str] = []
    funding_source: str | None = None
    funding_name: str | None = None
    created_by: str | None


class PerpetratorOut(_Out):
    id: int
    roles: list[str] = []
    sex: list[str] = []
    age_band: list[str] = []
    citizenship: list[str] = []
    region: list[str] = []
    relation: list[str] = []
    paid_money: list[str] = []
    means_of_control: list[str] = []
    grouped: bool = False
    names: list[str] = []
    aliases: list[str] = []
    phone_numbers: list[str] = []
    document_numbers: list[str] = []
    addresses: list[str] = []
    created_by: str | None = None


class ReturnOut(_Out):
    id: int
    version: int
    status: str
    requested_date: str | None = None
    consent_written: bool | None = None
    risk_level: str | None = None
    risk_mitigations: str | None = None
    is_child: bool | None = None
    best_interest_determination: bool | None = None
    bid_authority: str | None = None
    cancel_reason: str | None = None
    guardian_willing: bool | None = None
    guardian_able: bool | None = None
    travel_date: str | None = None
    receiving_office_country: str | None = None
    reintegration_plan: bool | None = None
    follow_up_date: str | None = None
    reintegration_status: str | None = None
    open_gates: list[str] = Field(default_factory=list, description="Gates still open, in plain words.")
    created_by: str | None = None


class TransferOut(_Out):
    id: int
    case_id: int
    from_office_country: str
    from_agency: str
    to_office_country: str
    to_agency: str
    status: str
    reason: str | None
    decision_reason: str | None
    requested_by: str | None
    decided_by: str | None
    created_at: datetime | None
    decided_at: datetime | None


class ConsentDocOut(_Out):
    id: int
    kind: str
    organisation: str | None
    given: bool
    date: str | None
    document_ref: str | None
    recorded_by: str | None


class CaseSummary(_Out):
    id: int
    version: int
    access: str = Field(description="write, read, sent (read-only after a transfer) or deidentified")
    status: str
    agency: str
    office_country: str | None
    current_agency: str | None
    current_office_country: str | None
    registration_date: str | None
    age_band: str | None
    updated_at: datetime | None
    voided: bool = Field(False, description="registered by mistake and voided: left out of lists and figures")
    person: PersonOut | None = None


class VoidOut(_Out):
    at: datetime | None
    by: str | None
    reason: str | None = None


class CaseOut(CaseSummary):
    data_source: str | None = None
    registration_year: int | None = None
    age_at_registration: int | None = None
    child_at_registration: bool | None = None
    age_at_exploitation: int | None = None
    child_at_exploitation: bool | None = None
    status_rule: str | None = None
    exploitation: ExploitationOut
    referral_from_office: str | None = None
    consent: ConsentOut
    closure_reason: str | None = None
    closure_note: str | None = None
    closed_at: datetime | None = None
    voided: VoidOut | None = None  # type: ignore[assignment]
    created_by: str | None = None
    created_at: datetime | None = None
    person: PersonOut
    screenings: list[ScreeningOut] = []
    journey_legs: list[JourneyLegOut] = []
    assistance: list[AssistanceOut] = []
    returns: list[ReturnOut] = []
    transfers: list[TransferOut] = []
    consents: list[ConsentDocOut] = []
    perpetrators: list[PerpetratorOut] = []


class CaseList(_Out):
    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


# --- case work ----------------------------------------------------------------------------------


ScreeningIn = from_standard(
    std.ScreeningRecord,
    "ScreeningIn",
    indicators=(TextList, Field(default_factory=list, max_length=50)),
    consent=(ConsentIn | None, Field(None, description="Consents recorded at screening; written into the case.")),
    country_of_exploitation=(Code | None, Field(None, description="ISO alpha-2; written into the case.")),
    perpetrators=(list[std.Perpetrator], Field(default_factory=list, max_length=20,
                                               description="Perpetrators the person names; recorded on the case.")),
    expected_version=(Version | None, None),
    examples=[
        {
            "actions": ["recruitment", "transportation"],
            "means": ["deception"],
            "purposes": ["forced_labour"],
            "age_at_exploitation": 24,
            "vulnerabilities": [],
            "consent": {"assistance": True, "research": False, "sharing": ["IOM Viet Nam"]},
            "country_of_exploitation": "TH",
        }
    ],
)


class DeterminationOut(_Out):
    determination: str = Field(description="victim_of_trafficking, vulnerable_migrant or not_eligible")
    rule: str
    missing: list[str]
    explanation: str
    criteria: list[str] = []
    exploitation_types: list[str] = Field(
        default_factory=list, description="The case's exploitation types after this screening."
    )
    screening_id: int
    case_version: int
    override: dict[str, Any] | None = None


class OverrideIn(_In):
    determination: code_of(vocab.DETERMINATION) = Field(...)
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    expected_version: Version | None = None


#: Only the fields sent change; ``end`` of the standard is not kept by the case store.
ExploitationIn = from_standard(std.Exploitation, "ExploitationIn", exclude=("end",), version=(Version, Field(...)))

JourneyLegIn = from_standard(
    std.JourneyLeg,
    "JourneyLegIn",
    expected_version=(Version | None, None),
    examples=[
        {
            "from_country": "VN",
            "to_country": "TH",
            "departure_date": "2023-11",
            "crossing": "official_land",
            "travel_document": "own_genuine",
            "transport_mode": "bus",
            "exploited": "no",
        }
    ],
)

AssistanceIn = from_standard(
    std.Assistance,
    "AssistanceIn",
    expected_version=(Version | None, None),
    examples=[{"assistance_type": "medical", "date": "2024-03-02", "provider": "City hospital"}],
)

PerpetratorIn = from_standard(
    std.Perpetrator,
    "PerpetratorIn",
    expected_version=(Version | None, None),
    examples=[
        {
            "roles": ["recruiter"],
            "sex": "male",
            "age_band": "30-38",
            "citizenship": ["VN"],
            "relation": "friend_acquaintance",
            "paid_money": "yes",
            "means_of_control": ["debt_bondage", "threats"],
            "names": ["Tran Van B"],
            "phone_numbers": ["+84 90 000 0000"],
        }
    ],
)


class ConsentDocIn(_In):
    kind: Code = Field(description="assistance, sharing, research or return")
    organisation: Annotated[str, Field(max_length=120)] | None = None
    given: bool = True
    date: Date | None = None
    document_ref: Short | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "sharing",
                    "organisation": "IOM VN",
                    "date": "2024-03-01",
                    "document_ref": "form 12/2024",
                }
            ]
        },
    )


#: A return's fields as the standard has them, but the travel date (recorded by marking travel), and
#: whether the person is a child (derived from the case unless the caseworker says otherwise).
_RETURN: dict[str, Any] = {
    "exclude": ("travel_date",),
    "is_child": (bool | None, Field(None, description="Whether the person is a child now; derived when unset.")),
}
ReturnIn = from_standard(
    std.ReturnRecord,
    "ReturnIn",
    **_RETURN,
    examples=[{"requested_date": "2024-04-01", "consent_written": True, "receiving_office_country": "VN"}],
)
ReturnPatch = from_standard(
    std.ReturnRecord,
    "ReturnPatch",
    **_RETURN,
    version=(Version, Field(...)),
    examples=[{"version": 1, "risk_level": "medium", "risk_mitigations": "escort to the receiving office"}],
)


class TravelIn(_In):
    travel_date: Annotated[str, Field(max_length=10)] | None = None
    version: Version | None = None


class ReasonIn(_In):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


TransferIn = from_standard(
    std.Transfer,
    "TransferIn",
    examples=[{"to_office_country": "VN", "to_agency": "IOM", "reason": "return and reintegration in Viet Nam"}],
)


class CloseIn(_In):
    reason: code_of(vocab.CLOSURE_REASON) = Field(..., description="Why the case is closed.")
    note: Text | None = None
    version: Version | None = None


class ErasedOut(_Out):
    case_id: int
    person_erased_at: datetime
    person_id: int
    cases: list[int] = Field(description="The person's cases, all erased.")
    cleared: dict[str, int] = Field(description="Values cleared in the store, per table.field.")
    warehouse: dict[str, list[str]] | None = Field(None, description="Partitions rewritten (null: none built).")
    release_drafts_withdrawn: list[str] = Field(description="Draft releases withdrawn and deleted.")
    store: str = Field(description="What was done to the database's free space and journal.")


class AuditOut(_Out):
    id: int
    ts: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    reason: str | None
    details: dict[str, Any]


# --- users --------------------------------------------------------------------------------------


class UserIn(_In):
    username: Annotated[str, Field(min_length=2, max_length=80)]
    password: Annotated[str, Field(min_length=8, max_length=1024)]
    role: Code
    office_country: Code | None = None
    agency: Annotated[str, Field(max_length=80)] | None = None


class UserOut(_Out):
    id: int
    username: str
    role: str
    office_country: str | None
    agency: str | None
    active: bool
    locked_until: datetime | None = None
    created_at: datetime | None = None


class HealthOut(_Out):
    status: str
    version: str
