"""Who may see and change which case (DESIGN.md section 7: deny by default): the one access rule.

Roles:

- ``admin``: every case, read and write; manages users.
- ``data_manager``: reads the cases of their agency (all agencies when the account
  has none), with identifying fields; erases a person's identifiers on request;
  does no case work.
- ``caseworker``: reads and writes the cases whose current office is theirs
  (country and agency); reads a case while a transfer to their office awaits their
  decision; after a transfer out, keeps read-only access to what their office wrote.
  Any other case id is answered "not found", so existence is not leaked.
- ``analyst``: reads a de-identified view of any case (no names, dates of birth,
  document numbers or free text); analysis belongs in the warehouse.
- ``public``: nothing of the case store.

The rule is written once, in `_rules`: ordered (SQL condition over ``case_records``,
access) pairs, the first that holds wins. `Scope` turns it into a CASE expression
(the access to each case) and a WHERE condition (the cases a list may show), and the
decision for one case (`access_level`) evaluates that same expression in the
database for that case, so a case can be opened by id exactly when it is listed.
Agency and office keys are canonical where they are written (`agency_code`,
ISO alpha-2), so every comparison is plain equality, in SQL and in Python alike.

Every refusal is queued for the audit log (see `tx.queue_denial`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_

from ctdata.cases.tx import queue_denial
from ctdata.errors import CtdataError, NotFound, PermissionDenied
from ctdata.standard.types import agency_code
from ctdata.store.models import CaseRecord, Transfer, User
from ctdata.text import Plain, Text

ROLES = ("admin", "data_manager", "caseworker", "analyst", "public")
#: Roles that may see identifying fields (names, date of birth, document number, free text).
IDENTIFYING_ROLES = frozenset({"admin", "data_manager", "caseworker"})
#: Roles that may read a case's audit trail (within their access to the case).
AUDIT_READERS = ("admin", "data_manager", "caseworker")
#: Largest row id the store hands out (ids are 32-bit integers on PostgreSQL); larger ids name nothing.
MAX_ID = 2**31 - 1


class NotAuthenticated(CtdataError):
    """No valid credentials (HTTP 401)."""

    exit_code = 3


class TooManyAttempts(CtdataError):
    """Too many login attempts in a short time (HTTP 429)."""

    exit_code = 3


def office_key(country: str | None, agency: str | None) -> tuple[str | None, str | None]:
    """The canonical (country, agency) of an office: upper-case country code, agency code (None when empty)."""
    c = " ".join((country or "").split()).upper() or None
    a = agency_code(agency) if agency else None
    return c, a or None


@dataclass(frozen=True)
class Actor:
    """The person (or process) acting: every service call takes one, every audit entry names one.

    The office is kept in canonical form whatever the caller passed, so an actor
    built by hand compares like one read from the accounts table.
    """

    username: str
    role: str
    office_country: str | None = None
    agency: str | None = None
    user_id: int | None = None
    #: the language the account reads the pages in (not part of who the actor is: equality ignores it)
    language: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        country, agency = office_key(self.office_country, self.agency)
        object.__setattr__(self, "office_country", country)
        object.__setattr__(self, "agency", agency)

    @property
    def identifying(self) -> bool:
        return self.role in IDENTIFYING_ROLES

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.username, user.role, user.office_country, user.agency, user.id, user.language)


#: The actor of command-line administration and of library calls made on its behalf.
SYSTEM = Actor("cli", "admin")


class Access(StrEnum):
    WRITE = "write"  # full read and write
    READ = "read"  # full read, no write (data manager; receiving office of a pending transfer)
    SENT = "sent"  # sending office after a transfer: read-only, what it wrote
    DEIDENTIFIED = "deidentified"  # analyst

    @property
    def identifying(self) -> bool:
        return self is not Access.DEIDENTIFIED


def same_office(actor: Actor, country: Any, agency: Any) -> Any:
    """Whether (country, agency) is the actor's office.

    One definition for both worlds: given plain values it answers a bool, given
    columns it answers the SQL condition (stored keys are canonical, so both are equality).
    """
    if actor.office_country is None or actor.agency is None:
        return false() if isinstance(country, ColumnElement) or hasattr(country, "__clause_element__") else False
    return (country == actor.office_country) & (agency == actor.agency)


def _transfer_rules(actor: Actor) -> list[tuple[ColumnElement[bool], Access]]:
    """The transfers that open a case to a caseworker: pending to their office, accepted from it."""
    return [
        (
            (Transfer.status == "pending") & same_office(actor, Transfer.to_office_country, Transfer.to_agency),
            Access.READ,
        ),
        (
            (Transfer.status == "accepted") & same_office(actor, Transfer.from_office_country, Transfer.from_agency),
            Access.SENT,
        ),
    ]


def _rules(
    actor: Actor, via_transfer: dict[Access, Collection[int] | Select[Any]]
) -> list[tuple[ColumnElement[bool], Access]]:
    """THE access rule: ordered (condition over case_records, access) pairs; the first that holds wins."""
    C = CaseRecord
    if actor.role == "admin":
        return [(true(), Access.WRITE)]
    if actor.role == "analyst":
        return [(true(), Access.DEIDENTIFIED)]
    if actor.role == "data_manager":
        if actor.agency is None:
            return [(true(), Access.READ)]
        return [(or_(C.current_agency == actor.agency, C.agency == actor.agency), Access.READ)]
    if actor.role == "caseworker" and actor.office_country and actor.agency:
        rules = [(same_office(actor, C.current_office_country, C.current_agency), Access.WRITE)]
        for level in (Access.READ, Access.SENT):
            ids = via_transfer.get(level)
            if isinstance(ids, Select):
                rules.append((C.id.in_(ids), level))
            elif ids:
                rules.append((C.id.in_(sorted(ids)), level))
        return rules
    return []


class Scope:
    """The actor's access to case records as SQL, from `_rules`.

    ``level`` is the access to each case (NULL: invisible), ``where`` the condition
    for a list. A caseworker's transfers are few, so for a list the case ids they
    open are fetched first and ``where`` stays indexable (office index OR primary
    key) on a large store; with ``prefetch=False`` the same transfer conditions stay
    subqueries (one statement, for one case).
    """

    def __init__(self, session: Session | None, actor: Actor, *, prefetch: bool = True) -> None:
        self.actor = actor
        via: dict[Access, Collection[int] | Select[Any]] = {}
        if actor.role == "caseworker" and actor.office_country and actor.agency:
            for cond, level in _transfer_rules(actor):
                q = select(Transfer.case_id).where(cond)
                via[level] = set(session.execute(q).scalars()) if prefetch and session is not None else q
        rules = _rules(actor, via)
        #: the rule holds for every case (no condition worth sending to the database)
        self.unrestricted = any(isinstance(c, True_) for c, _ in rules)
        self.where: ColumnElement[bool] = or_(*(c for c, _ in rules)) if rules else false()
        self.level: ColumnElement[Any] = (
            case(*((c, literal(level.value, String())) for c, level in rules), else_=null()) if rules else null()
        )

    def ids_visible(self, session: Session, ids: Collection[int]) -> set[int]:
        """Which of these case ids the actor may see."""
        if not ids:
            return set()
        q = select(CaseRecord.id).where(and_(CaseRecord.id.in_(sorted(ids)), self.where))
        return set(session.execute(q).scalars())


def case_and_access(session: Session, actor: Actor, case_id: int) -> tuple[CaseRecord | None, Access | None]:
    """One case and the actor's access to it, in one statement evaluating the list's expression for this case."""
    if not known_id(case_id):
        return None, None
    row = session.execute(_one_case(actor), {"case_id": case_id}).first()
    if row is None:
        return None, None
    return row[0], (Access(row[1]) if row[1] is not None else None)


@lru_cache(maxsize=1024)
def _one_case(actor: Actor) -> Select[Any]:
    """The statement of `case_and_access` for this actor, built once: opening a case is the commonest
    request, and building the rule's expression and its cache key anew each time cost more than the query."""
    scope = Scope(None, actor, prefetch=False)
    return select(CaseRecord, scope.level).where(CaseRecord.id == bindparam("case_id", type_=Integer))


def access_level(session: Session, actor: Actor, case: CaseRecord | int) -> Access | None:
    """The actor's access to one case, or None when the case must stay invisible to them."""
    return case_and_access(session, actor, case if isinstance(case, int) else case.id)[1]


def known_id(row_id: object) -> bool:
    """Whether a row id can name a row at all (a larger number is "not found", not a database error)."""
    return isinstance(row_id, int) and 1 <= row_id <= MAX_ID


def deny(session: Session, actor: Actor, action: str, entity: str, entity_id: object, reason: str) -> None:
    """Queue the audit entry of a refused access (written even though the request fails)."""
    queue_denial(
        session,
        actor=actor.username,
        action="access_denied",
        entity=entity,
        entity_id=entity_id,
        reason=reason,
        details={"attempted": action, "role": actor.role},
    )


def load_case(
    session: Session, actor: Actor, case_id: int, *, write: bool = False, action: str = "case.read"
) -> tuple[CaseRecord, Access]:
    """The case and the actor's access to it; NotFound when hidden, PermissionDenied when read-only."""
    case, level = case_and_access(session, actor, case_id)
    if case is None or level is None:
        deny(
            session,
            actor,
            action,
            "case",
            case_id,
            "no such case" if case is None else f"case is outside the scope of role {actor.role}",
        )
        raise NotFound(Text("case {number} not found", number=Plain(case_id)))
    if write and level is not Access.WRITE:
        deny(session, actor, action, "case", case_id, f"read-only access ({level.value})")
        raise PermissionDenied(Text("you may read case {number} but not change it", number=Plain(case_id)))
    return case, level


def require_role(session: Session, actor: Actor, roles: tuple[str, ...], action: str) -> None:
    """Refuse (and audit) an action the actor's role does not allow."""
    if actor.role not in roles:
        deny(session, actor, action, "service", action, f"role {actor.role} may not {action}")
        raise PermissionDenied(Text("role '{role}' may not {action}", role=ROLE_NAMES.get(actor.role, actor.role),
                                    action=SERVICE_ACTIONS.get(action) or action.replace(".", " ")))


#: roles as a refusal of the case services names them (a `Text`: a page says it in its language)
ROLE_NAMES: dict[str, Text] = {"admin": Text("admin"), "data_manager": Text("data manager"),
                               "caseworker": Text("caseworker"), "analyst": Text("analyst"), "public": Text("public")}
#: the actions `require_role` guards, as its refusal names them
SERVICE_ACTIONS: dict[str, Text] = {
    "agency.create": Text("agency create"), "audit.read": Text("audit read"), "case.create": Text("case create"),
    "case.list": Text("case list"), "case.search_by_name": Text("case search_by_name"),
    "person.erase": Text("person erase"), "transfer.list": Text("transfer list"), "user.create": Text("user create"),
    "user.end_sessions": Text("user end_sessions"), "user.list": Text("user list"),
    "user.reset_password": Text("user reset_password"), "user.update": Text("user update"),
}
