"""Journey legs: border crossings, documents, transport and when exploitation began.

Each person has one journey (cross-border: one to three legs, possibly through
transit countries, a few after a first leg inside the country of citizenship;
internal: one leg with no border). Records repeat their
person's journey, as offices each record it, with the odd leg dropped and
dates written less precisely. The share of crossings through official border
points is set per (sex, child) cell by least squares on the realised mix of
recorded crossings, so the overall, women's, men's, adults' and children's
shares of the border-point release all hold together as closely as they can
(the published five shares are not exactly consistent with each other: with
adults at 0.80 and everyone at 0.80, children must be a very small share of
crossings; children's journeys are therefore recorded less often, which is
also what happens in the field).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctdata.simulate.balanced import balanced_choice
from ctdata.simulate.corridors import regional_offices
from ctdata.simulate.offices import ROLE_ORIGIN, ROLE_PARTNER, Records, int_strings, iso_dates
from ctdata.simulate.population import Persons
from ctdata.simulate.targets import Targets

#: Probability that a record carries the journey, by role, for adults / children crossing a border.
RECORDS_JOURNEY = {"office": (0.90, 0.25), "origin": (0.50, 0.12), "partner": (0.30, 0.08)}
#: Share of cross-border journeys that begin with a leg inside the country of citizenship (recruited in
#: one place, moved to another, then across a border): the report's third type of trafficking, "both".
#: The published figures give no share for it (the regional chapters name the type); a small one is
#: assumed so that the type exists in the data and the report's tables show it.
HOME_LEG = 0.06
OFFICIAL_DOCS = (["own_genuine", "forged", "held_by_another", "none"], None)
UNOFFICIAL_DOCS = (["none", "own_genuine", "forged", "held_by_another"], [0.60, 0.15, 0.05, 0.20])


@dataclass
class PersonLegs:
    person: np.ndarray
    number: np.ndarray  # 1-based
    start: np.ndarray  # first leg row of each person
    count: np.ndarray  # legs per person
    from_country: np.ndarray
    to_country: np.ndarray
    crosses: np.ndarray
    departure: np.ndarray
    exploited: np.ndarray  # object codes


def person_journeys(rng: np.random.Generator, p: Persons, exploited_during: float) -> PersonLegs:
    """Every person's legs: internal persons one leg inside the country, cross-border persons one to three
    crossing legs, some of them after a first leg inside the country of citizenship (``HOME_LEG``)."""
    n = p.n
    crossings = np.where(p.cross, 1 + rng.choice(3, size=n, p=[0.65, 0.28, 0.07]), 1)
    home = p.cross & (rng.random(n) < HOME_LEG)
    count = crossings + home
    start = np.cumsum(count) - count
    total = int(count.sum())
    person = np.repeat(np.arange(n), count)
    number = np.arange(total) - start[person] + 1
    # The crossing legs' own numbering (0 = the leg inside the country of citizenship).
    hop = number - home[person]

    # Transit countries: other countries of the destination's region.
    offices = regional_offices()
    by_region: dict[str, list[str]] = {}
    for iso, reg in offices.items():
        by_region.setdefault(reg, []).append(iso)
    transit = np.full((n, 2), "", dtype=object)
    for reg, members in sorted(by_region.items()):
        idx = np.flatnonzero((p.region == reg) & (crossings > 1))
        cand = np.array(sorted(members), dtype=object)[rng.integers(len(members), size=(len(idx), 4))]
        for j in range(2):
            ok = (cand != p.citizenship[idx, None]) & (cand != p.exploitation_country[idx, None])
            if j == 1:
                ok &= cand != transit[idx, 0][:, None]
            first = np.argmax(ok, axis=1)
            transit[idx, j] = np.where(ok.any(axis=1), cand[np.arange(len(idx)), first], "TR")
    # Stops: (citizenship,) citizenship, transits..., destination.
    last = hop == crossings[person]
    from_country = np.where(hop <= 1, p.citizenship[person], transit[person, np.maximum(hop - 2, 0)])
    to_country = np.where(
        hop == 0,
        p.citizenship[person],
        np.where(last, p.exploitation_country[person], transit[person, np.clip(hop - 1, 0, 1)]),
    )
    crosses = from_country != to_country

    departure = (
        p.exploitation_start[person] - rng.integers(0, 60, size=total) + (number - 1) * rng.integers(1, 20, size=total)
    )
    during = rng.random(n) < exploited_during
    k = 1 + np.floor(rng.random(n) * count).astype(np.int64)
    exploited = np.full(total, "no", dtype=object)
    exploited[during[person] & (number == k[person])] = "during"
    exploited[during[person] & (number > k[person])] = "before"
    return PersonLegs(
        person,
        number,
        start,
        count,
        from_country.astype(object),
        to_country.astype(object),
        crosses,
        departure,
        exploited,
    )


def journey_recorded(rng: np.random.Generator, p: Persons, r: Records) -> np.ndarray:
    """Which records carry the journey (children's cross-border journeys less often)."""
    pid = r.person
    child_cross = p.child[pid] & p.cross[pid]

    def rate(kind: str) -> np.ndarray:
        adult, child = RECORDS_JOURNEY[kind]
        return np.where(child_cross, child, adult)

    q = np.where(
        r.role == ROLE_PARTNER,
        rate("partner"),
        np.where(r.role == ROLE_ORIGIN, rate("origin"), rate("office")),
    )
    return rng.random(len(pid)) < q


def official_cell_probabilities(counts: dict[str, float], t: Targets) -> dict[str, float]:
    """P(official border point) for female/male adults/children fitting the five published shares.

    Weighted least squares: each published share is one equation weighted by
    the square root of the crossings it covers; a weak prior keeps girls and
    boys close. counts: crossings per cell 'FA', 'MA', 'FC', 'MC'.
    """
    n = np.array([counts.get(k, 0.0) for k in ("FA", "MA", "FC", "MC")]) + 1e-9
    rows, rhs, w = [], [], []

    def eq(mask: list[int], target: float) -> None:
        m = np.array(mask, dtype=float) * n
        total = m.sum()
        rows.append(m / total)
        rhs.append(target)
        w.append(np.sqrt(total))

    eq([1, 0, 1, 0], t.official_women)
    eq([0, 1, 0, 1], t.official_men)
    eq([1, 1, 0, 0], t.official_adults)
    eq([0, 0, 1, 1], t.official_children)
    eq([1, 1, 1, 1], t.official_overall)
    rows.append(np.array([0, 0, 1, -1.0]))
    rhs.append(0.05)
    w.append(np.sqrt(n.sum()) * 0.05)
    a = np.array(rows) * np.array(w)[:, None]
    b = np.array(rhs) * np.array(w)
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    x = np.clip(x, 0.02, 0.98)
    return dict(zip(("FA", "MA", "FC", "MC"), x.tolist(), strict=True))


def legs_table(
    rng: np.random.Generator, p: Persons, r: Records, record_id: np.ndarray, t: Targets
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """journey_legs.csv columns, and the fitted official-crossing probabilities per cell."""
    legs = person_journeys(rng, p, t.exploited_during_journey)
    recorded = np.flatnonzero(journey_recorded(rng, p, r))
    pid = r.person[recorded]
    n_legs = legs.count[pid]
    rec_rows = np.repeat(recorded, n_legs)
    offsets = np.arange(int(n_legs.sum())) - np.repeat(np.cumsum(n_legs) - n_legs, n_legs)
    leg = legs.start[np.repeat(pid, n_legs)] + offsets
    # A later office sometimes leaves out the last leg.
    drop = (
        (legs.number[leg] == legs.count[legs.person[leg]])
        & (legs.count[legs.person[leg]] > 1)
        & (rng.random(len(leg)) < 0.1)
    )
    rec_rows, leg = rec_rows[~drop], leg[~drop]

    person = legs.person[leg]
    crossing_leg = legs.crosses[leg]
    cell = np.where(p.female[person], "F", "M").astype(object) + np.where(p.child[person], "C", "A")
    counts = {k: float(np.sum(crossing_leg & (cell == k))) for k in ("FA", "MA", "FC", "MC")}
    probs = official_cell_probabilities(counts, t)

    # Decide per person-leg (so the offices of one person agree), then look up per recorded leg.
    total = len(legs.person)
    cell_index = np.where(p.female[legs.person], 0, 1) + np.where(p.child[legs.person], 2, 0)
    p_official = np.array([probs[c] for c in ("FA", "MA", "FC", "MC")])[cell_index]
    official = legs.crosses & (rng.random(total) < p_official)
    kind = rng.choice(3, size=total, p=[0.35, 0.55, 0.10])
    crossing = np.where(
        ~legs.crosses,
        "none",
        np.where(official, np.array(["official_air", "official_land", "official_sea"])[kind], "unofficial"),
    ).astype(object)
    # balanced by year among official crossings: the press release's documents shares hold at a demo's size
    doc_official = np.array(["own_genuine", "forged", "held_by_another", "none"])[
        balanced_choice(rng, np.array(_official_doc_probs(t)), p.year[legs.person] * 2 + official)
    ]
    doc_unofficial = np.array(UNOFFICIAL_DOCS[0])[rng.choice(4, size=total, p=UNOFFICIAL_DOCS[1])]
    document = np.where(~legs.crosses, "", np.where(official, doc_official, doc_unofficial)).astype(object)
    mode_land = np.array(["bus", "car", "train"])[rng.choice(3, size=total, p=[0.5, 0.3, 0.2])]
    mode_unofficial = np.array(["foot", "car", "boat", "other"])[rng.choice(4, size=total, p=[0.4, 0.4, 0.15, 0.05])]
    mode_internal = np.array(["bus", "car", "train", "foot", "other"])[
        rng.choice(5, size=total, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    ]
    mode = np.select(
        [
            crossing == "official_air",
            crossing == "official_land",
            crossing == "official_sea",
            crossing == "unofficial",
        ],
        ["air", mode_land, "boat", mode_unofficial],
        default=mode_internal,
    ).astype(object)

    precision = rng.choice(4, size=len(leg), p=[0.5, 0.35, 0.1, 0.05])
    columns = {
        "record_id": record_id[rec_rows],
        "leg_number": int_strings(legs.number[leg]),
        "from_country": legs.from_country[leg],
        "to_country": legs.to_country[leg],
        "departure_date": iso_dates(legs.departure[leg], precision),
        "crossing": crossing[leg],
        "travel_document": document[leg],
        "transport_mode": mode[leg],
        "exploited": legs.exploited[leg],
    }
    return columns, probs


def _official_doc_probs(t: Targets) -> list[float]:
    """own_genuine, forged, held_by_another, none: forged and 'without own documents' as published.

    The press release counts the two apart (23% without own documents besides 9% forged), so
    'without own documents' is held by another or none, and own genuine documents are the rest.
    """
    without = t.without_own_documents
    return [1 - without - t.forged, t.forged, without * 0.75, without * 0.25]
