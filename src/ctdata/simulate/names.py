"""Names per naming culture, and how each office writes them.

Every name has ten *forms*: 0 native script, 1 native script as a
Russian-speaking office writes it, 2-9 Latin spellings. For Cyrillic names
the Latin forms are real transliteration schemes (see transliterate.py); for
Arabic, Lao, Khmer, Thai, Burmese and Ge'ez names they cycle through the
romanisations listed in data/names.txt; for Latin names through variant
spellings. All forms are computed once into object tables, so rendering a
million records is a pair of fancy-indexing operations; only the few records
that get a typo pass through Python string code.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from ctdata.simulate.transliterate import (
    feminine_surname,
    latin_variants,
    romanise,
    ukrainian_to_russian,
)

N_FORMS = 10
LATIN_FORMS = np.arange(2, N_FORMS)
#: How often each Latin form is chosen when the office has no scheme of its own.
LATIN_FORM_WEIGHTS = np.array([0.40, 0.18, 0.12, 0.08, 0.08, 0.05, 0.05, 0.04])

SCRIPT_CODES = {
    "latin": 0,
    "cyrillic": 1,
    "arabic": 2,
    "lao": 3,
    "khmer": 4,
    "thai": 5,
    "burmese": 6,
    "ethiopic": 7,
}

#: Script an office writes natively (offices not listed write Latin).
OFFICE_SCRIPT: dict[str, str] = {
    **{c: "cyrillic" for c in ("RU", "UA", "BY", "KZ", "KG", "TJ", "UZ", "MN", "BG", "RS", "MK")},
    **{
        c: "arabic"
        for c in (
            "YE",
            "EG",
            "SY",
            "IQ",
            "SD",
            "SA",
            "JO",
            "LB",
            "LY",
            "MA",
            "TN",
            "DZ",
            "AE",
            "OM",
            "KW",
            "QA",
            "BH",
            "PS",
            "AF",
            "IR",
        )
    },
    "LA": "lao",
    "KH": "khmer",
    "TH": "thai",
    "MM": "burmese",
    "ET": "ethiopic",
    "ER": "ethiopic",
}
RUSSIAN_SPEAKING_OFFICES = frozenset({"RU", "KZ", "KG", "TJ", "UZ", "BY"})

#: Latin form an office prefers for Cyrillic names (its national transliteration habit).
CYRILLIC_OFFICE_FORM: dict[str, int] = {
    "UA": 2,
    "RU": 3,
    "KZ": 3,
    "KG": 3,
    "BY": 3,
    "TJ": 3,
    "MD": 3,
    "AM": 3,
    "AZ": 3,
    "GE": 3,
    "TM": 3,
    "DE": 4,
    "AT": 4,
    "CH": 4,
    "NL": 4,
    "FR": 5,
    "BE": 5,
    "LU": 5,
    "PL": 6,
    "CZ": 8,
    "SK": 8,
    "HR": 8,
    "SI": 8,
    "UZ": 9,
    "TR": 7,
    "IL": 7,
    "AE": 7,
}


@dataclass
class Culture:
    """A naming culture: its lists (as rows of the global tables) and its habits."""

    name: str
    script: str
    countries: list[str]
    order: str = "given_first"
    gendered_family: bool = False
    patronymic: float = 0.0
    double_family: float = 0.0
    merge: float = 0.0
    swap: float = 0.0
    given_f: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    given_m: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    family_m: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    family_f: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    patronym: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass
class NameBook:
    """All cultures plus the global form tables (rows: names, columns: forms)."""

    cultures: list[Culture]
    given: np.ndarray  # object [n_given, N_FORMS]
    family: np.ndarray  # object [n_family, N_FORMS]
    culture_of_country: dict[str, int]

    def culture_index(self, countries: np.ndarray) -> np.ndarray:
        """Culture of each citizenship code; unknown or unlisted countries get the European list."""
        default = next(i for i, c in enumerate(self.cultures) if c.name == "european")
        uniq, inv = np.unique(countries.astype(str), return_inverse=True)
        codes = np.array([self.culture_of_country.get(u, default) for u in uniq], dtype=np.int64)
        return codes[inv]


def _parse(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None:
            raise ValueError(f"names.txt: entry outside a section: {line!r}")
        key, _, value = line.partition("=")
        current[key.strip()] = value.strip()
    return sections


def _entries(value: str) -> list[tuple[str, str, list[str]]]:
    """Parse 'NATIVE[>ALT][=V1/V2]' entries into (native, alt, latin variants)."""
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        head, _, latin = item.partition("=")
        native, _, alt = head.partition(">")
        variants = [v.strip() for v in latin.split("/") if v.strip()]
        out.append((native.strip(), alt.strip() or native.strip(), variants))
    return out


def _cyrillic_forms(native: str, alt: str, culture: str) -> list[str]:
    central = culture == "central_asian"
    return [
        native,
        alt,
        romanise(native, "bgn" if central else "ua2010"),
        romanise(alt, "bgn"),
        romanise(native, "german"),
        romanise(native, "french"),
        romanise(native, "polish"),
        romanise(alt, "informal"),
        romanise(native, "scholarly"),
        romanise(native, "uzbek_latin" if central else "informal"),
    ]


def _forms(script: str, culture: str, native: str, alt: str, variants: list[str]) -> list[str]:
    if script == "cyrillic":
        return _cyrillic_forms(native, alt, culture)
    if script == "latin":
        spellings = latin_variants(native, variants)
        return [native, native] + [spellings[k % len(spellings)] for k in range(N_FORMS - 2)]
    spellings = variants or [native]
    return [native, native] + [spellings[k % len(spellings)] for k in range(N_FORMS - 2)]


@lru_cache(maxsize=1)
def load_namebook() -> NameBook:
    """Read data/names.txt and build the form tables (cached: the book is immutable)."""
    text = resources.files("ctdata.simulate").joinpath("data/names.txt").read_text(encoding="utf-8")
    sections = _parse(text)
    given_rows: list[list[str]] = []
    family_rows: list[list[str]] = []
    cultures: list[Culture] = []
    by_country: dict[str, int] = {}

    def add(rows: list[list[str]], forms: list[str]) -> int:
        rows.append(forms)
        return len(rows) - 1

    derived = dict(sections)
    # Russians use the Russian forms of the East Slavic list as their native spelling.
    if "east_slavic" in sections:
        derived["russian"] = dict(sections["east_slavic"], countries="RU", russian="yes")
        derived["east_slavic"] = dict(sections["east_slavic"], countries="UA BY")
    for name, opts in derived.items():
        script = opts.get("script", "latin")
        russian = opts.get("russian") == "yes"
        culture = Culture(
            name=name,
            script=script,
            countries=opts.get("countries", "").split(),
            order=opts.get("order", "given_first"),
            gendered_family=opts.get("gendered_family") == "yes",
            patronymic=float(opts.get("patronymic", 0) or 0),
            double_family=float(opts.get("double_family", 0) or 0),
            merge=float(opts.get("merge", 0) or 0),
            swap=float(opts.get("swap", 0) or 0),
        )
        base = "east_slavic" if russian else name

        def forms_of(
            native: str,
            alt: str,
            variants: list[str],
            base: str = base,
            script: str = script,
            russian: bool = russian,
        ) -> list[str]:
            if russian:
                native = alt
            return _forms(script, base, native, alt, variants)

        for key, attr in (("given_f", "given_f"), ("given_m", "given_m")):
            listed = _entries(opts.get(key, ""))
            listed += tail_entries(listed, int(opts.get("given_tail", 0) or 0), script, f"{base}/{key}")
            rows = [add(given_rows, forms_of(n, a, v)) for n, a, v in listed]
            setattr(culture, attr, np.array(rows, dtype=np.int64))
        fam_m, fam_f = [], []
        listed = _entries(opts.get("family", ""))
        listed += tail_entries(listed, int(opts.get("family_tail", 0) or 0), script, f"{base}/family")
        for n, a, v in listed:
            if script == "cyrillic":
                a = ukrainian_to_russian(n) if a == n and base == "east_slavic" else a
            male = forms_of(n, a, v)
            fam_m.append(add(family_rows, male))
            if culture.gendered_family:
                fn, fa = feminine_surname(n), feminine_surname(a)
                fam_f.append(add(family_rows, forms_of(fn, fa, v)))
            else:
                fam_f.append(fam_m[-1])
        culture.family_m = np.array(fam_m, dtype=np.int64)
        culture.family_f = np.array(fam_f, dtype=np.int64)
        # Father's given names as family names (Ethiopian, Somali, many Arab and Afghan records).
        culture.patronym = np.array([add(family_rows, list(given_rows[g])) for g in culture.given_m], dtype=np.int64)
        if len(culture.family_m) == 0:
            culture.patronymic = 1.0
        idx = len(cultures)
        cultures.append(culture)
        for c in culture.countries:
            by_country[c] = idx
    given = np.empty((len(given_rows), N_FORMS), dtype=object)
    given[:] = given_rows
    family = np.empty((len(family_rows), N_FORMS), dtype=object)
    family[:] = family_rows
    return NameBook(cultures, given, family, by_country)


# --- the long tail of rarer names ----------------------------------------------------------------
#
# The lists in data/names.txt hold each culture's commonest names (tens per list). Real populations
# use thousands: a 30-name list makes namesakes far more common than in life. So each list is
# extended, after its listed head, by `given_tail` / `family_tail` rarer names built from the head in
# the culture's own way, with the same kinds of spelling variation as the head:
# - Cyrillic and Latin-script lists: new names from a character model (order 2) of the listed
#   names, e.g. Кравчук, Петрейко, Lovaline. Cyrillic tail names are romanised by the same
#   transliteration schemes as the head; Somali ones get the anglicised spellings of Somali
#   orthography (x -> h, c dropped, doubled vowels single), as listed names do.
# - Arabic, Persian, Lao, Khmer, Thai, Burmese and Ethiopic: compounds of two listed names in the
#   native script and in each of their romanisations (Lao Souk + Savanh = Souksavanh; Persian
#   Mohammad + Ali = Mohammadali; Ethiopic Gebre + Medhin), so a tail name has as many romanisations
#   as its parts.
# The tail is a fixed function of the lists (its own seed per list), so the simulator stays
# deterministic per seed.

_COMPOUND_SCRIPTS = frozenset({"arabic", "lao", "khmer", "thai", "burmese", "ethiopic"})
_ARTICLE = re.compile(r"^(?:al|el)[- ]?(?=\w)|^ال", re.IGNORECASE)
_REPEAT = re.compile(r"(..).*\1.*\1|(...).*\2")
_SOMALI = (
    (re.compile(r"dh"), "d"),
    (re.compile(r"x"), "h"),
    (re.compile(r"(?<=\w)c|^c"), ""),
    (re.compile(r"([aeiou])\1"), r"\1"),
)


def _markov_names(seeds: list[str], count: int, rng: np.random.Generator, order: int = 2) -> list[str]:
    """Up to `count` new names in the style of `seeds` (a character model of the given order)."""
    words = [w.lower() for w in seeds if w]
    if len(words) < 5 or count <= 0:
        return []
    nxt: dict[str, list[str]] = {}
    for w in words:
        padded = "^" * order + w + "$"
        for i in range(len(padded) - order):
            nxt.setdefault(padded[i : i + order], []).append(padded[i + order])
    lo, hi = max(3, min(len(w) for w in words)), max(len(w) for w in words)
    known = set(words)
    out: list[str] = []
    seen: set[str] = set()
    draws = rng.random(count * 20 * (hi + 1))  # drawn at once: per-character rng calls are slow
    k = 0
    for _ in range(count * 20):
        if len(out) >= count:
            break
        state, chars = "^" * order, []
        while len(chars) <= hi:
            options = nxt.get(state)
            if not options:
                break
            ch = options[int(draws[k] * len(options))]
            k += 1
            if ch == "$":
                break
            chars.append(ch)
            state = (state + ch)[-order:]
        w = "".join(chars)
        if (
            lo <= len(w) <= hi
            and w not in known
            and w not in seen
            and not w.endswith((" ", "-"))
            and not _REPEAT.search(w)  # 'Panovanovanov': a model loop, not a name
        ):
            seen.add(w)
            out.append(w)
    return [_capitalise(w) for w in out]


def _capitalise(word: str) -> str:
    return re.sub(r"(^|[ -])(\w)", lambda m: m.group(1) + m.group(2).upper(), word)


def _somali_variants(name: str) -> list[str]:
    out = name.lower()
    for pattern, repl in _SOMALI:
        out = pattern.sub(repl, out)
    out = _capitalise(out)
    return [out] if out and out.lower() != name.lower() else []


def _compound_names(
    listed: list[tuple[str, str, list[str]]], count: int, rng: np.random.Generator
) -> list[tuple[str, str, list[str]]]:
    """Compounds of two listed names, native and romanised alike (the second part loses an article)."""
    n = len(listed)
    if n < 2 or count <= 0:
        return []
    combos = [(i, j) for i in range(n) for j in range(n) if i != j]
    order = rng.permutation(len(combos))[:count]
    out = []
    for k in order:
        (na, _, va), (nb, _, vb) = listed[combos[k][0]], listed[combos[k][1]]
        va, vb = va or [na], vb or [nb]
        native = na + _ARTICLE.sub("", nb)
        variants = [
            va[i % len(va)] + _ARTICLE.sub("", vb[i % len(vb)]).lower().replace(" ", "")
            for i in range(max(len(va), len(vb)))
        ]
        out.append((native, native, list(dict.fromkeys(variants))))
    return out


def _syllable_names(
    listed: list[tuple[str, str, list[str]]], count: int, rng: np.random.Generator, chinese: bool
) -> list[tuple[str, str, list[str]]]:
    """Vietnamese and Chinese given names: a first syllable of one listed name and the last of another
    (Thị + Hoa, Văn + Minh; Xiu + Ying), spelled as the parts are, with and without diacritics."""
    first = list(dict.fromkeys(n.split(" ")[0] for n, _, _ in listed))
    last = list(dict.fromkeys(n.split(" ")[-1] for n, _, _ in listed))
    known = {n for n, _, _ in listed}
    combos = [f"{a} {b}" for a in first for b in last if a != b and f"{a} {b}" not in known]
    chosen = [combos[k] for k in rng.permutation(len(combos))[:count]]
    if chinese:  # pinyin writes a given name joined or apart (Xiu Ying, Xiuying)
        return [(c, c, [c.replace(" ", "", 1).capitalize()]) for c in chosen]
    return [(c, c, []) for c in chosen]


def tail_entries(
    listed: list[tuple[str, str, list[str]]], count: int, script: str, label: str
) -> list[tuple[str, str, list[str]]]:
    """The `count` rarer names that follow a list's head (see above); (native, alt, variants) rows."""
    if count <= 0 or not listed:
        return []
    rng = np.random.default_rng(zlib.crc32(label.encode("utf-8")))
    if script in _COMPOUND_SCRIPTS:
        return _compound_names(listed, count, rng)
    if label.startswith(("vietnamese/", "chinese/")):
        return _syllable_names(listed, count, rng, label.startswith("chinese/"))
    names = _markov_names([native for native, _, _ in listed], count, rng)
    if script == "cyrillic":
        # Ukrainian given names carry Russian forms in the list (Олександр>Александр): tail ones get the
        # same letter swaps (і -> и, є -> е); family names are derived as for the head.
        russian = label.startswith("east_slavic/given")
        return [(n, ukrainian_to_russian(n) if russian else n, []) for n in names]
    if label.startswith("somali/"):
        out = []
        for n in names:
            anglicised = _somali_variants(n)
            out.append((n, n, anglicised + _spelling_variants(anglicised[0] if anglicised else n, rng, 2)))
        return out
    return [(n, n, _spelling_variants(n, rng, 1)) for n in names]


#: Spelling alternations of Latin-script names as offices write them (doubled letters, i/y, ou/u, c/k,
#: ph/f, s/z, a final e, one vowel heard differently). Tail names get one (Somali two), as listed names carry
#: their variants after '=', so records of one person differ as often as for the head of the list.
_ALTERNATIONS = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"([bcdfgklmnprst])\1", r"\1"),
        (r"(?<=[aeiou])([lnrst])(?=[aeiou])", r"\1\1"),
        (r"y", "i"),
        (r"(?<=[a-z])i(?=[aeiou])", "y"),
        (r"ou", "u"),
        (r"(?<=[^aeiou])u", "ou"),
        (r"ee", "i"),
        (r"ph", "f"),
        (r"k", "c"),
        (r"c(?=[aou])", "k"),
        (r"(?<=[aeiou])s(?=[aeiou])", "z"),
        (r"e$", ""),
        (r"(?<=[^aeiouy])$", "e"),
        (r"(?<=.)e(?=[^aeiou])", "a"),
        (r"(?<=.)o", "u"),
        (r"(?<=.)i(?=[^aeiou])", "e"),
        (r"(?<=[bcdgkpst])h", ""),
    )
)


def _spelling_variants(name: str, rng: np.random.Generator, k: int) -> list[str]:
    low = name.lower()
    options = []
    for pattern, repl in _ALTERNATIONS:
        v = pattern.sub(repl, low, count=1)
        if v != low and len(v) >= 2 and v not in options:
            options.append(v)
    if not options:
        return []
    pick = rng.permutation(len(options))[:k]
    return [_capitalise(options[i]) for i in sorted(pick)]


def zipf_weights(n: int, exponent: float = 1.0) -> np.ndarray:
    """Weights of a list ordered most common first: common names are common."""
    w = 1.0 / np.arange(2, n + 2, dtype=float) ** exponent
    return w / w.sum()


@dataclass
class PersonNames:
    """The true name of each person as row indices of the name tables."""

    culture: np.ndarray
    given: np.ndarray
    family: np.ndarray
    family2: np.ndarray  # -1 when the person has a single family name


def sample_person_names(
    rng: np.random.Generator, book: NameBook, citizenship: np.ndarray, female: np.ndarray
) -> PersonNames:
    n = len(citizenship)
    culture = book.culture_index(citizenship)
    given = np.zeros(n, dtype=np.int64)
    family = np.zeros(n, dtype=np.int64)
    family2 = np.full(n, -1, dtype=np.int64)
    for ci, c in enumerate(book.cultures):
        idx = np.flatnonzero(culture == ci)
        if len(idx) == 0:
            continue
        fem = female[idx]
        g_f = c.given_f[rng.choice(len(c.given_f), size=len(idx), p=zipf_weights(len(c.given_f)))]
        g_m = c.given_m[rng.choice(len(c.given_m), size=len(idx), p=zipf_weights(len(c.given_m)))]
        given[idx] = np.where(fem, g_f, g_m)
        fam = _family(rng, c, fem, len(idx))
        family[idx] = fam
        second = rng.random(len(idx)) < c.double_family
        fam2 = _family(rng, c, fem, len(idx))
        family2[idx] = np.where(second & (fam2 != fam), fam2, -1)
    return PersonNames(culture, given, family, family2)


def _family(rng: np.random.Generator, c: Culture, fem: np.ndarray, n: int) -> np.ndarray:
    pat = c.patronym[rng.choice(len(c.patronym), size=n, p=zipf_weights(len(c.patronym)))]
    if len(c.family_m):
        k = rng.choice(len(c.family_m), size=n, p=zipf_weights(len(c.family_m), 0.8))
        fam = np.where(fem, c.family_f[k], c.family_m[k])
        return np.where(rng.random(n) < c.patronymic, pat, fam)
    return pat


def choose_forms(
    rng: np.random.Generator, book: NameBook, culture: np.ndarray, office: np.ndarray, citizenship: np.ndarray
) -> np.ndarray:
    """Form index per record: native script where the office writes it, else a Latin spelling."""
    n = len(culture)
    script_of_culture = np.array([SCRIPT_CODES[c.script] for c in book.cultures])[culture]
    uniq, inv = np.unique(office.astype(str), return_inverse=True)
    office_script = np.array([SCRIPT_CODES[OFFICE_SCRIPT.get(u, "latin")] for u in uniq])[inv]
    office_pref = np.array([CYRILLIC_OFFICE_FORM.get(u, -1) for u in uniq])[inv]
    russian_office = np.isin(uniq, list(RUSSIAN_SPEAKING_OFFICES))[inv]
    origin = office == citizenship
    same_script = (office_script == script_of_culture) & (script_of_culture != 0)
    p_native = np.where(same_script, np.where(origin, 0.55, 0.45), 0.0)
    native = rng.random(n) < p_native
    east_slavic = np.isin(culture, [i for i, c in enumerate(book.cultures) if c.name == "east_slavic"])
    latin = LATIN_FORMS[rng.choice(len(LATIN_FORMS), size=n, p=LATIN_FORM_WEIGHTS)]
    cyr = script_of_culture == SCRIPT_CODES["cyrillic"]
    use_pref = cyr & (office_pref >= 0) & (rng.random(n) < 0.7)
    latin = np.where(use_pref, office_pref, latin)
    native_form = np.where(east_slavic & russian_office, 1, 0)
    return np.where(native, native_form, latin)


# --- record-level errors -------------------------------------------------------------------------

_LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(rng: np.random.Generator, text: str) -> str:
    """One keying error: insert, delete, substitute or transpose a character."""
    if len(text) < 2:
        return text
    op = int(rng.integers(4))
    i = int(rng.integers(len(text)))
    alphabet = _LATIN_LETTERS if text.isascii() else "".join(sorted(set(text.replace(" ", "")))) or "a"
    ch = alphabet[int(rng.integers(len(alphabet)))]
    if op == 0:
        return text[:i] + ch + text[i:]
    if op == 1 and len(text) > 3:
        return text[:i] + text[i + 1 :]
    if op == 2:
        return text[:i] + ch + text[i + 1 :]
    j = min(i + 1, len(text) - 1)
    if i == j:
        i, j = i - 1, i
    return text[:i] + text[j] + text[i] + text[j + 1 :]


@dataclass
class RecordNames:
    given: np.ndarray
    family: np.ndarray
    form: np.ndarray
    swapped: np.ndarray
    typo: np.ndarray


def render_record_names(
    rng: np.random.Generator,
    book: NameBook,
    names: PersonNames,
    person: np.ndarray,
    office: np.ndarray,
    citizenship: np.ndarray,
    typo_rate: float = 0.04,
    swap_rate: float = 0.03,
) -> RecordNames:
    """Write each record's names as its office would: script, scheme, order, errors."""
    n = len(person)
    culture = names.culture[person]
    form = choose_forms(rng, book, culture, office, citizenship)
    given = book.given[names.given[person], form]
    family = book.family[names.family[person], form]
    fam2_id = names.family2[person]
    keep2 = (fam2_id >= 0) & (rng.random(n) < 0.6)
    if keep2.any():
        idx = np.flatnonzero(keep2)
        family[idx] = family[idx] + " " + book.family[fam2_id[idx], form[idx]]
    merge_rate = np.array([c.merge for c in book.cultures])[culture]
    merged = rng.random(n) < merge_rate
    if merged.any():
        idx = np.flatnonzero(merged)
        given[idx] = given[idx] + " " + family[idx]
        family[idx] = ""
    swap_p = swap_rate + np.array([c.swap for c in book.cultures])[culture]
    swapped = (rng.random(n) < swap_p) & ~merged
    given, family = np.where(swapped, family, given), np.where(swapped, given, family)
    upper = (rng.random(n) < 0.08) & (form >= 2)
    if upper.any():
        idx = np.flatnonzero(upper)
        family[idx] = np.array([s.upper() for s in family[idx]], dtype=object)
    typo_g = rng.random(n) < typo_rate
    typo_f = rng.random(n) < typo_rate
    for arr, mask in ((given, typo_g), (family, typo_f)):
        for i in np.flatnonzero(mask):
            arr[i] = typo(rng, arr[i])
    return RecordNames(given, family, form, swapped, typo_g | typo_f)
