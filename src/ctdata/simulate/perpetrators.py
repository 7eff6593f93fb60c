"""Simulated perpetrators and trafficking networks, with the truth of who is who.

Each victim (a simulated person) is recruited either by a family member or intimate partner, who
acts alone, or by a network of their corridor (origin and exploitation country): one or two
recruiters who recruit several victims each, an exploiter and sometimes a transporter. Every case
record of the victim names the perpetrators the victim knew, as an office would write them: a name
with keying errors or only the first name, an alias, a phone number in another format, sex, age
band, citizenship when known. The truth file says which perpetrator rows are one person and which
network each belongs to, so de-duplication and network recovery can be scored.

Calibrated to the shares of the CTDC victim-perpetrator release (2022-12; `PerpetratorTargets`):
relation of the perpetrators to the victim by age, perpetrator sex and age band, money paid, and
perpetrators from the victim's own region.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctdata.simulate.names import LATIN_FORMS, NameBook, typo
from ctdata.standard.regions import comparable_region, un_region
from ctdata.standard.template import column_names

AGE_BANDS = ("0-29", "30-38", "39-47", "48+")


@dataclass(frozen=True)
class PerpetratorTargets:
    """Shares the simulation aims at, from the CTDC victim-perpetrator release (victims with a known value).

    family_child / family_adult: victims whose perpetrators include family or an intimate partner
    (0.175 of children, 0.057 of adults); friend: of the others, recruited by a friend or
    acquaintance (0.36 of all victims against 0.62 strangers); male: share of perpetrators who
    are men (the release: 0.78 of victims have a male perpetrator, 0.38 a female one); age: the
    perpetrator age bands (0.10, 0.38, 0.42, 0.11 of victims with a known band); paid: victims who
    paid their perpetrators (0.27); foreign_network, foreign_exploiter: in a corridor between two
    regions, the networks whose members are all of the country of exploitation and, of the others,
    those whose exploiter is (the release: 0.955 of victims have a perpetrator of their own region,
    0.907 only perpetrators of it; with about 14% of simulated victims in corridors between regions,
    0.32 and 0.5 give those shares); victims_per_recruiter: mean victims a network recruiter recruits.
    """

    family_child: float = 0.175
    family_adult: float = 0.057
    friend: float = 0.38
    male: float = 0.70
    age: tuple[float, float, float, float] = (0.10, 0.38, 0.41, 0.11)
    paid: float = 0.27
    foreign_network: float = 0.32
    foreign_exploiter: float = 0.5
    victims_per_recruiter: float = 3.0
    transporter: float = 0.3
    # how offices write what victims told them
    phone: float = 0.6  # a perpetrator has a phone number a victim can give
    phone_given: float = 0.7
    document: float = 0.1
    first_name_only: float = 0.15
    name_typo: float = 0.08
    alias: float = 0.2
    sex_known: float = 0.9
    age_known: float = 0.35
    citizenship_known: float = 0.7


@dataclass
class _Perp:
    """One true perpetrator."""

    network: int
    role: str
    sex: str
    age: str
    citizenship: str
    given: str
    family: str
    alias: str
    phone: str
    document: str


def _name(rng: np.random.Generator, book: NameBook, citizenship: str, female: bool) -> tuple[str, str]:
    culture = book.cultures[int(book.culture_index(np.array([citizenship]))[0])]
    pool = culture.given_f if female else culture.given_m
    if not len(pool):
        pool = culture.given_m if len(culture.given_m) else culture.given_f
    family_pool = culture.family_f if female and len(culture.family_f) else culture.family_m
    if not len(family_pool):
        family_pool = culture.patronym
    form = int(LATIN_FORMS[0])
    given = str(book.given[int(rng.choice(pool)), form])
    family = str(book.family[int(rng.choice(family_pool)), form]) if len(family_pool) else ""
    return given, family


def _phone(rng: np.random.Generator) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, 9))


def _phone_as_written(rng: np.random.Generator, digits: str, country_code: int) -> str:
    """The same number as offices write it: with the country code, with the trunk 0, spaced."""
    style = int(rng.integers(3))
    if style == 0:
        return f"+{country_code} {digits[:2]} {digits[2:5]} {digits[5:]}"
    if style == 1:
        return "0" + digits
    return f"0{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def perpetrator_tables(
    rng: np.random.Generator,
    book: NameBook,
    citizenship: np.ndarray,
    exploitation_country: np.ndarray,
    child: np.ndarray,
    female: np.ndarray,
    record_person: np.ndarray,
    record_id: np.ndarray,
    targets: PerpetratorTargets | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The ``perpetrators`` template table of the records and its truth.

    Persons are given by their citizenship, exploitation country, child and female flags; records by
    the person they belong to and their record id. The truth has one row per perpetrator row:
    ``record_id``, ``row`` (1-based order among that record's rows), ``perpetrator_id`` and
    ``network_id``.
    """
    t = targets or PerpetratorTargets()
    n = len(citizenship)
    perps: list[_Perp] = []
    links: list[list[tuple[int, str, str]]] = [[] for _ in range(n)]  # person -> (perp, relation, paid)
    ages = np.array(t.age) / sum(t.age)

    def new_perp(network: int, role: str, cit: str) -> int:
        fem = bool(rng.random() >= t.male)
        given, family = _name(rng, book, cit, fem)
        alias = ""
        if rng.random() < t.alias:
            alias = given[:3].capitalize() + "o" if len(given) >= 3 else given
        perps.append(_Perp(
            network, role, "female" if fem else "male", str(rng.choice(AGE_BANDS, p=ages)), cit, given, family,
            alias, _phone(rng) if rng.random() < t.phone else "",
            f"P{int(rng.integers(10**6, 10**7))}" if rng.random() < t.document else "",
        ))
        return len(perps) - 1

    network = 0
    family = rng.random(n) < np.where(child, t.family_child, t.family_adult)
    for i in np.flatnonzero(family):
        network += 1
        links[i].append((new_perp(network, "recruiter", str(citizenship[i])), "family_intimate_partner",
                         "no"))
    # network victims, corridor by corridor: recruiters take victims until their share is used up
    rest = np.flatnonzero(~family)
    corridor = np.array([f"{citizenship[i]}>{exploitation_country[i]}" for i in rest])
    for key in np.unique(corridor):
        victims = rest[corridor == key]
        rng.shuffle(victims)
        origin, dest = key.split(">")
        foreign = comparable_region(un_region(origin)) != comparable_region(un_region(dest))
        start = 0
        while start < len(victims):
            size = 1 + int(rng.poisson(max(t.victims_per_recruiter * 2 - 1, 0)))
            group = victims[start:start + size]
            start += size
            network += 1
            abroad = foreign and rng.random() < t.foreign_network  # recruited by a network of the destination
            rec_cit = dest if abroad else origin
            recruiters = [new_perp(network, "recruiter", rec_cit) for _ in range(1 + int(len(group) > 4))]
            exp_cit = dest if abroad or (foreign and rng.random() < t.foreign_exploiter) else origin
            exploiter = new_perp(network, "exploiter", exp_cit)
            transporter = new_perp(network, "transporter", rec_cit) if rng.random() < t.transporter else None
            for v in group:
                relation = "friend_acquaintance" if rng.random() < t.friend else "stranger_other"
                paid = "yes" if rng.random() < t.paid else "no"
                links[v].append((recruiters[int(rng.integers(len(recruiters)))], relation, paid))
                links[v].append((exploiter, "stranger_other", paid))
                if transporter is not None:
                    links[v].append((transporter, "stranger_other", "no"))
    return _rows(rng, t, perps, links, record_person, record_id)


_CALLING_CODE = 84  # the number is what matters; one calling code keeps the simulation simple


def _rows(
    rng: np.random.Generator,
    t: PerpetratorTargets,
    perps: list[_Perp],
    links: list[list[tuple[int, str, str]]],
    record_person: np.ndarray,
    record_id: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    cols: dict[str, list[str]] = {c: [] for c in column_names("perpetrators")}
    truth: dict[str, list[str]] = {"record_id": [], "row": [], "perpetrator_id": [], "network_id": []}
    for rec, person in enumerate(record_person):
        for k, (pi, relation, paid) in enumerate(links[int(person)], start=1):
            p = perps[pi]
            given = typo(rng, p.given) if rng.random() < t.name_typo else p.given
            name = given if (rng.random() < t.first_name_only or not p.family) else f"{given} {p.family}"
            row = {
                "record_id": str(record_id[rec]),
                "roles": p.role,
                "sex": p.sex if rng.random() < t.sex_known else "",
                "age_band": p.age if rng.random() < t.age_known else "",
                "citizenship": p.citizenship if rng.random() < t.citizenship_known else "",
                "relation": relation,
                "paid_money": paid,
                "names": name,
                "aliases": p.alias,
                "phone_numbers": _phone_as_written(rng, p.phone, _CALLING_CODE)
                if p.phone and rng.random() < t.phone_given else "",
                "document_numbers": p.document,
            }
            for c in cols:
                cols[c].append(row.get(c, ""))
            truth["record_id"].append(str(record_id[rec]))
            truth["row"].append(str(k))
            truth["perpetrator_id"].append(f"X{pi + 1:07d}")
            truth["network_id"].append(f"N{p.network:07d}")
    return ({c: np.array(v, dtype=object) for c, v in cols.items()},
            {c: np.array(v, dtype=object) for c, v in truth.items()})
