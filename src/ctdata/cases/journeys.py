"""Journey legs: the ordered steps of a person's journey (cross-border when a leg crosses a border).

A leg's date is checked against the other legs and the person (`leg_date_problem`, the one
rule): the legs are in order, so a leg cannot be dated before the leg it follows or after
the leg that follows it, nor before the person was born, nor in the future. A leg dated
before the case's registration is the usual case (the journey that brought the person to
the office) and is accepted. Dates may be partial: a leg is refused only when no day of
its date can be in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ctdata.cases.access import Actor
from ctdata.cases.common import load_open, record_by, touch_added, validate
from ctdata.cases.views import decrypt_person
from ctdata.errors import Conflict, ValidationError
from ctdata.standard import models as std
from ctdata.standard.dates import PartialDate, parse_partial_date
from ctdata.store.models import JourneyLeg
from ctdata.text import Day, Plain, Text


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
        raise ValidationError.at("crossing", Text("a step between two countries crosses a border: choose how"))
    last = session.execute(select(func.max(JourneyLeg.leg_number)).where(JourneyLeg.case_id == case.id)).scalar()
    number = leg.leg_number or (last or 0) + 1
    others = session.execute(
        select(JourneyLeg.leg_number, JourneyLeg.departure_date).where(JourneyLeg.case_id == case.id)
    ).all()
    birth = decrypt_person(case.person)["date_of_birth"]
    problem = leg_date_problem(leg.departure_date, number, [(n, d) for n, d in others], birth, date.today())
    if problem:
        raise ValidationError.at("departure_date", problem)
    taken = session.execute(
        select(JourneyLeg.id).where(JourneyLeg.case_id == case.id, JourneyLeg.leg_number == number)
    ).scalar()
    if taken is not None:
        raise Conflict(Text("case {case} already has a journey step number {number}", case=Plain(case.id),
                            number=Plain(number)))
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


def leg_date_problem(
    when: str | None,
    number: int,
    others: list[tuple[int, str | None]],
    date_of_birth: str | None,
    today: date,
) -> str | None:
    """Why leg `number` cannot be dated `when` (in words for the caseworker), or None when it can.

    `others` are the case's other legs as (number, date). Partial dates compare by their
    possible days: a date is out of order only when its latest day is before the earliest
    day of a date that must come first.
    """
    d = parse_partial_date(when, field="departure_date")
    if d is None:
        return None
    if d.earliest > today:
        return Text("{date} is in the future; a journey step is recorded once it happened", date=_shown(d))
    birth = parse_partial_date(date_of_birth, field="date_of_birth")
    if birth is not None and d.latest < birth.earliest:
        return Text("{date} is before the person was born ({birth})", date=_shown(d), birth=_shown(birth))
    for n, other in sorted(others):
        o = parse_partial_date(other, field="departure_date")
        if o is None:
            continue
        if n < number and d.latest < o.earliest:
            return Text("{date} is before step {step} of the journey ({other}); steps are in order, so this one is "
                        "{other} or later", date=_shown(d), step=n, other=_shown(o))
        if n > number and d.earliest > o.latest:
            return Text("{date} is after step {step} of the journey ({other}); steps are in order, so this one is "
                        "{other} or earlier", date=_shown(d), step=n, other=_shown(o))
    return None


def _shown(d: PartialDate) -> str:
    """A date in a refusal: a whole day as the reader's language writes it, a year or month as recorded."""
    return Day(str(d)) if d.day is not None else Plain(str(d))
