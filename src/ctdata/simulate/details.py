"""Case detail the annual report's model states and the other modules do not draw: how a person was
recruited and what they were promised, the kinds of legal assistance, what paid for each item of
assistance, and the reintegration follow-up after a return.

Drawn from its own random stream (``default_rng([seed, 16])``) after every other table, so adding
these columns changes none of the values the calibration checks. The shares are illustrative
(the model states these figures without numbers the demo could be calibrated to):

- recruitment: most people were offered a job (:data:`TACTICS`); a relationship or a promise of
  marriage is more common in sexual exploitation, handing over by family among children;
- the promised sector is usually the sector the person was then exploited in (deception about
  conditions, not the work), else hospitality, domestic work or entertainment;
- legal assistance: advice and documents above all, immigration status at destination;
- funding: an item is paid by a project of the assisting office's country and year
  (``projects.projects_table``, the same projects the demo imports), by a named fund, or by the
  office's own budget; some items do not say;
- follow-up: most travelled returns have one, months after travel.
"""

from __future__ import annotations

import numpy as np

from ctdata.simulate.offices import ROLE_DEST, Records, iso_dates
from ctdata.simulate.population import EXPLOITATION_CODES, SECTOR_CODES, Persons
from ctdata.simulate.projects import projects_table

STREAM = 16
#: tactic -> probability for an adult in labour exploitation (the other groups adjust it below).
TACTICS = {
    "job_offer": 0.72,
    "travel_offer": 0.15,
    "loan": 0.08,
    "marriage_or_relationship": 0.06,
    "study_offer": 0.04,
    "online": 0.04,
    "sold_by_family": 0.03,
    "abduction": 0.02,
}
#: Share of records that record the recruitment at all (partners and hotlines often do not).
RECORDED = 0.8
PROMISED_SAME_SECTOR = 0.7
SEXUAL_PROMISE = {"hospitality": 0.35, "entertainment": 0.30, "domestic_work": 0.20, "other": 0.15}
OTHER_PROMISE = {"hospitality": 0.3, "domestic_work": 0.3, "agriculture": 0.2, "construction": 0.2}
JOBS = {
    "agriculture": "Farm or plantation work",
    "aquafarming": "Work on a fishing boat",
    "begging": "Selling goods in the street",
    "construction": "Building-site work",
    "domestic_work": "Housekeeping or childcare in a family",
    "hospitality": "Waiting or kitchen work in a restaurant or hotel",
    "entertainment": "Dancing or modelling",
    "manufacturing": "Factory work",
    "mining_or_drilling": "Mine work",
    "peddling": "Street vending",
    "transportation": "Driving",
    "illicit_activities": "Well-paid work, not described",
    "other": "Work abroad, not described",
}
LEGAL = {"advice": 0.5, "documents": 0.45, "representation": 0.2, "compensation": 0.08, "restitution": 0.05}
IMMIGRATION_AT_DESTINATION = 0.3
FUNDS = {"Global Assistance Fund": 0.6, "Emergency fund": 0.4}
#: What paid for an item: project, fund, own budget, not said.
FUNDING = {"project": 0.65, "fund": 0.08, "core": 0.12, "": 0.15}
FOLLOW_UP = 0.7
FOLLOW_UP_STATUS = {"in_progress": 0.45, "completed": 0.35, "at_risk": 0.08, "lost_contact": 0.1, "declined": 0.02}


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _first_sector(bits: np.ndarray) -> np.ndarray:
    """The first labour sector of each person's bitmask ('' when none)."""
    out = np.full(len(bits), "", dtype=object)
    for i in reversed(range(len(SECTOR_CODES))):
        if SECTOR_CODES[i] == "not_specified":
            continue
        out[(bits >> i) & 1 == 1] = SECTOR_CODES[i]
    return out


def recruitment_columns(rng: np.random.Generator, p: Persons, r: Records) -> dict[str, np.ndarray]:
    """recruitment_tactics, promised_sector and promised_job of each record (one story per person)."""
    n = p.n
    sexual = np.array([EXPLOITATION_CODES[i] == "sexual_exploitation" for i in p.exploitation_type])
    tactics = np.full(n, "", dtype=object)
    for code, share in TACTICS.items():
        prob = np.full(n, share)
        if code == "marriage_or_relationship":
            prob[sexual] = 0.25
        if code == "sold_by_family":
            prob[p.child] = 0.12
        hit = rng.random(n) < prob
        tactics[hit] = np.where(tactics[hit] == "", code, tactics[hit] + ";" + code)
    tactics[tactics == ""] = "job_offer"  # nobody was recruited by nothing
    offered = np.char.find(tactics.astype(str), "job_offer") >= 0
    same = _first_sector(p.sectors)
    sector = np.where(sexual, _pick(rng, SEXUAL_PROMISE, n), _pick(rng, OTHER_PROMISE, n)).astype(object)
    keep = ~sexual & (same != "") & (rng.random(n) < PROMISED_SAME_SECTOR)
    sector[keep] = same[keep]
    sector[~offered] = ""
    job = np.array([JOBS.get(s, "") for s in sector], dtype=object)
    pid = r.person
    recorded = rng.random(len(r)) < RECORDED
    return {
        "recruitment_tactics": np.where(recorded, tactics[pid], "").astype(object),
        "promised_sector": np.where(recorded, sector[pid], "").astype(object),
        "promised_job": np.where(recorded, job[pid], "").astype(object),
    }


def assistance_columns(
    rng: np.random.Generator, r: Records, assistance: dict[str, np.ndarray], seed: int, years: tuple[int, int]
) -> dict[str, np.ndarray]:
    """legal_types, funding_source and funding_name of each assistance row (in the rows' order)."""
    rec = np.asarray(assistance["record_index"], dtype=np.int64)
    m = len(rec)
    legal = np.full(m, "", dtype=object)
    is_legal = assistance["assistance_type"] == "legal"
    for code, share in LEGAL.items():
        hit = is_legal & (rng.random(m) < share)
        legal[hit] = np.where(legal[hit] == "", code, legal[hit] + ";" + code)
    hit = is_legal & (r.role[rec] == ROLE_DEST) & (rng.random(m) < IMMIGRATION_AT_DESTINATION)
    legal[hit] = np.where(legal[hit] == "", "immigration", legal[hit] + ";immigration")
    legal[is_legal & (legal == "")] = "advice"
    source = _pick(rng, FUNDING, m)
    name = np.full(m, "", dtype=object)
    fund = source == "fund"
    name[fund] = _pick(rng, FUNDS, int(fund.sum()))
    projects = projects_table(seed, years)
    by_place: dict[tuple[str, int], list[str]] = {}
    for project, countries, year in zip(projects["project"], projects["countries"], projects["year"], strict=True):
        for c in str(countries).split(";"):
            by_place.setdefault((c, int(year)), []).append(str(project))
    item_year = r.registered[rec].astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    wants = np.flatnonzero(source == "project")
    draws = rng.random(len(wants))
    offices = r.office[rec[wants]]
    for j, office, year, u in zip(wants, offices, item_year[wants], draws, strict=True):
        names = by_place.get((str(office), int(year)))
        if names:
            name[j] = names[int(u * len(names))]
        else:  # no project in that country that year: the office's own budget paid
            source[j] = "core"
    return {"legal_types": legal, "funding_source": source, "funding_name": name}


def follow_up_columns(rng: np.random.Generator, returns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """follow_up_date and reintegration_status of each return (travelled returns only)."""
    m = len(returns["status"])
    travelled = (returns["status"] == "travelled") & (rng.random(m) < FOLLOW_UP)
    date = np.full(m, "", dtype=object)
    status = np.full(m, "", dtype=object)
    idx = np.flatnonzero(travelled)
    if len(idx):
        base = np.array([np.datetime64(str(d)[:10] if len(str(d)) >= 10 else f"{str(d)[:7]}-15", "D")
                         for d in returns["travel_date"][idx]])
        later = base.astype(np.int64) + rng.integers(90, 400, size=len(idx))
        date[idx] = iso_dates(later)
        status[idx] = _pick(rng, FOLLOW_UP_STATUS, len(idx))
    return {"follow_up_date": date, "reintegration_status": status}


def add_details(
    seed: int, years: tuple[int, int], p: Persons, r: Records, records: dict[str, np.ndarray],
    assistance: dict[str, np.ndarray], returns: dict[str, np.ndarray],
) -> None:
    """Add the columns of this module to the three tables, from its own stream."""
    rng = np.random.default_rng([int(seed), STREAM])
    records.update(recruitment_columns(rng, p, r))
    assistance.update(assistance_columns(rng, r, assistance, seed, years))
    returns.update(follow_up_columns(rng, returns))
