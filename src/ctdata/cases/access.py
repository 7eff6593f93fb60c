"""Who may see and change which case (DESIGN.md section 7: deny by default).

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

Every refusal is queued for the audit log (see `tx.queue_denial`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdata.cases.tx import queue_denial
from ctdata.errors import CtdataError, NotFound, PermissionDenied
from ctdata.store.models import CaseRecord, Transfer, User

ROLES = ("admin", "data_manager", "caseworker", "analyst", "public")
#: Roles that may see identifying fields (names, date of birth, document number, free text).
IDENTIFYING_ROLES = frozenset({"admin", "data_manager", "caseworker"})


class NotAuthenticated(CtdataError):
    """No valid credentials (HTTP 401)."""

    exit_code = 3


class TooManyAttempts(CtdataError):
    """Too many login attempts in a short time (HTTP 429)."""

    exit_code = 3


@dataclass(frozen=True)
class Actor:
    """The person (or process) acting: every service call takes one, every audit entry names one."""

    username: str
    role: str
    office_country: str | None = None
    agency: str | None = None
    user_id: int | None = None

    @property
    def identifying(self) -> bool:
        return self.role in IDENTIFYING_ROLES

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.username, user.role, user.office_country, user.agency, user.id)


#: The actor of command-line administration.
SYSTEM = Actor("cli", "admin")


class Access(StrEnum):
    WRITE = "write"  # full read and write
    READ = "read"  # full read, no write (data manager; receiving office of a pending transfer)
    SENT = "sent"  # sending office after a transfer: read-only, what it wrote
    DEIDENTIFIED = "deidentified"  # analyst

    @property
    def identifying(self) -> bool:
        return self is not Access.DEIDENTIFIED


def same_office(actor: Actor, country: str | None, agency: str | None) -> bool:
    return (
        actor.office_country is not None
        and actor.agency is not None
        and country == actor.office_country
        and (agency or "").casefold() == actor.agency.casefold()
    )


def access_level(session: Session, actor: Actor, case: CaseRecord) -> Access | None:
    """The actor's access to one case, or None when the case must stay invisible to them."""
    if actor.role == "admin":
        return Access.WRITE
    if actor.role == "data_manager":
        if (
            actor.agency is None
            or (case.current_agency or "").casefold() == actor.agency.casefold()
            or (case.agency or "").casefold() == actor.agency.casefold()
        ):
            return Access.READ
        return None
    if actor.role == "analyst":
        return Access.DEIDENTIFIED
    if actor.role != "caseworker":
        return None
    if same_office(actor, case.current_office_country, case.current_agency):
        return Access.WRITE
    transfers = session.execute(select(Transfer).where(Transfer.case_id == case.id)).scalars().all()
    for t in transfers:
        if t.status == "pending" and same_office(actor, t.to_office_country, t.to_agency):
            return Access.READ
    for t in transfers:
        if t.status == "accepted" and same_office(actor, t.from_office_country, t.from_agency):
            return Access.SENT
    return None


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
    case = session.get(CaseRecord, case_id)
    level = access_level(session, actor, case) if case is not None else None
    if case is None or level is None:
        deny(
            session,
            actor,
            action,
            "case",
            case_id,
            "no such case" if case is None else f"case is outside the scope of role {actor.role}",
        )
        raise NotFound(f"case {case_id} not found")
    if write and level is not Access.WRITE:
        deny(session, actor, action, "case", case_id, f"read-only access ({level.value})")
        raise PermissionDenied(f"you may read case {case_id} but not change it")
    return case, level


def require_role(session: Session, actor: Actor, roles: tuple[str, ...], action: str) -> None:
    """Refuse (and audit) an action the actor's role does not allow."""
    if actor.role not in roles:
        deny(session, actor, action, "service", action, f"role {actor.role} may not {action}")
        raise PermissionDenied(f"role {actor.role!r} may not {action.replace('.', ' ')}")
