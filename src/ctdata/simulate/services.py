"""Assistance given and assisted voluntary returns.

Destination offices give direct assistance (shelter, medical, legal, travel
for those who return); origin offices give reintegration assistance after the
return, with the type shares of the annual report among those receiving it.
Returns respect the case standard's gates: a travelled or approved return has
written consent, a risk assessment, a reintegration plan, a receiving office
and, for a child, a best-interest determination and a willing and able
guardian; a requested return has at least one gate still open.
"""

from __future__ import annotations

import numpy as np

from ctdata.simulate.offices import ROLE_DEST, ROLE_INTERNAL, ROLE_ORIGIN, ROLE_PARTNER, Records, iso_dates
from ctdata.simulate.population import Persons
from ctdata.simulate.targets import Targets

#: Direct (non-reintegration) assistance by the first office: type -> probability.
DIRECT = {
    "accommodation": 0.60,
    "medical": 0.55,
    "psychosocial": 0.50,
    "legal": 0.35,
    "financial": 0.10,
    "other": 0.05,
}
PARTNER_DIRECT = {"accommodation": 0.45, "psychosocial": 0.40, "medical": 0.30, "legal": 0.20, "other": 0.10}
#: Share of records of each role receiving reintegration assistance.
REINTEGRATION_RATE = {ROLE_ORIGIN: 0.85, ROLE_INTERNAL: 0.50, ROLE_PARTNER: 0.30}
PROVIDERS = {ROLE_DEST: "IOM", ROLE_ORIGIN: "IOM", ROLE_INTERNAL: "IOM"}


def assistance_table(
    rng: np.random.Generator, p: Persons, r: Records, record_id: np.ndarray, t: Targets
) -> dict[str, np.ndarray]:
    n = len(r)
    pid = r.person
    rows_rec: list[np.ndarray] = []
    rows_type: list[np.ndarray] = []
    rows_reint: list[np.ndarray] = []

    def add(mask: np.ndarray, code: str, reintegration: bool) -> None:
        idx = np.flatnonzero(mask)
        rows_rec.append(idx)
        rows_type.append(np.full(len(idx), code, dtype=object))
        rows_reint.append(np.full(len(idx), reintegration))

    first_office = (r.role == ROLE_DEST) | (r.role == ROLE_INTERNAL)
    partner = r.role == ROLE_PARTNER
    for code, prob in DIRECT.items():
        add(first_office & (rng.random(n) < prob), code, False)
    add(first_office & p.child[pid] & (rng.random(n) < 0.5), "family_tracing", False)
    add((r.role == ROLE_DEST) & p.returned[pid] & (rng.random(n) < 0.95), "travel", False)
    for code, prob in PARTNER_DIRECT.items():
        add(partner & (rng.random(n) < prob), code, False)
    add((r.role == ROLE_ORIGIN) & (rng.random(n) < 0.3), "accommodation", False)

    # Reintegration: origin offices after return, some internal cases and partners at origin.
    rate = np.zeros(n)
    rate[r.role == ROLE_ORIGIN] = REINTEGRATION_RATE[ROLE_ORIGIN]
    rate[r.role == ROLE_INTERNAL] = REINTEGRATION_RATE[ROLE_INTERNAL]
    at_origin = partner & (r.office == p.citizenship[pid]) & p.returned[pid]
    rate[at_origin] = REINTEGRATION_RATE[ROLE_PARTNER]
    reintegrated = rng.random(n) < rate
    got_any = np.zeros(n, dtype=bool)
    for code, share in t.reintegration.items():
        hit = reintegrated & (rng.random(n) < share)
        add(hit, code, True)
        got_any |= hit
    # Those who drew none of the report's six types still had counselling: the six shares stay exact.
    add(reintegrated & ~got_any, "psychosocial", True)

    rec = np.concatenate(rows_rec)
    order = np.argsort(rec, kind="stable")
    rec = rec[order]
    kind = np.concatenate(rows_type)[order]
    reint = np.concatenate(rows_reint)[order]
    delay = np.where(reint, rng.integers(20, 200, size=len(rec)), rng.integers(0, 45, size=len(rec)))
    provider = np.where(r.role[rec] == ROLE_PARTNER, r.agency[rec], "IOM").astype(object)
    provider[reint & (rng.random(len(rec)) < 0.35)] = "local partner"
    return {
        "record_id": record_id[rec],
        "assistance_type": kind,
        "date": iso_dates(r.registered[rec] + delay),
        "provider": provider,
        "reintegration": np.where(reint, "true", "false").astype(object),
        "record_index": rec,  # not a template column (not written): the row's record, for simulate.details
    }


def returns_table(rng: np.random.Generator, p: Persons, r: Records, record_id: np.ndarray) -> dict[str, np.ndarray]:
    """One return per returned person (on its first IOM record), and open requests for some others."""
    pid = r.person
    iom = r.role != ROLE_PARTNER
    # The first IOM record of each person carries the return (destination record when there is one).
    first = np.zeros(len(r), dtype=bool)
    cand = np.flatnonzero(iom)
    ordered = cand[np.lexsort((r.role[cand], pid[cand]))]
    _, first_pos = np.unique(pid[ordered], return_index=True)
    first[ordered[first_pos]] = True
    cross = p.cross[pid]
    travelled = first & p.returned[pid]
    other = first & cross & ~p.returned[pid] & (rng.random(len(r)) < 0.35)
    idx = np.flatnonzero(travelled | other)
    m = len(idx)
    person = pid[idx]
    child = p.child[person]
    status = np.where(travelled[idx], "travelled", "").astype(object)
    u = rng.random(m)
    pending = ~travelled[idx]
    status[pending & (u < 0.5)] = "requested"
    status[pending & (u >= 0.5) & (u < 0.75)] = "approved"
    status[pending & (u >= 0.75)] = "cancelled"
    gates_met = (status == "travelled") | (status == "approved")

    consent = np.ones(m, dtype=bool)
    risk_done = np.ones(m, dtype=bool)
    plan = np.ones(m, dtype=bool)
    bid = np.ones(m, dtype=bool)
    willing = np.ones(m, dtype=bool)
    able = np.ones(m, dtype=bool)
    open_ = ~gates_met
    for arr, prob in ((consent, 0.4), (risk_done, 0.5), (plan, 0.6), (bid, 0.5), (willing, 0.3), (able, 0.4)):
        arr[open_ & (rng.random(m) < prob)] = False
    requested = status == "requested"
    # A requested return has at least one gate open.
    all_met = consent & risk_done & plan & np.where(child, bid & willing & able, True)
    plan[requested & all_met] = False

    risk = np.array(["low", "medium", "high"], dtype=object)[rng.choice(3, size=m, p=[0.6, 0.3, 0.1])]
    risk = np.where(risk_done, risk, "").astype(object)
    mitigation = np.where(
        (risk == "medium") | (risk == "high"), "safety plan; follow-up visits by origin office", ""
    ).astype(object)
    registered = r.registered[idx]
    requested_date = registered + rng.integers(5, 60, size=m)
    travel_date = np.where(status == "travelled", requested_date + rng.integers(10, 90, size=m), 0)

    def tf(values: np.ndarray, applicable: np.ndarray) -> np.ndarray:
        out = np.where(values, "true", "false").astype(object)
        out[~applicable] = ""
        return out

    travel = iso_dates(travel_date)
    travel[status != "travelled"] = ""
    return {
        "record_id": record_id[idx],
        "status": status,
        "requested_date": iso_dates(requested_date),
        "consent_written": tf(consent, np.ones(m, dtype=bool)),
        "risk_level": risk,
        "risk_mitigations": mitigation,
        "best_interest_determination": tf(bid, child),
        "guardian_willing": tf(willing, child),
        "guardian_able": tf(able, child),
        "travel_date": travel,
        "receiving_office_country": p.citizenship[person].astype(object),
        "reintegration_plan": tf(plan, np.ones(m, dtype=bool)),
    }
