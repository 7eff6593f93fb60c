"""Tables of the case store (the operational record).

Identifying fields and free text about a person (notes, reasons, providers,
organisations) are stored only as AES-GCM ciphertext (``*_enc`` columns; the
list, with each column's encryption context, is in ``store.fields``).
Multi-valued codes are ';'-joined text (CodeList) so SQLite and PostgreSQL hold them
alike and bulk imports stay fast; free-form structures are JSON.
Every mutable row that people edit carries a ``version`` for optimistic
concurrency: a stale update is refused, never silently applied.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class CodeList(TypeDecorator[list[str]]):
    """A list of codes or country codes stored as ';'-joined text.

    Codes never contain ';', so the text form is lossless, portable between
    SQLite and PostgreSQL, cheap to write in bulk and searchable with LIKE.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: list[str] | None, dialect: Any) -> str | None:  # noqa: D102
        if value is None:
            return None
        return ";".join(value)

    def process_result_value(self, value: str | None, dialect: Any) -> list[str] | None:
        # NULL means "not known"; '' means "known to be none" - shares of known values need both.
        if value is None:
            return None
        return value.split(";") if value else []


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_key: Mapped[str] = mapped_column(String(32), index=True)
    given_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    family_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    date_of_birth_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    place_of_birth_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_document_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    sex: Mapped[str | None] = mapped_column(String(32))
    citizenship: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    languages: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    erasure_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    cases: Mapped[list[CaseRecord]] = relationship(back_populates="person")


class CaseRecord(Base):
    """One instance of assistance."""

    __tablename__ = "case_records"
    __table_args__ = (
        UniqueConstraint("source", "source_record_id", name="uq_case_source_record"),
        Index("ix_case_office", "office_country", "agency"),
        Index("ix_case_year", "registration_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    source: Mapped[str] = mapped_column(String(80))
    source_record_id: Mapped[str] = mapped_column(String(200))
    source_kind: Mapped[str] = mapped_column(String(20), default="case")  # case | public_release
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    agency: Mapped[str] = mapped_column(String(80))
    office_country: Mapped[str | None] = mapped_column(String(2))
    current_office_country: Mapped[str | None] = mapped_column(String(2), index=True)
    current_agency: Mapped[str | None] = mapped_column(String(80))
    data_source: Mapped[str | None] = mapped_column(String(32))
    registration_date: Mapped[str | None] = mapped_column(String(10))
    registration_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), default="screening")
    status_rule: Mapped[str | None] = mapped_column(String(64))
    age_at_registration: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[str | None] = mapped_column(String(8))
    child_at_registration: Mapped[bool | None] = mapped_column(Boolean)
    age_at_exploitation: Mapped[int | None] = mapped_column(Integer)
    child_at_exploitation: Mapped[bool | None] = mapped_column(Boolean)
    country_of_exploitation: Mapped[str | None] = mapped_column(String(2))
    origin_region: Mapped[str | None] = mapped_column(String(20))  # when only the region is known
    exploitation_region: Mapped[str | None] = mapped_column(String(20))
    exploitation_types: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    labour_sectors: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    sexual_exploitation_types: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    means_of_control: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    recruiter_relation: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    recruitment_tactics: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    promised_job_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # free text, as the person tells it
    promised_sector: Mapped[str | None] = mapped_column(String(32))
    exploitation_start: Mapped[str | None] = mapped_column(String(10))
    referral_from_office: Mapped[str | None] = mapped_column(String(2))
    consent_assistance: Mapped[bool | None] = mapped_column(Boolean)
    consent_research: Mapped[bool | None] = mapped_column(Boolean)
    consent_sharing_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # a JSON list of organisations
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closure_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)  # registered by mistake: see `counted`
    voided_by: Mapped[str | None] = mapped_column(String(80))
    void_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str | None] = mapped_column(String(80))
    row_hash: Mapped[str | None] = mapped_column(String(64))
    #: the record's place among its source's rows when its record id does not say it (a row a corrected
    #: CTDC release added between two stored ones: ``ingest.ctdc_import.row_identities``); NULL otherwise
    source_position: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    person: Mapped[Person] = relationship(back_populates="cases")
    journey_legs: Mapped[list[JourneyLeg]] = relationship(
        back_populates="case", order_by="JourneyLeg.leg_number", cascade="all, delete-orphan")
    assistance: Mapped[list[Assistance]] = relationship(back_populates="case", cascade="all, delete-orphan")
    returns: Mapped[list[ReturnRecord]] = relationship(back_populates="case", cascade="all, delete-orphan")
    screenings: Mapped[list[Screening]] = relationship(back_populates="case", cascade="all, delete-orphan")
    transfers: Mapped[list[Transfer]] = relationship(back_populates="case", cascade="all, delete-orphan")
    perpetrators: Mapped[list[Perpetrator]] = relationship(back_populates="case", cascade="all, delete-orphan")
    consents: Mapped[list[ConsentDocument]] = relationship(back_populates="case", cascade="all, delete-orphan")



def counted() -> Any:
    """THE rule of which case records count: every one not voided.

    A voided case was registered by mistake; it stays in the store with its audit trail,
    and is left out of case lists (unless asked for), of the warehouse and so of every
    indicator, report and release built from it.
    """
    return CaseRecord.voided_at.is_(None)

class Screening(Base):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    actions: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    means: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    purposes: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    vulnerabilities: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    indicators_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # a JSON list of text
    age_at_exploitation: Mapped[int | None] = mapped_column(Integer)
    notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    determination: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    missing: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    override_determination: Mapped[str | None] = mapped_column(String(32))
    override_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[CaseRecord] = relationship(back_populates="screenings")


class JourneyLeg(Base):
    __tablename__ = "journey_legs"
    __table_args__ = (UniqueConstraint("case_id", "leg_number", name="uq_leg_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    leg_number: Mapped[int] = mapped_column(Integer)
    from_country: Mapped[str | None] = mapped_column(String(2))
    to_country: Mapped[str | None] = mapped_column(String(2))
    departure_date: Mapped[str | None] = mapped_column(String(10))
    crossing: Mapped[str | None] = mapped_column(String(20))
    travel_document: Mapped[str | None] = mapped_column(String(20))
    transport_mode: Mapped[str | None] = mapped_column(String(20))
    exploited: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[str | None] = mapped_column(String(80))

    case: Mapped[CaseRecord] = relationship(back_populates="journey_legs")


class Assistance(Base):
    __tablename__ = "assistance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    assistance_type: Mapped[str] = mapped_column(String(32))
    date: Mapped[str | None] = mapped_column(String(10))
    provider_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reintegration: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_types: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    funding_source: Mapped[str | None] = mapped_column(String(16))  # project | fund | core
    funding_name: Mapped[str | None] = mapped_column(String(200))  # a project's or a fund's name
    created_by: Mapped[str | None] = mapped_column(String(80))

    case: Mapped[CaseRecord] = relationship(back_populates="assistance")


class ReturnRecord(Base):
    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_date: Mapped[str | None] = mapped_column(String(10))
    consent_written: Mapped[bool | None] = mapped_column(Boolean)
    risk_level: Mapped[str | None] = mapped_column(String(10))
    risk_mitigations_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    is_child: Mapped[bool | None] = mapped_column(Boolean)
    best_interest_determination: Mapped[bool | None] = mapped_column(Boolean)
    bid_authority_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    guardian_willing: Mapped[bool | None] = mapped_column(Boolean)
    guardian_able: Mapped[bool | None] = mapped_column(Boolean)
    travel_date: Mapped[str | None] = mapped_column(String(10))
    receiving_office_country: Mapped[str | None] = mapped_column(String(2))
    reintegration_plan: Mapped[bool | None] = mapped_column(Boolean)
    follow_up_date: Mapped[str | None] = mapped_column(String(10))
    reintegration_status: Mapped[str | None] = mapped_column(String(20))
    cancel_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(80))

    __mapper_args__ = {"version_id_col": version}

    case: Mapped[CaseRecord] = relationship(back_populates="returns")


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    from_office_country: Mapped[str] = mapped_column(String(2))
    from_agency: Mapped[str] = mapped_column(String(80))
    to_office_country: Mapped[str] = mapped_column(String(2), index=True)
    to_agency: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decision_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    requested_by: Mapped[str | None] = mapped_column(String(80))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    case: Mapped[CaseRecord] = relationship(back_populates="transfers")


class Perpetrator(Base):
    """A person involved in trafficking the victim of a case (or, ``grouped``, all of them: public releases).

    Descriptive fields are code lists (one value for one person, several for a grouped row); the
    identifying ones are encrypted JSON lists, erased with the victim's record (`cases.erasure`).
    """

    __tablename__ = "perpetrators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    roles: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    sex: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    age_band: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    citizenship: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    region: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    relation: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    paid_money: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    means_of_control: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    grouped: Mapped[bool] = mapped_column(Boolean, default=False)
    names_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    aliases_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_numbers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_numbers_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    addresses_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[CaseRecord] = relationship(back_populates="perpetrators")


class ConsentDocument(Base):
    """A recorded consent (to assistance, sharing with a named office, research, return)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # assistance | sharing | research | return
    organisation_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    given: Mapped[bool] = mapped_column(Boolean, default=True)
    date: Mapped[date | None] = mapped_column(Date)
    document_ref_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    case: Mapped[CaseRecord] = relationship(back_populates="consents")


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(80))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    release: Mapped[str | None] = mapped_column(String(120))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    already_present: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(80))


class QuarantineRow(Base):
    """A rejected row, kept with its original values and the reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    table_name: Mapped[str] = mapped_column(String(32), default="records")
    row_number: Mapped[int] = mapped_column(Integer)
    raw_enc: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved | superseded | dismissed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the source row's identity as read: its record's source and id (companions: their parent's), content digest
    source: Mapped[str | None] = mapped_column(String(80))
    record_id: Mapped[str | None] = mapped_column(String(200))
    row_hash: Mapped[str | None] = mapped_column(String(32))
    #: a CTDC row's place among its release's rows when its record id does not say it (as
    #: `CaseRecord.source_position`: ``ingest.ctdc_import.row_identities``); NULL otherwise
    source_position: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_quarantine_open", "status", "kind", "table_name"),)


class AuditEntry(Base):
    """Append-only, hash-chained log of every read and write of a case."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: how `hash` was made: 1 = SHA-256 chain (stores before 0007), 2 = HMAC with the audit key
    chain: Mapped[int] = mapped_column(Integer, default=2, server_default="1")


class StoreMeta(Base):
    """Facts about the store itself: its id, the fingerprints of its keys (ctdata.store.keys)."""

    __tablename__ = "store_meta"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Agency(Base):
    """A registered agency: its code (`standard.types.agency_code`) is the only spelling the store writes.

    Accounts, case registration and transfers take only registered codes (``cases.agencies``);
    an import registers the agencies of its file."""

    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    office_country: Mapped[str | None] = mapped_column(String(2))
    agency: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))  # of the case pages; None: as the browser asks


class LoginLockout(Base):
    """Consecutive failed logins to one account from one source address, and its lockout (see cases.users)."""

    __tablename__ = "login_lockouts"
    __table_args__ = (Index("ix_login_lockouts_user_client", "user_id", "client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RateEvent(Base):
    """One counted event of a rate limit shared by the web app's workers (see ctdata.web.shared).

    `key` is a digest of the limit's name and key (no user names or addresses are stored);
    `expires` is when the event stops counting, in seconds since the epoch. Expired rows are deleted.
    """

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_expires", "key", "expires"), Index("ix_rate_events_expires", "expires"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    expires: Mapped[float] = mapped_column(Float)


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Project(Base):
    """A counter-trafficking project, for funding by regional office."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("project", "year", name="uq_project_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project: Mapped[str] = mapped_column(String(200))
    countries: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    donor: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    year: Mapped[int] = mapped_column(Integer)


# --- record linkage (person clusters, review queue, labels) ------------------------------------------


class LinkRun(Base):
    """One run of `ctdata link`: its settings and trained model, so the run can be explained and repeated."""

    __tablename__ = "link_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="link")  # link | recluster
    actor: Mapped[str] = mapped_column(String(80))
    backend: Mapped[str] = mapped_column(String(20), default="duckdb")
    threshold: Mapped[float] = mapped_column(Float)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    features_used: Mapped[list[str] | None] = mapped_column(CodeList, nullable=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    individuals: Mapped[int] = mapped_column(Integer, default=0)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str | None] = mapped_column(String(64))
    seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IndividualLink(Base):
    """The person cluster of a case record: record -> individual_id (pseudonymous, stable across runs)."""

    __tablename__ = "individual_links"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_records.id"), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(32), unique=True)
    individual_id: Mapped[str] = mapped_column(String(24), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_runs.id"), index=True)


class LinkScore(Base):
    """A scored candidate pair of the latest run (pseudonyms and scores only): re-clustering reads these."""

    __tablename__ = "link_scores"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("link_runs.id"), index=True)
    record_key_l: Mapped[str] = mapped_column(String(32))
    record_key_r: Mapped[str] = mapped_column(String(32))
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)


class LinkReviewPair(Base):
    """A pair in the uncertain band, waiting for (or given) a data manager's decision. No identifiers."""

    __tablename__ = "link_review_pairs"
    __table_args__ = (UniqueConstraint("record_key_l", "record_key_r", name="uq_link_review_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_key_l: Mapped[str] = mapped_column(String(32))
    record_key_r: Mapped[str] = mapped_column(String(32))
    case_id_l: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    case_id_r: Mapped[int] = mapped_column(ForeignKey("case_records.id"), index=True)
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | decided | dropped
    decision: Mapped[str | None] = mapped_column(String(20))
    run_id: Mapped[int] = mapped_column(ForeignKey("link_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LinkLabel(Base):
    """A reviewer's decision on a pair of records; the latest per pair overrides the model."""

    __tablename__ = "link_labels"
    __table_args__ = (Index("ix_link_label_pair", "record_key_l", "record_key_r"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_key_l: Mapped[str] = mapped_column(String(32))
    record_key_r: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(20))  # match | not_match | unsure
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("link_review_pairs.id"))
