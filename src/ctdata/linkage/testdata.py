"""Small synthetic case records with ground truth, for linkage tests and benchmarks.

The project's simulator (``ctdata.simulate``) is the real source of test data;
this generator exists so that the linkage layer can be tested on its own and
so that its tests do not move when the simulator's defaults change. It makes
the shapes the issue describes: a person registered by the destination office,
again by the origin office after return (with ``referral_from_office``), and
by partner agencies; names in native scripts or in several romanisations,
typos, swapped name order, partial or missing dates of birth.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

# (country, weight, destinations, given male, given female, family); each name is
# (native script or "", [romanisations...]).
_N = tuple[str, list[str]]

_POOLS: dict[str, dict] = {
    "UA": {
        "w": 3,
        "dest": ["PL", "DE", "TR", "IL"],
        "m": [
            ("Олександр", ["Oleksandr", "Aleksandr", "Olexandr"]),
            ("Сергій", ["Serhiy", "Sergei", "Serhii"]),
            ("Дмитро", ["Dmytro", "Dmitry"]),
            ("Андрій", ["Andriy", "Andrei"]),
            ("Іван", ["Ivan"]),
            ("Микола", ["Mykola", "Nikolai"]),
            ("Юрій", ["Yuriy", "Yuri"]),
            ("Петро", ["Petro", "Petr"]),
        ],
        "f": [
            ("Олена", ["Olena", "Elena"]),
            ("Ольга", ["Olha", "Olga"]),
            ("Тетяна", ["Tetiana", "Tatiana"]),
            ("Наталія", ["Nataliya", "Natalia"]),
            ("Ірина", ["Iryna", "Irina"]),
            ("Юлія", ["Yuliya", "Yulia"]),
            ("Анна", ["Anna", "Hanna"]),
            ("Оксана", ["Oksana"]),
        ],
        "fam": [
            ("Шевченко", ["Shevchenko"]),
            ("Коваленко", ["Kovalenko"]),
            ("Бондаренко", ["Bondarenko"]),
            ("Ткаченко", ["Tkachenko"]),
            ("Кравченко", ["Kravchenko"]),
            ("Мельник", ["Melnyk", "Melnik"]),
            ("Бойко", ["Boyko", "Boiko"]),
            ("Коваль", ["Koval"]),
            ("Олійник", ["Oliynyk", "Oliinyk"]),
            ("Поліщук", ["Polishchuk"]),
            ("Лисенко", ["Lysenko", "Lisenko"]),
            ("Марченко", ["Marchenko"]),
        ],
    },
    "SY": {
        "w": 3,
        "dest": ["TR", "LB", "DE", "JO"],
        "m": [
            ("محمد", ["Mohamed", "Mohammed", "Muhammad", "Mohammad"]),
            ("أحمد", ["Ahmed", "Ahmad"]),
            ("علي", ["Ali"]),
            ("حسين", ["Hussein", "Hussain"]),
            ("خالد", ["Khaled", "Khalid"]),
            ("يوسف", ["Youssef", "Yusuf"]),
            ("عمر", ["Omar", "Umar"]),
            ("إبراهيم", ["Ibrahim"]),
            ("مصطفى", ["Mustafa", "Mostafa"]),
            ("عبد الله", ["Abdullah", "Abdallah"]),
        ],
        "f": [
            ("فاطمة", ["Fatima", "Fatma"]),
            ("عائشة", ["Aisha", "Aicha"]),
            ("مريم", ["Maryam", "Mariam"]),
            ("زينب", ["Zainab", "Zeinab"]),
            ("خديجة", ["Khadija"]),
            ("نور", ["Nour", "Noor"]),
            ("ليلى", ["Layla", "Leila"]),
            ("ياسمين", ["Yasmin", "Yasmine"]),
        ],
        "fam": [
            ("الحسن", ["Al-Hassan", "Hassan"]),
            ("محمد", ["Mohamed", "Mohammed"]),
            ("علي", ["Ali"]),
            ("إبراهيم", ["Ibrahim"]),
            ("خليل", ["Khalil"]),
            ("سعيد", ["Said", "Saeed"]),
            ("حمدان", ["Hamdan"]),
            ("الأحمد", ["Al-Ahmad", "Alahmad"]),
            ("الخطيب", ["Al-Khatib", "Khatib"]),
            ("نصر", ["Nasr", "Nasser"]),
            ("يوسف", ["Youssef", "Yousef"]),
            ("صالح", ["Saleh", "Salih"]),
        ],
    },
    "LA": {
        "w": 2,
        "dest": ["TH", "CN"],
        "m": [
            ("", ["Somchai", "Somchay"]),
            ("", ["Souk", "Suk"]),
            ("", ["Phonsavanh", "Phonesavanh"]),
            ("", ["Khamla", "Kamla"]),
            ("", ["Sengphet", "Sengpet"]),
            ("", ["Bounmy", "Bounmi"]),
            ("", ["Vanh", "Van"]),
            ("", ["Thongchanh", "Tongchan"]),
        ],
        "f": [
            ("", ["Noy", "Noi"]),
            ("", ["Phoutsady", "Putsady"]),
            ("", ["Mali", "Malee"]),
            ("", ["Douangchanh", "Duangchan"]),
            ("", ["Keo", "Kaew"]),
            ("", ["Vilay", "Wilai"]),
            ("", ["Souksavanh", "Suksavan"]),
            ("", ["Chanthala", "Chantala"]),
        ],
        "fam": [
            ("", ["Vongsa", "Wongsa"]),
            ("", ["Chanthavong", "Chantavong"]),
            ("", ["Phommachanh", "Pommachan"]),
            ("", ["Sisouk", "Sisuk"]),
            ("", ["Keomany", "Keomani"]),
            ("", ["Inthavong", "Intavong"]),
            ("", ["Sayavong", "Saiyavong"]),
            ("", ["Douangmala", "Duangmala"]),
            ("", ["Xayasith", "Sayasit"]),
        ],
    },
    "KH": {
        "w": 2,
        "dest": ["TH", "MY"],
        "m": [
            ("", ["Sok", "Sokk"]),
            ("", ["Vannak", "Vanak"]),
            ("", ["Dara"]),
            ("", ["Pich", "Pech"]),
            ("", ["Sophal", "Sopal"]),
            ("", ["Rithy", "Rithi"]),
            ("", ["Chantha", "Jantha"]),
        ],
        "f": [
            ("", ["Sokha", "Sokhar"]),
            ("", ["Sopheap", "Sophiep"]),
            ("", ["Srey", "Srei"]),
            ("", ["Channary", "Chanary"]),
            ("", ["Bopha", "Bopa"]),
            ("", ["Kunthea", "Kuntea"]),
        ],
        "fam": [
            ("", ["Chea", "Chia"]),
            ("", ["Heng"]),
            ("", ["Sok"]),
            ("", ["Keo", "Kaew"]),
            ("", ["Chhun", "Chun"]),
            ("", ["Meas", "Mias"]),
            ("", ["Sam"]),
            ("", ["Phan", "Pan"]),
            ("", ["Touch", "Tuch"]),
            ("", ["Ouk", "Uk"]),
        ],
    },
    "VN": {
        "w": 2,
        "dest": ["GB", "DE", "CN"],
        "m": [
            ("Văn Anh", ["Van Anh"]),
            ("Minh", ["Minh"]),
            ("Đức", ["Duc"]),
            ("Hùng", ["Hung"]),
            ("Tuấn", ["Tuan"]),
            ("Quang", ["Quang"]),
        ],
        "f": [
            ("Thị Lan", ["Thi Lan"]),
            ("Hương", ["Huong"]),
            ("Thảo", ["Thao"]),
            ("Ngọc", ["Ngoc"]),
            ("Linh", ["Linh"]),
            ("Mai", ["Mai"]),
        ],
        "fam": [
            ("Nguyễn", ["Nguyen"]),
            ("Trần", ["Tran"]),
            ("Lê", ["Le"]),
            ("Phạm", ["Pham"]),
            ("Hoàng", ["Hoang"]),
            ("Vũ", ["Vu"]),
            ("Đặng", ["Dang"]),
        ],
    },
    "NG": {
        "w": 3,
        "dest": ["IT", "ES", "GH", "LY"],
        "m": [
            ("", ["Chukwuemeka"]),
            ("", ["Oluwaseun"]),
            ("", ["Ibrahim"]),
            ("", ["Emmanuel"]),
            ("", ["Samuel"]),
            ("", ["Musa"]),
            ("", ["Abdullahi"]),
            ("", ["Tunde"]),
            ("", ["Chinedu"]),
        ],
        "f": [
            ("", ["Blessing"]),
            ("", ["Joy"]),
            ("", ["Chiamaka"]),
            ("", ["Aisha", "Aishat"]),
            ("", ["Grace"]),
            ("", ["Favour"]),
            ("", ["Precious"]),
            ("", ["Ngozi"]),
            ("", ["Funmilayo"]),
        ],
        "fam": [
            ("", ["Okafor"]),
            ("", ["Adeyemi"]),
            ("", ["Bello"]),
            ("", ["Okonkwo"]),
            ("", ["Abubakar"]),
            ("", ["Eze"]),
            ("", ["Ogunleye"]),
            ("", ["Nwosu"]),
            ("", ["Ibrahim"]),
            ("", ["Mohammed"]),
            ("", ["Olawale"]),
            ("", ["Uche"]),
            ("", ["Adebayo"]),
            ("", ["Obi"]),
        ],
    },
}

_AGENCIES = ["IOM", "NGO-A", "NGO-B"]

# Syllables for the long tail of names, and the ways offices vary their spelling.
_SYLLABLES = {
    "UA": (
        [
            "ko",
            "va",
            "len",
            "shev",
            "mel",
            "bon",
            "dar",
            "tka",
            "sy",
            "ro",
            "ma",
            "kov",
            "lys",
            "pet",
            "hry",
            "zhu",
            "cher",
            "ny",
            "vol",
            "dan",
        ],
        ["enko", "uk", "yk", "ych", "ov", "iv", "ak", "ets"],
    ),
    "SY": (
        [
            "al",
            "ha",
            "ka",
            "ma",
            "sa",
            "ra",
            "ja",
            "na",
            "da",
            "ba",
            "za",
            "fa",
            "ta",
            "qa",
            "sha",
            "kha",
            "mou",
            "ou",
            "ya",
            "ab",
        ],
        ["di", "mi", "ri", "wi", "ni", "li", "si", "oun", "al", "an", "id", "ir"],
    ),
    "LA": (
        [
            "phon",
            "sou",
            "vong",
            "kham",
            "chan",
            "keo",
            "sy",
            "ma",
            "thong",
            "boun",
            "douang",
            "in",
            "say",
            "pha",
            "si",
            "la",
            "no",
            "vi",
            "xay",
            "phou",
        ],
        ["sa", "vong", "savanh", "thavong", "mala", "many", "sith", "chanh", "la", "phet"],
    ),
    "KH": (
        [
            "sok",
            "chan",
            "so",
            "vann",
            "heng",
            "pich",
            "ke",
            "meas",
            "chh",
            "kim",
            "lim",
            "ny",
            "rith",
            "bo",
            "kun",
            "sre",
            "dar",
            "ouk",
            "phal",
            "ros",
        ],
        ["a", "ea", "y", "eap", "ak", "un", "ny", "tha", "ra"],
    ),
    "VN": (
        ["ng", "tr", "ph", "h", "v", "d", "b", "l", "th", "qu", "kh", "gi", "t", "m", "c"],
        ["uyen", "an", "am", "oang", "u", "ang", "ui", "o", "ieu", "inh", "ong", "uong"],
    ),
    "NG": (
        [
            "o",
            "a",
            "e",
            "chi",
            "nwa",
            "ade",
            "olu",
            "ba",
            "ibe",
            "oke",
            "uche",
            "ezi",
            "ogun",
            "ife",
            "ama",
            "ko",
            "bu",
            "mu",
            "sa",
            "ta",
        ],
        ["fo", "yemi", "nkwo", "ke", "wale", "bayo", "chukwu", "ma", "di", "nna", "lu", "ro", "so"],
    ),
}
_FOLDS = [
    ("ph", "p"),
    ("kh", "k"),
    ("ou", "u"),
    ("v", "w"),
    ("y", "i"),
    ("sh", "ch"),
    ("oo", "u"),
    ("e", "a"),
    ("i", "ee"),
    ("ch", "tch"),
    ("x", "s"),
    ("th", "t"),
]


def _tail_name(rng: np.random.Generator, country: str) -> _N:
    heads, tails = _SYLLABLES[country]
    k = int(rng.integers(1, 3))
    base = "".join(heads[int(rng.integers(len(heads)))] for _ in range(k)) + tails[int(rng.integers(len(tails)))]
    base = base.capitalize()
    variants = [base]
    for a, b in _FOLDS:
        if a in base.lower() and rng.random() < 0.5:
            variants.append(base.lower().replace(a, b, 1).capitalize())
    return ("", variants[:3])


def _pools_for(rng: np.random.Generator) -> dict[str, dict]:
    """Extend each country's common names with a long, Zipf-distributed tail."""
    out = {}
    for c, pool in _POOLS.items():
        p = dict(pool)
        p["m"] = list(pool["m"]) + [_tail_name(rng, c) for _ in range(60)]
        p["f"] = list(pool["f"]) + [_tail_name(rng, c) for _ in range(60)]
        p["fam"] = list(pool["fam"]) + [_tail_name(rng, c) for _ in range(600)]
        out[c] = p
    return out


def _pick(rng: np.random.Generator, pool: list) -> tuple:
    # Zipf-like: a few names are very common, as in real registers.
    w = 1.0 / np.arange(1, len(pool) + 1) ** 0.9
    return pool[rng.choice(len(pool), p=w / w.sum())]


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 4:
        return s
    i = int(rng.integers(1, len(s) - 1))
    k = rng.integers(3)
    if k == 0:
        return s[:i] + s[i + 1 :]
    if k == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + "aeiou"[int(rng.integers(5))] + s[i + 1 :]


def _write_name(rng: np.random.Generator, name: _N, native_ok: bool) -> str:
    native, romans = name
    if native and native_ok and rng.random() < 0.5:
        return native
    return romans[int(rng.integers(len(romans)))]


def generate(persons: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (records in the exchange template, truth with record_id and person_id)."""
    rng = np.random.default_rng(seed)
    pools = _pools_for(np.random.default_rng(12345))
    countries = list(pools)
    cw = np.array([_POOLS[c]["w"] for c in countries], dtype=float)
    rows: list[dict] = []
    truth: list[tuple[str, str]] = []
    rid = 0
    for p in range(persons):
        origin = countries[rng.choice(len(countries), p=cw / cw.sum())]
        pool = pools[origin]
        sex = "female" if rng.random() < 0.6 else "male"
        given = [_pick(rng, pool["f" if sex == "female" else "m"])]
        if rng.random() < 0.15:
            given.append(_pick(rng, pool["f" if sex == "female" else "m"]))
        family = _pick(rng, pool["fam"])
        dob = date(1960, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 48)))
        dest = pool["dest"][int(rng.integers(len(pool["dest"])))]
        cit = origin + (";" + dest if rng.random() < 0.03 else "")
        t0 = date(2015, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 8)))
        n = 1 + int(rng.choice([0, 1, 2, 3], p=[0.55, 0.3, 0.11, 0.04]))
        # Registrations: destination first, then (often) the origin office after return.
        for k in range(n):
            if k == 0:
                office, agency, ref, reg = dest, "IOM", None, t0
            elif k == 1 and rng.random() < 0.75:
                office, agency, ref = origin, "IOM", dest
                reg = t0 + timedelta(days=int(rng.integers(20, 400)))
            else:
                office = dest if rng.random() < 0.5 else origin
                agency = _AGENCIES[int(rng.integers(1, len(_AGENCIES)))]
                ref = None
                reg = t0 + timedelta(days=int(rng.integers(-60, 500)))
            native_ok = office == origin
            g = " ".join(_write_name(rng, x, native_ok) for x in given)
            f = _write_name(rng, family, native_ok)
            if rng.random() < 0.08:
                g = _typo(rng, g)
            if rng.random() < 0.08:
                f = _typo(rng, f)
            if rng.random() < 0.05:
                g, f = f, g
            u = rng.random()
            if u < 0.55:
                d = dob.isoformat()
                if rng.random() < 0.04:  # a slip of one digit or a day/month swap
                    d = _typo_date(rng, dob)
            elif u < 0.65:
                d = dob.isoformat()[:7]
            elif u < 0.82:
                d = str(dob.year + (int(rng.integers(-1, 2)) if rng.random() < 0.2 else 0))
            else:
                d = ""
            rid += 1
            rows.append(
                {
                    "record_id": f"R{rid:08d}",
                    "agency": agency,
                    "office_country": office,
                    "registration_date": reg.isoformat(),
                    "given_name": g,
                    "family_name": f,
                    "date_of_birth": d,
                    "sex": sex if rng.random() > 0.03 else "unknown",
                    "citizenship": cit if rng.random() > 0.1 else "",
                    "referral_from_office": ref or "",
                }
            )
            truth.append((f"R{rid:08d}", f"P{p:08d}"))
    records = pd.DataFrame(rows)
    order = rng.permutation(len(records))
    records = records.iloc[order].reset_index(drop=True)
    truth_df = pd.DataFrame(truth, columns=["record_id", "person_id"]).iloc[order].reset_index(drop=True)
    return records, truth_df


def _typo_date(rng: np.random.Generator, d: date) -> str:
    if d.day <= 12 and rng.random() < 0.5:
        return f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
    s = list(d.isoformat())
    i = int(rng.choice([3, 9]))
    s[i] = str((int(s[i]) + 1) % 10)
    out = "".join(s)
    try:
        date.fromisoformat(out)
        return out
    except ValueError:
        return d.isoformat()


def to_features(records: pd.DataFrame) -> pd.DataFrame:
    """The restricted features table the warehouse hands to linkage, from template records."""
    cols = [
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "citizenship",
        "office_country",
        "agency",
        "registration_date",
        "referral_from_office",
        "age_at_registration",
        "age_band",
    ]
    out = records[[c for c in cols if c in records.columns]].copy()
    out.insert(0, "record_key", records["record_id"].astype(str))
    return out
