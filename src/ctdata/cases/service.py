"""Register, read, list, search and update cases (the core of issue 4's case services).

Every function takes (session, actor, ...), checks access through `access`, and
writes one audit entry for the read or write. Lists write one entry with a digest
of the ids shown. Names are encrypted, so a name search decrypts the names of the
cases within the actor's scope (no name-derived index is stored that could be
matched against a list of names).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from ctdata.cases.access import AUDIT_READERS, Access, Actor, Scope, load_case, require_role, same_office
from ctdata.cases.agencies import require_agency
from ctdata.cases.common import derived_ages, load_open, no_nul, record_by, touch, validate
from ctdata.cases.views import PERSON_FIELDS, case_view, decrypt_person, summary_view
from ctdata.errors import Conflict, PermissionDenied, ValidationError
from ctdata.standard import models as std
from ctdata.standard import vocab
from ctdata.standard.dates import parse_full_date
from ctdata.standard.types import not_allowed
from ctdata.store import audit, persons
from ctdata.store.crypto import keyring
from ctdata.store.fields import seal_list, unseal_list
from ctdata.store.models import CaseRecord, Person, Screening, counted
from ctdata.text import Plain, Text

#: Source name of cases registered through the case services (web pages, API).
SOURCE = "ctdata"
WRITERS = ("admin", "caseworker")
MAX_PAGE = 200


def _person_key(values: Mapping[str, Any], fallback: str) -> str:
    return persons.person_key(keyring(), values, SOURCE, fallback)


def _encrypt_person(person: Person, values: Mapping[str, Any]) -> None:
    clean = {name: no_nul(values.get(name), name) for name in persons.ENCRYPTED}
    for col, blob in persons.encrypted(keyring(), clean).items():
        setattr(person, col, blob)


def _sharing(organisations: list[str]) -> bytes | None:
    return seal_list([no_nul(x, "consent.sharing") or "" for x in organisations], "case_records", "consent_sharing_enc")


def _draft_id(value: str) -> str:
    text = value.strip().lower()
    if len(text) != 32 or any(ch not in "0123456789abcdef" for ch in text):
        raise ValidationError(f"draft_id: {value!r} is not 32 hexadecimal digits")
    return text


def registered_draft(session: Session, actor: Actor, draft_id: str) -> CaseRecord | None:
    """The case a client's draft was already registered as (None: not yet).

    Why: a browser sends its offline drafts when the connection returns; when the answer to a
    registration is lost on the way, it sends the draft again, and that must not make a second
    case. Only the account that registered the draft is told; another gets a conflict."""
    rid = _draft_id(draft_id)
    rec = session.execute(
        select(CaseRecord).where(CaseRecord.source == SOURCE, CaseRecord.source_record_id == rid)
    ).scalar_one_or_none()
    if rec is not None and rec.created_by != actor.username:
        raise Conflict(Text("this draft was registered by another account"))
    return rec


def register_case(
    session: Session,
    actor: Actor,
    person: Mapping[str, Any] | std.Person,
    case: Mapping[str, Any] | std.CaseRecord,
    *,
    record_id: str | None = None,
) -> CaseRecord:
    """Register a person and a case record (one instance of assistance) in the actor's office.

    ``record_id`` (32 hex digits) is the identity a client chose for the registration (an offline
    draft: see `registered_draft`); by default a new random one."""
    require_role(session, actor, WRITERS, "case.create")
    p = validate(std.Person, person, "person")
    if isinstance(case, Mapping) and actor.role == "caseworker":
        case = {"agency": actor.agency, **case}
    c = validate(std.CaseRecord, case, "case")
    if actor.role == "caseworker" and not same_office(actor, c.office_country, c.agency):
        raise PermissionDenied(
            f"you register cases for your own office ({actor.agency} {actor.office_country}), "
            f"not {c.agency} {c.office_country}"
        )
    require_agency(session, c.agency)
    if c.status == "closed":
        raise ValidationError(Text("a case cannot be registered as closed"))
    pv = p.model_dump()
    record_id = _draft_id(record_id) if record_id is not None else uuid.uuid4().hex
    row = Person(
        person_key=_person_key(pv, record_id),
        sex=p.sex,
        citizenship=list(p.citizenship),
        languages=[no_nul(x, "languages") or "" for x in p.languages],
    )
    _encrypt_person(row, pv)
    session.add(row)
    rec = CaseRecord(
        person=row,
        source=SOURCE,
        source_record_id=record_id,
        source_kind="case",
        agency=c.agency,
        office_country=c.office_country,
        current_office_country=c.office_country,
        current_agency=c.agency,
        data_source=c.data_source,
        registration_date=c.registration_date,
        status=c.status,
        referral_from_office=c.referral_from_office,
        consent_assistance=c.consent.assistance,
        consent_research=c.consent.research,
        consent_sharing_enc=_sharing(c.consent.sharing),
        created_by=actor.username,
        **derived_ages(p.date_of_birth, c.registration_date),
    )
    session.add(rec)
    session.flush()
    record_by(
        session, actor, "case.create", rec.id,
        {"office": f"{c.agency} {c.office_country}", "person_id": row.id},
    )
    return rec


def _with_children(case_id: int) -> Select[tuple[CaseRecord]]:
    return (
        select(CaseRecord)
        .where(CaseRecord.id == case_id)
        .options(
            selectinload(CaseRecord.person),
            selectinload(CaseRecord.screenings),
            selectinload(CaseRecord.journey_legs),
            selectinload(CaseRecord.assistance),
            selectinload(CaseRecord.returns),
            selectinload(CaseRecord.transfers),
            selectinload(CaseRecord.consents),
            selectinload(CaseRecord.perpetrators),
        )
    )


def view(session: Session, actor: Actor, case: CaseRecord, level: Access) -> dict[str, Any]:
    """The case as this actor may see it (no audit: callers audit their own action)."""
    sent_by = None
    if level is Access.SENT:
        sent_by = (actor.office_country or "", actor.agency or "")
    return case_view(session, case, level, sent_by=sent_by)


def get_case(session: Session, actor: Actor, case_id: int, *, reason: str | None = None) -> dict[str, Any]:
    """Read one case (audited); NotFound when it does not exist or is outside the actor's scope."""
    case, level = load_case(session, actor, case_id)
    case = session.execute(_with_children(case_id)).scalar_one()
    out = view(session, actor, case, level)
    record_by(session, actor, "case.read", case_id, {"access": level.value}, reason=reason)
    return out


def case_audit(session: Session, actor: Actor, case_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """The audit trail of one case, newest first (reading it is itself audited).

    The one rule for every reader (API, pages): roles in `AUDIT_READERS`, within their access to the case.
    """
    require_role(session, actor, AUDIT_READERS, "audit.read")
    load_case(session, actor, case_id, action="audit.read")
    rows = audit.entries_for(session, "case", case_id, limit=max(1, min(limit, 1000)))
    out = [
        {
            "id": e.id,
            "ts": e.ts,
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "reason": e.reason,
            "details": e.details or {},
        }
        for e in rows
    ]
    record_by(session, actor, "audit.read", case_id, {"count": len(out)})
    return out


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _name_matches(tokens: list[str], given: str | None, family: str | None) -> bool:
    words = _fold(f"{given or ''} {family or ''}").split()
    return all(any(w.startswith(t) for w in words) for t in tokens)


#: The orders a case list may be read in: key -> (label, columns). The case number breaks ties,
#: and cases without a registration date come last in both directions.
SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "-number": (Text("Case number, newest first"), (CaseRecord.id.desc(),)),
    "number": (Text("Case number, oldest first"), (CaseRecord.id.asc(),)),
    "-registered": (
        Text("Registration date, newest first"),
        (CaseRecord.registration_date.is_(None), CaseRecord.registration_date.desc(), CaseRecord.id.desc()),
    ),
    "registered": (
        Text("Registration date, oldest first"),
        (CaseRecord.registration_date.is_(None), CaseRecord.registration_date.asc(), CaseRecord.id.asc()),
    ),
}
DEFAULT_SORT = "-number"


def _iso_date(value: str | None, name: str) -> str | None:
    """A full ISO date (registration dates are stored as YYYY-MM-DD text, so text order is date order)."""
    value = (no_nul(value, name) or "").strip()
    if not value:
        return None
    whole = parse_full_date(value, field=name)  # the one reading of a typed date
    return whole.isoformat() if whole else None


def determination_is(code: str) -> ColumnElement[bool]:
    """Cases whose screening determination is `code`.

    An open case's status is its determination (screening and overrides set it; an import
    carries it). A closed case keeps the determination of its latest screening, an override
    taking the engine's place; a closed case never screened has none.
    """
    latest = aliased(Screening)
    newest_id = select(func.max(latest.id)).where(latest.case_id == Screening.case_id).scalar_subquery()
    closed_with = exists().where(
        Screening.case_id == CaseRecord.id,
        Screening.id == newest_id,
        func.coalesce(Screening.override_determination, Screening.determination) == code,
    )
    return or_(CaseRecord.status == code, and_(CaseRecord.status == "closed", closed_with))


def list_cases(
    session: Session,
    actor: Actor,
    *,
    q: str | None = None,
    status: str | None = None,
    office_country: str | None = None,
    registration_year: int | None = None,
    registered_from: str | None = None,
    registered_to: str | None = None,
    determination: str | None = None,
    sort: str = DEFAULT_SORT,
    limit: int = 50,
    offset: int = 0,
    include_voided: bool = False,
) -> dict[str, Any]:
    """Cases in the actor's scope, one page in the order `sort` names (a key of SORTS).

    `q` searches names (each word a name prefix); `registered_from`/`registered_to` bound the
    registration date (both included; a partial date, a month or a year, is within when any of its
    days is; cases without a date fall outside any bound);
    `determination` is a code of vocab.DETERMINATION (see `determination_is`). `total` counts
    every case that matches, not only the page. Voided cases are left out (`store.models.counted`)
    unless `include_voided`.
    """
    require_role(session, actor, ("admin", "data_manager", "caseworker", "analyst"), "case.list")
    if sort not in SORTS:
        raise ValidationError.at("sort", not_allowed(sort, SORTS))
    if status and status not in vocab.CASE_STATUS:
        raise ValidationError.at("status", not_allowed(status, vocab.CASE_STATUS.codes))
    if determination and determination not in vocab.DETERMINATION:
        raise ValidationError.at("determination", not_allowed(determination, vocab.DETERMINATION.codes))
    registered_from = _iso_date(registered_from, "registered_from")
    registered_to = _iso_date(registered_to, "registered_to")
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    order = SORTS[sort][1]
    scope = Scope(session, actor)
    cond = [scope.where]
    if not include_voided:
        cond.append(counted())
    if status:
        cond.append(CaseRecord.status == status)
    if office_country:
        cond.append(CaseRecord.current_office_country == office_country.upper())
    if registration_year is not None:
        cond.append(CaseRecord.registration_year == registration_year)
    if registered_from:  # the date's last day is on or after `from` ("~" sorts after digits and "-")
        cond.append(CaseRecord.registration_date + "~" >= registered_from)
    if registered_to:  # the date's first day is on or before `to` ("2024-03" sorts before "2024-03-01")
        cond.append(CaseRecord.registration_date <= registered_to)
    if determination:
        cond.append(determination_is(determination))
    tokens = _fold(no_nul(q, "q") or "").split()
    if tokens and actor.role not in ("admin", "data_manager", "caseworker"):
        require_role(session, actor, ("admin", "data_manager", "caseworker"), "case.search_by_name")
    base = select(CaseRecord.id).where(*cond)
    if tokens:
        rows = session.execute(
            select(CaseRecord.id, Person.given_name_enc, Person.family_name_enc)
            .join(Person, Person.id == CaseRecord.person_id)
            .where(*cond)
            .order_by(*order)
        ).all()
        keys = keyring()
        ids = [
            cid
            for cid, g, f in rows
            if _name_matches(tokens, keys.decrypt(g, "given_name"), keys.decrypt(f, "family_name"))
        ]
        total = len(ids)
        page_ids = ids[offset : offset + limit]
    else:
        total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        page_ids = list(session.execute(base.order_by(*order).limit(limit).offset(offset)).scalars())
    rows = (
        session.execute(
            select(CaseRecord, scope.level)
            .where(CaseRecord.id.in_(page_ids))
            .options(selectinload(CaseRecord.person))
        ).all()
        if page_ids
        else []
    )
    position = {cid: i for i, cid in enumerate(page_ids)}
    items = []
    for case, value in sorted(rows, key=lambda r: position[r[0].id]):
        if value is None:  # cannot happen: the ids came through the same scope; refuse rather than leak
            continue
        level = Access(value)
        person: dict[str, Any] = {"sex": case.person.sex, "erased": case.person.erased_at is not None}
        if level.identifying:
            names = decrypt_person(case.person)
            person.update(
                given_name=names["given_name"],
                family_name=names["family_name"],
                date_of_birth=names["date_of_birth"],
            )
        items.append(summary_view(case, level, person))
    record_by(session, actor, "case.list", None, {
        "count": len(items),
        "total": total,
        "ids_digest": audit.digest_ids(page_ids),
        "filters": {
            "name_search": bool(tokens),
            "status": status,
            "office_country": office_country,
            "year": registration_year,
            "registered_from": registered_from,
            "registered_to": registered_to,
            "determination": determination,
            "sort": sort,
        },
    })
    return {"total": total, "limit": limit, "offset": offset, "sort": sort, "items": items}


CASE_FIELDS = ("registration_date", "data_source", "referral_from_office")


def update_case(
    session: Session, actor: Actor, case_id: int, expected_version: int, changes: Mapping[str, Any]
) -> CaseRecord:
    """Change person and case fields; a Conflict when the case moved on since `expected_version`."""
    case = load_open(session, actor, case_id, "case.update", expected_version)
    changes = dict(changes)
    unknown = set(changes) - {"person", "consent", *CASE_FIELDS}
    if unknown:
        raise ValidationError(Text("these case fields cannot be changed here: {fields}",
                                   fields=Plain(", ".join(sorted(unknown)))))
    person = case.person
    current = decrypt_person(person)
    pchanges = dict(changes.get("person") or {})
    pv = validate(
        std.Person,
        {
            **current,
            "sex": person.sex,
            "citizenship": person.citizenship or [],
            "languages": person.languages or [],
            **pchanges,
        },
        "person",
    ).model_dump()
    cur_case = {
        "agency": case.agency,
        "office_country": case.office_country,
        "registration_date": case.registration_date,
        "data_source": case.data_source,
        "referral_from_office": case.referral_from_office,
        "consent": {
            "assistance": case.consent_assistance,
            "research": case.consent_research,
            "sharing": unseal_list(case.consent_sharing_enc, "case_records", "consent_sharing_enc"),
        },
    }
    merged = {**cur_case, **{k: changes[k] for k in CASE_FIELDS if k in changes}}
    if "consent" in changes:
        merged["consent"] = {**cur_case["consent"], **dict(changes["consent"] or {})}
    cv = validate(std.CaseRecord, merged, "case")
    if pchanges:
        if person.erased_at is not None and any(pv.get(k) for k in PERSON_FIELDS):
            raise ValidationError(Text("this person's identifying data was erased on request; it cannot be re-entered"))
        _encrypt_person(person, pv)
        person.sex, person.citizenship, person.languages = pv["sex"], pv["citizenship"], pv["languages"]
        if person.erased_at is None:
            person.person_key = _person_key(pv, case.source_record_id)
    case.registration_date, case.data_source = cv.registration_date, cv.data_source
    case.referral_from_office = cv.referral_from_office
    case.consent_assistance, case.consent_research = cv.consent.assistance, cv.consent.research
    case.consent_sharing_enc = _sharing(cv.consent.sharing)
    for k, v in derived_ages(pv["date_of_birth"], cv.registration_date).items():
        setattr(case, k, v)
    touch(case)
    session.flush()
    record_by(session, actor, "case.update", case_id, {
        "fields": sorted([*(f"person.{k}" for k in pchanges), *(k for k in changes if k != "person")]),
        "version": case.version,
    })
    return case
