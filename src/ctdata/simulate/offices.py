"""Which offices record each person, and what each record says.

A cross-border person is usually registered by the office in the country of
exploitation (destination), and, after return, again by the office in the
country of citizenship (origin), which receives the case by transfer. Partner
agencies in either country register some persons too. Each record is the
office's own view: its script and transliteration of the name, its knowledge
of the date of birth, its own registration date, consents and gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ctdata.simulate.names import NameBook, render_record_names
from ctdata.simulate.population import (
    CONTROL_CODES,
    EXPLOITATION_CODES,
    MAX_PARTNERS,
    P_DEST_RECORD,
    P_ORIGIN_RECORD,
    P_PARTNER_AT_ORIGIN,
    P_RETURN,
    RECRUITER_CODES,
    SECTOR_CODES,
    SEXUAL_CODES,
    Persons,
    partner_rates,
)
from ctdata.standard import countries
from ctdata.standard.template import MULTI_SEP
from ctdata.standard.vocab import age_band

ROLE_DEST, ROLE_ORIGIN, ROLE_INTERNAL, ROLE_PARTNER = 0, 1, 2, 3
PRIMARY_AGENCY = "IOM"
PARTNER_AGENCIES = ("NGO-A", "NGO-B", "NGO-C", "GOV-NRM")
PARTNER_WEIGHTS = np.array([0.35, 0.25, 0.15, 0.25])

LANGUAGES = {
    "UA": "uk;ru",
    "RU": "ru",
    "BY": "be;ru",
    "UZ": "uz;ru",
    "KG": "ky;ru",
    "KZ": "kk;ru",
    "TJ": "tg;ru",
    "MD": "ro;ru",
    "YE": "ar",
    "EG": "ar",
    "SY": "ar",
    "IQ": "ar",
    "SD": "ar",
    "SO": "so",
    "ET": "am",
    "ER": "ti",
    "AF": "fa;ps",
    "LA": "lo",
    "KH": "km",
    "TH": "th",
    "MM": "my",
    "HT": "ht;fr",
    "VN": "vi",
    "ID": "id",
    "PH": "tl;en",
    "NG": "en;ha",
    "GH": "en",
    "BD": "bn",
    "NP": "ne",
    "IN": "hi",
    "CN": "zh",
}


@dataclass
class Layout:
    """How many records of each kind every person gets."""

    returned: np.ndarray
    has_dest: np.ndarray
    has_origin: np.ndarray
    internal: np.ndarray
    partners: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        return self.has_dest.astype(np.int64) + self.has_origin + self.internal + self.partners

    def take(self, n: int) -> Layout:
        return Layout(self.returned[:n], self.has_dest[:n], self.has_origin[:n], self.internal[:n], self.partners[:n])


def sample_layout(rng: np.random.Generator, cross: np.ndarray, spill: bool = True) -> Layout:
    """Records of each kind per person (``spill``: the run has several years, see population.IN_YEAR)."""
    n = len(cross)
    returned = cross & (rng.random(n) < P_RETURN)
    has_origin = returned & (rng.random(n) < P_ORIGIN_RECORD)
    has_dest = cross & (rng.random(n) < P_DEST_RECORD)
    has_dest |= cross & ~has_dest & ~has_origin
    rates = partner_rates(spill)
    rate = np.where(cross, rates[True], rates[False])
    partners = np.minimum(rng.poisson(rate), MAX_PARTNERS)
    return Layout(returned, has_dest, has_origin, ~cross, partners)


def trim(layout: Layout, records: int) -> Layout:
    """Keep the first persons whose records reach `records`; cut the last person's partner/origin records."""
    cum = np.cumsum(layout.counts)
    if cum[-1] < records:
        raise ValueError("not enough persons sampled")
    k = int(np.searchsorted(cum, records)) + 1
    out = layout.take(k)
    excess = int(cum[k - 1] - records)
    last = k - 1
    out.partners = out.partners.copy()
    out.has_origin = out.has_origin.copy()
    take = min(excess, int(out.partners[last]))
    out.partners[last] -= take
    excess -= take
    if excess and out.has_origin[last] and out.has_dest[last]:
        out.has_origin[last] = False
        excess -= 1
    if excess:
        raise ValueError("cannot trim to the requested number of records")
    return out


@dataclass
class Records:
    person: np.ndarray
    role: np.ndarray
    office: np.ndarray  # object, alpha-2
    agency: np.ndarray  # object
    registered: np.ndarray  # days
    referral: np.ndarray  # object, '' when none

    def __len__(self) -> int:
        return len(self.person)


def expand(rng: np.random.Generator, p: Persons, layout: Layout, years: tuple[int, int]) -> Records:
    """One row per record, ordered by registration date (then at random)."""
    start = int(np.datetime64(f"{years[0]}-01-01", "D").astype(np.int64))
    end = int(np.datetime64(f"{years[1]}-12-31", "D").astype(np.int64))
    n = p.n
    idx = np.arange(n)
    gap = 30 + np.floor(rng.gamma(2.0, 45.0, size=n)).astype(np.int64)
    # Shift a timeline back when its origin registration would fall after the range.
    over = np.maximum(0, p.first_contact + np.where(layout.has_origin, gap, 0) - end)
    shift = np.minimum(over, p.first_contact - start)
    for arr in (p.first_contact, p.exploitation_start, p.birth):
        arr -= shift
    gap = np.minimum(gap, end - p.first_contact)

    parts = []
    d = layout.has_dest
    parts.append((idx[d], ROLE_DEST, p.exploitation_country[d], p.first_contact[d], np.full(d.sum(), "")))
    o = layout.has_origin
    origin_date = np.where(layout.has_dest, p.first_contact + gap, p.first_contact)[o]
    referral = np.where(layout.has_dest[o] & (rng.random(o.sum()) < 0.95), p.exploitation_country[o], "")
    parts.append((idx[o], ROLE_ORIGIN, p.citizenship[o], origin_date, referral))
    i = layout.internal
    parts.append((idx[i], ROLE_INTERNAL, p.exploitation_country[i], p.first_contact[i], np.full(i.sum(), "")))
    pp = np.repeat(idx, layout.partners)
    at_origin = layout.returned[pp] & (rng.random(len(pp)) < P_PARTNER_AT_ORIGIN)
    office = np.where(at_origin, p.citizenship[pp], p.exploitation_country[pp])
    base = np.where(at_origin, p.first_contact[pp] + gap[pp], p.first_contact[pp])
    pdate = np.clip(base + rng.normal(30, 90, size=len(pp)).astype(np.int64), start, end)
    preferral = np.where(rng.random(len(pp)) < 0.2, office, "")
    parts.append((pp, ROLE_PARTNER, office, pdate, preferral))

    person = np.concatenate([x[0] for x in parts])
    role = np.concatenate([np.full(len(x[0]), x[1]) for x in parts])
    office = np.concatenate([np.asarray(x[2], dtype=object) for x in parts])
    registered = np.concatenate([np.asarray(x[3], dtype=np.int64) for x in parts])
    referral = np.concatenate([np.asarray(x[4], dtype=object) for x in parts])
    agency = np.full(len(person), PRIMARY_AGENCY, dtype=object)
    partner = role == ROLE_PARTNER
    agency[partner] = np.array(PARTNER_AGENCIES, dtype=object)[
        rng.choice(len(PARTNER_AGENCIES), size=int(partner.sum()), p=PARTNER_WEIGHTS)
    ]
    order = np.lexsort((rng.random(len(person)), registered))
    return Records(person[order], role[order], office[order], agency[order], registered[order], referral[order])


# --- formatting helpers ---------------------------------------------------------------------------


def iso_dates(days: np.ndarray, precision: np.ndarray | None = None) -> np.ndarray:
    """Days -> 'YYYY-MM-DD'; precision 1 -> 'YYYY-MM', 2 -> 'YYYY', 3 -> '' (unknown).

    Formats each distinct day once (a lookup table over the range), which is
    some thirty times faster than numpy's datetime-to-string cast per element.
    """
    days = np.asarray(days, dtype=np.int64)
    if len(days) == 0:
        return np.zeros(0, dtype=object)
    lo = int(days.min())
    full_table = np.arange(lo, int(days.max()) + 1).astype("datetime64[D]").astype(str).astype(object)
    full = full_table[days - lo]
    if precision is None:
        return full
    tables = [
        full_table,
        np.array([d[:7] for d in full_table], dtype=object),
        np.array([d[:4] for d in full_table], dtype=object),
        np.full(len(full_table), "", dtype=object),
    ]
    out = full.copy()
    for level in (1, 2, 3):
        m = precision == level
        out[m] = tables[level][days[m] - lo]
    return out


def int_strings(values: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """Small integers -> decimal strings by table lookup; '' where not present."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) == 0:
        return np.zeros(0, dtype=object)
    lo = int(values.min())
    table = np.arange(lo, int(values.max()) + 1).astype(str).astype(object)
    out = table[values - lo]
    if present is not None:
        out[~present] = ""
    return out


def padded_ids(prefix: np.ndarray | pa.Array | str, numbers: np.ndarray, width: int = 8) -> np.ndarray:
    """prefix + zero-padded number, built with Arrow kernels (numpy's char functions are slow)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width, "0")
    if not isinstance(prefix, str | pa.Array):
        prefix = pa.array(prefix, type=pa.string())
    joined = pc.binary_join_element_wise(prefix, digits, "")
    return joined.to_numpy(zero_copy_only=False).astype(object)


def join_bitmask(mask: np.ndarray, codes: list[str]) -> np.ndarray:
    """Bitmask per row -> ';'-joined codes (computed once per distinct mask)."""
    uniq, inv = np.unique(mask, return_inverse=True)
    text = np.array([MULTI_SEP.join(c for b, c in enumerate(codes) if (int(u) >> b) & 1) for u in uniq], dtype=object)
    return text[inv]


def _lookup(values: np.ndarray, mapping: dict[str, str]) -> np.ndarray:
    uniq, inv = np.unique(values.astype(str), return_inverse=True)
    return np.array([mapping.get(u, "") for u in uniq], dtype=object)[inv]


def _bools(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    out = np.where(values, "true", "false").astype(object)
    if missing is not None:
        out[missing] = ""
    return out


def _partner_spelling(
    rng: np.random.Generator, codes: np.ndarray, partner: np.ndarray, share: float = 0.04
) -> np.ndarray:
    """A few partner records write countries as alpha-3 codes or names (the importer accepts both)."""
    out = codes.copy()
    pick = partner & (codes != "") & (rng.random(len(codes)) < share)
    as_name = rng.random(len(codes)) < 0.5
    for i in np.flatnonzero(pick):
        out[i] = countries.name(codes[i]) if as_name[i] else (countries.alpha3(codes[i]) or codes[i])
    return out


def record_columns(rng: np.random.Generator, p: Persons, r: Records, book: NameBook) -> dict[str, np.ndarray]:
    """The columns of records.csv (ctdata.standard.template.RECORD_COLUMNS) for every record."""
    n = len(r)
    pid = r.person
    partner = r.role == ROLE_PARTNER
    cit = p.citizenship[pid].astype(object)
    dest = p.exploitation_country[pid].astype(object)

    names = render_record_names(rng, book, p.names, pid, r.office.astype(str), cit.astype(str))

    # Date of birth: full, year-month, year or missing; the odd day/month swap or year slip.
    birth = p.birth[pid].copy()
    dob_precision = rng.choice(4, size=n, p=[0.66, 0.05, 0.12, 0.17])
    bd = birth.astype("datetime64[D]")
    day = (bd - bd.astype("datetime64[M]")).astype(np.int64) + 1
    month = bd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    yr = bd.astype("datetime64[Y]").astype(np.int64) + 1970
    swap = (rng.random(n) < 0.02) & (day <= 12) & (day != month) & (dob_precision == 0)
    if swap.any():
        swapped = np.array(
            [f"{y:04d}-{d:02d}-{m:02d}" for y, m, d in zip(yr[swap], month[swap], day[swap], strict=True)],
            dtype="datetime64[D]",
        )
        birth[swap] = swapped.astype(np.int64)
    slip = rng.random(n) < 0.01
    if slip.any():
        # A year slip is a wrong year digit: the day and month stay as they were (365 days, as this
        # was written before, moved the day as well whenever a 29 February lay in between).
        sb = birth[slip].astype("datetime64[D]")
        sy = sb.astype("datetime64[Y]").astype(np.int64) + 1970 + np.where(rng.random(slip.sum()) < 0.5, -1, 1)
        sm = sb.astype("datetime64[M]").astype(np.int64) % 12 + 1
        sd = (sb - sb.astype("datetime64[M]")).astype(np.int64) + 1
        sd = np.where(sm == 2, np.minimum(sd, 28), sd)  # 29 February in a year without one
        birth[slip] = np.array(
            [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(sy, sm, sd, strict=True)], dtype="datetime64[D]"
        ).astype(np.int64)
    dob = iso_dates(birth, dob_precision)

    reg_age = np.floor((r.registered - p.birth[pid]) / 365.25).astype(np.int64)
    poorly = rng.random(n) < 0.03  # records with no age information at all
    no_dob = (dob_precision == 3) | poorly
    dob[poorly] = ""
    age_reg_present = no_dob & ~poorly & (rng.random(n) < 0.6)
    band_present = no_dob & ~poorly & ~age_reg_present & (rng.random(n) < 0.5)
    child_reg_present = no_dob & ~poorly & ~age_reg_present & ~band_present
    age_expl_present = ~poorly & (rng.random(n) < 0.85)
    child_expl_present = ~poorly & ~age_expl_present & (rng.random(n) < 0.4)

    bands = {a: age_band(int(a)) or "" for a in np.unique(reg_age)}
    band = np.array([bands[a] for a in reg_age], dtype=object)

    sex = p.sex[pid].copy()
    u = rng.random(n)
    sex[u < 0.02] = "unknown"
    sex[(u >= 0.02) & (u < 0.03)] = ""

    citizenship = cit.copy()
    citizenship[rng.random(n) < 0.01] = ""
    dual = (rng.random(n) < 0.005) & (citizenship != "")
    # A second citizenship that is neither the first nor the country of exploitation, so dual
    # nationals do not turn cross-border cases into internal ones.
    second = np.full(n, "", dtype=object)
    for candidate in ("RU", "UA", "TR", "DE", "US"):
        free = (second == "") & (cit != candidate) & (dest != candidate)
        second[free] = candidate
    citizenship[dual] = citizenship[dual] + MULTI_SEP + second[dual]
    coe = dest.copy()
    coe[rng.random(n) < 0.02] = ""

    doc = p.document[pid].copy()
    record_doc = np.where(partner, 0.3, 0.5)
    doc[rng.random(n) >= record_doc] = ""
    # Some offices note another document (a national ID card) or mistype a digit.
    u = rng.random(n)
    other_doc = (doc != "") & (u < 0.06)
    doc[other_doc] = padded_ids("ID", rng.integers(0, 10**9, size=int(other_doc.sum())), 9)
    mistyped = np.flatnonzero((doc != "") & (u >= 0.06) & (u < 0.10))
    digit = rng.integers(0, 10, size=len(mistyped))
    where = rng.integers(2, 9, size=len(mistyped))
    for i, d, w in zip(mistyped, digit, where, strict=True):
        text = doc[i]
        w = min(int(w), len(text) - 1)
        doc[i] = text[:w] + str(d) + text[w + 1 :]

    etypes = np.array(EXPLOITATION_CODES, dtype=object)[p.exploitation_type[pid]]
    etypes[rng.random(n) < 0.03] = ""
    sectors = join_bitmask(p.sectors[pid], SECTOR_CODES)
    sectors[(rng.random(n) < 0.1) | (etypes == "")] = ""
    sexual = join_bitmask(p.sexual_types[pid], SEXUAL_CODES)
    sexual[rng.random(n) < 0.15] = ""
    control = join_bitmask(p.control[pid], CONTROL_CODES)
    control[rng.random(n) < 0.1] = ""
    recruiter = np.array(RECRUITER_CODES, dtype=object)[p.recruiter[pid]]
    recruiter[rng.random(n) < 0.15] = ""

    status = np.where(p.vulnerable_migrant[pid], "vulnerable_migrant", "victim_of_trafficking").astype(object)
    closed = (r.role == ROLE_DEST) & p.returned[pid] & (rng.random(n) < 0.6)
    status[closed] = "closed"
    status[rng.random(n) < 0.02] = "screening"

    consent_research = _bools(rng.random(n) < 0.91, rng.random(n) < 0.06)
    consent_assistance = _bools(rng.random(n) < 0.995, rng.random(n) < 0.04)
    sharing = np.full(n, "", dtype=object)
    transferred = (r.role == ROLE_DEST) & p.returned[pid]
    sharing[transferred] = PRIMARY_AGENCY
    extra = transferred & (rng.random(n) < 0.3)
    sharing[extra] = PRIMARY_AGENCY + MULTI_SEP + "NGO-A"

    source = np.where(partner, "partner", "case_management").astype(object)
    u = rng.random(n)
    source[~partner & (u < 0.06)] = "hotline"
    source[~partner & (u >= 0.06) & (u < 0.08)] = "other"
    source[partner & (u < 0.25)] = "case_management"
    source[partner & (u >= 0.25) & (u < 0.33)] = "hotline"
    source[partner & (u >= 0.33) & (u < 0.37)] = "survey"

    reg_precision = np.where(partner & (rng.random(n) < 0.02), 1, 0)
    expl_precision = rng.choice(4, size=n, p=[0.4, 0.4, 0.15, 0.05])

    prefix = pc.binary_join_element_wise(pa.array(r.agency, pa.string()), pa.array(r.office, pa.string()), "", "-")
    record_id = padded_ids(prefix, np.arange(1, n + 1))

    child_expl = _bools(p.child[pid], ~child_expl_present)
    child_reg = _bools(reg_age < 18, ~child_reg_present)
    return {
        "record_id": record_id,
        "agency": r.agency,
        "office_country": _partner_spelling(rng, r.office, partner),
        "data_source": source,
        "registration_date": iso_dates(r.registered, reg_precision),
        "given_name": names.given,
        "family_name": names.family,
        "date_of_birth": dob,
        # not simulated: the simulator is calibrated to CTDC-style records, which hold no place of birth
        "place_of_birth": np.full(len(record_id), "", dtype=object),
        "sex": sex,
        "citizenship": _partner_spelling(rng, citizenship, partner & ~dual),
        "id_document_number": doc,
        "languages": _lookup(cit, LANGUAGES),
        "status": status,
        "age_at_registration": int_strings(reg_age, age_reg_present),
        "age_band": np.where(band_present, band, ""),
        "child_at_registration": child_reg,
        "age_at_exploitation": int_strings(p.age_at_exploitation[pid], age_expl_present),
        "child_at_exploitation": child_expl,
        "country_of_exploitation": _partner_spelling(rng, coe, partner),
        # offices record countries, so the region columns (for sources that know only a region) stay empty
        "origin_region": np.full(len(pid), "", dtype=object),
        "exploitation_region": np.full(len(pid), "", dtype=object),
        "exploitation_types": etypes,
        "labour_sectors": sectors,
        "sexual_exploitation_types": sexual,
        "means_of_control": control,
        "recruiter_relation": recruiter,
        "exploitation_start": iso_dates(p.exploitation_start[pid], expl_precision),
        "referral_from_office": r.referral,
        "consent_assistance": consent_assistance,
        "consent_research": consent_research,
        "consent_sharing": sharing,
    }
