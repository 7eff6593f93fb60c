"""A second generator of linkage test data, written apart from the simulator to break its assumptions.

It is a check, never a tuning set: nothing in ctdata's linkage may be chosen by looking at it.
What differs from ctdata's simulator (ctdata.simulate) and the test generator (tests/linkage/synthetic.py):

- its own small name tables (not the simulator's name book) for nationalities the simulator does not
  centre on: Russian (Cyrillic), Egyptian (Arabic), Nepali (Devanagari), Filipino and Brazilian
  (Latin); a dozen given and a dozen family names per sex and nationality, so namesakes are
  everywhere and the date of birth decides;
- native script on one side only: a record from the origin office writes the name in its script,
  records abroad a romanisation (one of several per name);
- dates of birth full, year-only, day and month swapped (where both are 12 or less), a year off, or
  (the `missing_dob` variant, the first written) missing. The issue that asked for this generator lists
  year-only and swapped dates, not missing ones: with a dozen names per sex, a record with no date of
  birth whose person has a namesake cannot be placed by any field, so the first variant caps what any
  method can reach (see oracle_clusters) below the goal set for it. The dated variant gives those
  records their full date; every other draw, and so every other field, is the same;
- no exploitation dates, no country of exploitation, no referrals between offices; registration
  dates spread over six years;
- every person 1 to 5 records, at offices of three agencies in five countries.

    python benchmarks/independent_gen.py --persons 2000 --seed 1 --out /tmp/independent
    python benchmarks/independent_gen.py --persons 2000 --seed 1 --dated --out /tmp/independent-dated
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

# nationality -> (script, given names by sex, family names): each name is (native, romanisations...)
_RU_M = [
    ("Иван", "Ivan"),
    ("Алексей", "Aleksei", "Alexey", "Aleksey"),
    ("Дмитрий", "Dmitrii", "Dmitry", "Dmitri"),
    ("Сергей", "Sergei", "Sergey"),
    ("Андрей", "Andrei", "Andrey"),
    ("Михаил", "Mikhail", "Michail"),
    ("Николай", "Nikolai", "Nikolay"),
    ("Юрий", "Iurii", "Yuri", "Jurij"),
    ("Евгений", "Evgenii", "Yevgeny", "Jewgeni"),
    ("Павел", "Pavel"),
    ("Артём", "Artem", "Artyom"),
    ("Владимир", "Vladimir", "Wladimir"),
]
_RU_F = [
    ("Анна", "Anna"),
    ("Мария", "Mariia", "Maria", "Marija"),
    ("Елена", "Elena", "Yelena", "Jelena"),
    ("Ольга", "Olga", "Ol'ga"),
    ("Наталья", "Natalia", "Natalya", "Natalja"),
    ("Татьяна", "Tatiana", "Tatyana", "Tatjana"),
    ("Юлия", "Iuliia", "Yulia", "Julija"),
    ("Ксения", "Kseniia", "Ksenia", "Xenia"),
    ("Дарья", "Daria", "Darya"),
    ("Светлана", "Svetlana", "Swetlana"),
    ("Екатерина", "Ekaterina", "Yekaterina"),
    ("Ирина", "Irina"),
]
_RU_FAM = [
    ("Иванов", "Ivanov", "Iwanow"),
    ("Смирнов", "Smirnov", "Smirnow"),
    ("Кузнецов", "Kuznetsov", "Kusnezow"),
    ("Попов", "Popov", "Popow"),
    ("Соколов", "Sokolov", "Sokolow"),
    ("Лебедев", "Lebedev", "Lebedew"),
    ("Козлов", "Kozlov", "Koslow"),
    ("Новиков", "Novikov", "Nowikow"),
    ("Морозов", "Morozov", "Morosow"),
    ("Волков", "Volkov", "Wolkow"),
    ("Фёдоров", "Fedorov", "Fyodorov"),
    ("Жуков", "Zhukov", "Schukow"),
]
_EG_M = [
    ("محمد", "Mohamed", "Muhammad", "Mohammed"),
    ("أحمد", "Ahmed", "Ahmad"),
    ("محمود", "Mahmoud", "Mahmud"),
    ("مصطفى", "Mostafa", "Mustafa"),
    ("علي", "Ali"),
    ("حسن", "Hassan", "Hasan"),
    ("حسين", "Hussein", "Husayn"),
    ("عمر", "Omar", "Umar"),
    ("خالد", "Khaled", "Khalid"),
    ("يوسف", "Youssef", "Yusuf"),
    ("إبراهيم", "Ibrahim", "Ebrahim"),
    ("كريم", "Karim", "Kareem"),
]
_EG_F = [
    ("فاطمة", "Fatma", "Fatima"),
    ("مريم", "Mariam", "Maryam"),
    ("نور", "Nour", "Nur"),
    ("سارة", "Sara", "Sarah"),
    ("هدى", "Hoda", "Huda"),
    ("منى", "Mona", "Muna"),
    ("آية", "Aya", "Ayah"),
    ("ياسمين", "Yasmin", "Yasmeen"),
    ("دينا", "Dina"),
    ("رانيا", "Rania", "Ranya"),
    ("سلمى", "Salma"),
    ("هبة", "Heba", "Hiba"),
]
_EG_FAM = [
    ("عبد الله", "Abdallah", "Abdullah", "Abd Allah"),
    ("السيد", "El Sayed", "Elsayed", "Al-Sayyid"),
    ("حسن", "Hassan", "Hasan"),
    ("محمد", "Mohamed", "Muhammad"),
    ("إبراهيم", "Ibrahim"),
    ("مصطفى", "Mostafa", "Mustafa"),
    ("عبد الرحمن", "Abdelrahman", "Abdel Rahman"),
    ("فتحي", "Fathy", "Fathi"),
    ("سعيد", "Said", "Saeed"),
    ("شاكر", "Shaker", "Shakir"),
    ("منصور", "Mansour", "Mansur"),
    ("عثمان", "Osman", "Othman"),
]
_NP_M = [
    ("राम", "Ram"),
    ("श्याम", "Shyam", "Syam"),
    ("हरि", "Hari"),
    ("कृष्ण", "Krishna", "Krisna"),
    ("बिकास", "Bikash", "Bikas", "Vikash"),
    ("सुरेश", "Suresh", "Suresa"),
    ("राजेश", "Rajesh"),
    ("दिपक", "Dipak", "Deepak"),
    ("सन्तोष", "Santosh", "Santos"),
    ("प्रकाश", "Prakash"),
    ("गणेश", "Ganesh"),
    ("अनिल", "Anil"),
]
_NP_F = [
    ("सीता", "Sita", "Seeta"),
    ("गीता", "Gita", "Geeta"),
    ("सरिता", "Sarita"),
    ("सुनिता", "Sunita", "Suneeta"),
    ("कमला", "Kamala", "Kamla"),
    ("लक्ष्मी", "Laxmi", "Lakshmi"),
    ("पार्वती", "Parbati", "Parvati"),
    ("मीना", "Mina", "Meena"),
    ("अनिता", "Anita"),
    ("राधा", "Radha"),
    ("पूजा", "Puja", "Pooja"),
    ("सबिना", "Sabina"),
]
_NP_FAM = [
    ("श्रेष्ठ", "Shrestha", "Srestha"),
    ("तामाङ", "Tamang"),
    ("गुरुङ", "Gurung"),
    ("थापा", "Thapa"),
    ("राई", "Rai"),
    ("मगर", "Magar"),
    ("अधिकारी", "Adhikari"),
    ("पौडेल", "Paudel", "Poudel"),
    ("भट्टराई", "Bhattarai"),
    ("खड्का", "Khadka"),
    ("कार्की", "Karki"),
    ("लामा", "Lama"),
]
_PH_M = [(n,) for n in "Jose Juan Mark John Michael Paolo Carlo Angelo Ramon Jerome Rodel Noel".split()]
_PH_F = [(n,) for n in "Maria Ana Rosalie Jocelyn Maricel Lorna Cristina Analyn Rowena Liza Grace Joy".split()]
_PH_FAM = [
    (n,) for n in "Santos Reyes Cruz Bautista Ocampo Garcia Mendoza Torres Castillo Flores Villanueva Ramos".split()
]
_BR_M = [(n,) for n in "João José Antônio Francisco Carlos Paulo Pedro Lucas Luiz Marcos Gabriel Rafael".split()]
_BR_F = [
    (n,) for n in "Maria Ana Francisca Antônia Adriana Juliana Márcia Fernanda Patrícia Aline Sandra Camila".split()
]
_BR_FAM = [
    (n,) for n in "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro".split()
]

NATIONALITIES: dict[str, tuple[list, list, list]] = {
    "RU": (_RU_M, _RU_F, _RU_FAM),
    "EG": (_EG_M, _EG_F, _EG_FAM),
    "NP": (_NP_M, _NP_F, _NP_FAM),
    "PH": (_PH_M, _PH_F, _PH_FAM),
    "BR": (_BR_M, _BR_F, _BR_FAM),
}
#: offices abroad where each nationality is registered (besides its own country's office)
DESTINATIONS = {"RU": ["AE", "TR"], "EG": ["AE", "IT"], "NP": ["AE", "IN"], "PH": ["AE", "JP"], "BR": ["PT", "JP"]}
AGENCIES = ["AGENCY-1", "AGENCY-2", "AGENCY-3"]


def _pick(rng: np.random.Generator, n: int) -> int:
    """A name's index in a small pool, commonest first (Zipf-like: the first few names dominate)."""
    w = 1.0 / np.arange(1, n + 1)
    return int(rng.choice(n, p=w / w.sum()))


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 3:
        return s
    i = int(rng.integers(1, len(s) - 1))
    op = rng.integers(3)
    if op == 0:
        return s[:i] + s[i + 1 :]
    if op == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + s[i] + s[i:]


def _written(rng: np.random.Generator, name: tuple[str, ...], native_side: bool) -> str:
    """The name as one record writes it: native script at the origin office, else a romanisation."""
    if len(name) > 1 and native_side:
        return name[0]
    forms = name[1:] if len(name) > 1 else name
    s = forms[int(rng.integers(len(forms)))]
    return _typo(rng, s) if rng.random() < 0.06 else s


#: Share of records whose date of birth is missing in the `missing_dob` variant (recorded in full in the dated one).
UNDATED_SHARE = 0.12


def _dob(rng: np.random.Generator, born: date, missing_dob: bool) -> str | None:
    r = rng.random()
    if r < UNDATED_SHARE:
        return None if missing_dob else born.isoformat()
    if r < 0.27:
        return f"{born.year:04d}"
    if r < 0.35 and born.day <= 12 and born.day != born.month:
        return date(born.year, born.day, born.month).isoformat()
    if r < 0.38:
        return date(born.year + int(rng.choice([-1, 1])), born.month, min(born.day, 28)).isoformat()
    return born.isoformat()


def generate(persons: int, seed: int, missing_dob: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(template records, truth record_id -> person_id). `missing_dob` False: the dated variant (every
    record carries a date of birth in some form; see the module docstring)."""
    records, truth, _ = generate_with_names(persons, seed, missing_dob)
    return records, truth


def generate_with_names(
    persons: int, seed: int, missing_dob: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(template records, truth, persons): the same rows as `generate`, and each person's true name
    (person_id, sex, nationality, index of the given and of the family name in its pool) and date of
    birth (`born`), which no record spells out (scripts, romanisations, typos and date errors vary)
    and which the oracle references use."""
    rng = np.random.default_rng(seed)
    nats = list(NATIONALITIES)
    rows, truth, people = [], [], []
    for p in range(persons):
        nat = nats[int(rng.integers(len(nats)))]
        male, female, fam = NATIONALITIES[nat]
        sex = "male" if rng.random() < 0.45 else "female"
        pool = male if sex == "male" else female
        gi = _pick(rng, len(pool))
        fi = _pick(rng, len(fam))
        given, family = pool[gi], fam[fi]
        born = date(1965, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 40)))
        people.append(
            {"person_id": f"P{p:06d}", "sex": sex, "nationality": nat, "given": gi, "family": fi, "born": born}
        )
        n = int(rng.choice([1, 2, 3, 4, 5], p=[0.35, 0.3, 0.2, 0.1, 0.05]))
        first_reg = date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 5)))
        for k in range(n):
            home = k > 0 and rng.random() < 0.4  # a later record at the origin office, after return
            office = nat if home else DESTINATIONS[nat][int(rng.integers(2))]
            reg = first_reg + timedelta(days=int(rng.integers(0, 400)) * k)
            rid = f"P{p:06d}-{k}"
            swap = rng.random() < 0.05
            g, f = _written(rng, given, home), _written(rng, family, home)
            rows.append(
                {
                    "record_id": rid,
                    "agency": AGENCIES[int(rng.integers(len(AGENCIES)))],
                    "office_country": office,
                    "registration_date": reg.isoformat(),
                    "given_name": f if swap else g,
                    "family_name": g if swap else f,
                    "date_of_birth": _dob(rng, born, missing_dob),
                    "sex": sex if rng.random() > 0.03 else None,
                    "citizenship": nat if rng.random() > 0.05 else None,
                }
            )
            truth.append({"record_id": rid, "person_id": f"P{p:06d}"})
    return pd.DataFrame(rows), pd.DataFrame(truth), pd.DataFrame(people)


#: Days between one person's successive registrations are drawn from 0 to this (see generate_with_names).
REGISTRATION_GAP_DAYS = 400


def oracle_clusters(records: pd.DataFrame, truth: pd.DataFrame, people: pd.DataFrame, how: str) -> pd.DataFrame:
    """Clusters of an oracle that knows every person but for the records nothing can place: a record
    without a date of birth whose person shares the true name, sex and nationality with another person,
    and a record with the year of birth only whose person shares those and the year of birth with
    another. Every other record is put with its person. The ambiguous ones are left alone (`how`
    'alone': no false link, the pairwise F1 of a method that never guesses) or put with the person,
    among those it cannot be told from (its own included), that has a placed record registered nearest
    in time, if within REGISTRATION_GAP_DAYS (`how` 'nearest': the registration date is all the evidence
    left). A reference for what the data allow, not a method: a ceiling (typos, swapped and wrong dates
    are taken as decidable). Returns record_key, cluster."""
    if how not in ("alone", "nearest"):
        raise ValueError(f"unknown oracle {how!r}")
    who = people.set_index("person_id")
    name = who[["sex", "nationality", "given", "family"]].astype(str).agg("|".join, axis=1)
    name_year = name + "|" + pd.to_datetime(who["born"]).dt.year.astype(str)
    dob = records["date_of_birth"]
    year_only = dob.fillna("").str.fullmatch(r"\d{4}").to_numpy()
    rec = pd.DataFrame(
        {
            "record_key": records["record_id"].astype(str).to_numpy(),
            "person": truth["person_id"].to_numpy(),
            "reg": pd.to_datetime(records["registration_date"]).to_numpy(),
        }
    )
    shared_name = rec["person"].map(name.map(name.value_counts())) > 1
    shared_year = rec["person"].map(name_year.map(name_year.value_counts())) > 1
    ambiguous = (dob.isna().to_numpy() & shared_name.to_numpy()) | (year_only & shared_year.to_numpy())
    cluster = rec["person"].astype(object).copy()
    placed = rec[~ambiguous]
    placed_name = placed["person"].map(name)
    placed_name_year = placed["person"].map(name_year)
    for i in np.flatnonzero(ambiguous):
        cluster.iat[i] = "alone:" + rec["record_key"].iat[i]
        if how == "nearest":
            person = rec["person"].iat[i]
            same = placed_name_year == name_year[person] if year_only[i] else placed_name == name[person]
            cand = placed[same]
            if len(cand):
                gap = (cand["reg"] - rec["reg"].iat[i]).abs().dt.days
                j = gap.idxmin()
                if gap[j] <= REGISTRATION_GAP_DAYS:
                    cluster.iat[i] = cand.at[j, "person"]
    return pd.DataFrame({"record_key": rec["record_key"], "cluster": cluster.astype(str)})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dated", action="store_true", help="every record carries a date of birth in some form")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    rec, truth = generate(a.persons, a.seed, missing_dob=not a.dated)
    a.out.mkdir(parents=True, exist_ok=True)
    rec.to_csv(a.out / "records.csv", index=False)
    truth.to_csv(a.out / "truth.csv", index=False)
    print(f"{len(rec):,} records of {a.persons:,} persons in {a.out}")


if __name__ == "__main__":
    main()
