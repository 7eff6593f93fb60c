"""The agency registry: the one list of agency codes the store may write.

An agency is a canonical code (`standard.types.agency_code`: ``iom`` is ``IOM``), and
since this registry it is also a registered one: accounts (`users.create_user`), case
registration (`service.register_case`) and transfers (`transfer.request_transfer`) take
an agency through `require_agency`, which refuses a code nobody registered, so a typo
(``IMO`` for ``IOM``) is an error to fix instead of a new agency. Agencies are registered
by an admin or data manager (`register_agency`, ``ctdata agency add``), or by a data
manager's import of a partner's file (`register_imported`): the import is the act that
introduces the partner, and its summary names the agencies it registered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor, require_role
from ctdata.cases.common import record_by
from ctdata.cases.tx import record
from ctdata.errors import Conflict, ValidationError
from ctdata.standard.types import parser_for
from ctdata.store.inserts import insert_new
from ctdata.store.models import Agency, utcnow
from ctdata.text import Plain, Text, words_of

#: roles that may register an agency
REGISTRARS = ("admin", "data_manager")
NAME_MAX = 200


def _code(code: Any) -> str:
    try:
        out = parser_for("agency")(code)
    except ValueError as exc:
        raise ValidationError(Text("{column}: {problem}", column="agency", problem=words_of(exc))) from None
    if out is None:
        raise ValidationError(Text("{column}: {problem}", column="agency", problem=Text("an agency code is required")))
    return out


def _add_hint(code: str) -> str:
    return f"ctdata agency add {code!r} --name NAME" if " " in code else f"ctdata agency add {code} --name NAME"


def require_agency(session: Session, code: Any) -> str:
    """The canonical code of a registered agency; ValidationError naming the code and how to register it."""
    canonical = _code(code)
    if session.get(Agency, canonical) is None:
        raise ValidationError(Text(
            "unknown agency '{agency}': not in the agency registry (see `ctdata agency list`); "
            "an admin or data manager registers a new agency with `{command}`",
            agency=canonical, command=Plain(_add_hint(canonical)),
        ))
    return canonical


def register_agency(session: Session, actor: Actor, code: Any, name: str | None = None) -> Agency:
    """Register an agency (admin or data manager; audited). The display name defaults to the code."""
    require_role(session, actor, REGISTRARS, "agency.create")
    canonical = _code(code)
    display = " ".join(str(name or "").split()) or canonical
    if len(display) > NAME_MAX or "\x00" in display:
        raise ValidationError(Text("agency name: at most {count} characters and no NUL", count=NAME_MAX))
    if session.get(Agency, canonical) is not None:
        raise Conflict(Text("agency '{agency}' is already registered", agency=canonical))
    row = Agency(code=canonical, name=display, created_by=actor.username)
    session.add(row)
    session.flush()
    record_by(session, actor, "agency.create", canonical, {"code": canonical, "name": display}, entity="agency")
    return row


def register_imported(session: Session, by: str, codes: Iterable[str], batch_id: int | None) -> list[str]:
    """Register the agencies an import wrote that the registry does not hold yet; returns them, sorted.

    The codes come from the import's prepare stage, so they are canonical already; each new
    agency is audited with the import batch that introduced it."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return []
    known = set(session.execute(select(Agency.code).where(Agency.code.in_(wanted))).scalars())
    # another import may register the same partner meanwhile: first writer wins (store.inserts)
    new = insert_new(session, Agency, [{"code": c, "name": c, "created_by": by[:80], "created_at": utcnow()}
                                       for c in wanted if c not in known], "code")
    if new:
        record(
            session,
            actor=by,
            action="agency.create",
            entity="import_batch",
            entity_id=batch_id,
            details={"codes": new, "by_import": True},
        )
    return new


def agency_dict(a: Agency) -> dict[str, Any]:
    return {"code": a.code, "name": a.name, "created_at": a.created_at, "created_by": a.created_by}


def list_agencies(session: Session) -> list[dict[str, Any]]:
    """Every registered agency, by code (codes and names are not personal data: not audited)."""
    return [agency_dict(a) for a in session.execute(select(Agency).order_by(Agency.code)).scalars()]
