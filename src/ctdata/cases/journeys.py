"""Journey legs: the ordered steps of a person's journey (cross-border when a leg crosses a border)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor
from ctdata.cases.common import load_open, record_by, touch_added, validate
from ctdata.errors import Conflict, ValidationError
from ctdata.standard import models as std
from ctdata.store.models import JourneyLeg


def add_leg(
    session: Session,
    actor: Actor,
    case_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> JourneyLeg:
    """Append a leg (numbered after the last one unless `leg_number` is given)."""
    case = load_open(session, actor, case_id, "journey_leg.create", expected_version)
    leg = validate(std.JourneyLeg, data, "journey leg")
    if leg.crossing == "none" and leg.from_country and leg.to_country and leg.from_country != leg.to_country:
        raise ValidationError("a leg between two countries cannot have crossing 'none' (internal)")
    last = session.execute(select(func.max(JourneyLeg.leg_number)).where(JourneyLeg.case_id == case.id)).scalar()
    number = leg.leg_number or (last or 0) + 1
    taken = session.execute(
        select(JourneyLeg.id).where(JourneyLeg.case_id == case.id, JourneyLeg.leg_number == number)
    ).scalar()
    if taken is not None:
        raise Conflict(f"case {case.id} already has a journey leg number {number}")
    row = JourneyLeg(
        case_id=case.id,
        leg_number=number,
        from_country=leg.from_country,
        to_country=leg.to_country,
        departure_date=leg.departure_date,
        crossing=leg.crossing,
        travel_document=leg.travel_document,
        transport_mode=leg.transport_mode,
        exploited=leg.exploited,
        created_by=actor.username,
    )
    session.add(row)
    touch_added(session, case, expected_version)
    session.flush()
    record_by(session, actor, "journey_leg.create", case.id, {"leg_id": row.id, "leg_number": number})
    return row
