"""Assistance given to a person (including reintegration assistance, flagged `reintegration`).

An item may say what paid for it (a project or a named fund), so the report can count the cases
assisted through a fund; legal assistance may say its kinds (documents, compensation, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ctdata.cases.access import Actor
from ctdata.cases.common import load_open, no_nul, record_by, touch_added, validate
from ctdata.errors import ValidationError
from ctdata.standard import models as std
from ctdata.store.fields import seal
from ctdata.store.models import Assistance
from ctdata.text import Text


def add_assistance(
    session: Session,
    actor: Actor,
    case_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Assistance:
    case = load_open(session, actor, case_id, "assistance.create", expected_version)
    a = validate(std.Assistance, data, "assistance")
    if not a.assistance_type:
        raise ValidationError.at("assistance_type", Text("choose the kind of assistance"))
    row = Assistance(
        case_id=case.id,
        assistance_type=a.assistance_type,
        date=a.date,
        provider_enc=seal(no_nul(a.provider, "provider"), "assistance", "provider_enc"),
        reintegration=bool(a.reintegration),
        legal_types=a.legal_types or None,
        funding_source=a.funding_source,
        funding_name=no_nul(a.funding_name, "funding_name"),
        created_by=actor.username,
    )
    session.add(row)
    touch_added(session, case, expected_version)
    session.flush()
    record_by(
        session, actor, "assistance.create", case.id,
        {"assistance_id": row.id, "type": row.assistance_type, "reintegration": row.reintegration,
         "legal_types": row.legal_types or [], "funding_source": row.funding_source},
    )
    return row

