"""Comparison features for linkage, computed in Python before Splink sees the data.

Why here and not in SQL: DuckDB's string distances count bytes, not characters,
and Splink's phonetic functions come from a DuckDB extension that cannot be
downloaded on our machines. So every name is normalised once (NFKC, anyascii
transliteration, casefold, punctuation stripped), phonetic keys and name-variant
keys are added as plain columns, and the SQL only compares ASCII strings.

Names repeat a lot (common names), so each function works on the unique values
of a column and maps back, which keeps a million records to seconds.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from anyascii import anyascii

from ctdata.errors import ValidationError
from ctdata.standard.countries import UnknownCountry, to_alpha2

#: Columns of the restricted features table that the engine understands.
INPUT_COLUMNS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "place_of_birth",  # town or village as written, any script: identifying, compared transliterated
    "sex",
    "citizenship",
    "office_country",
    "agency",
    "registration_date",
    "referral_from_office",
    "age_at_registration",  # optional, not identifying: approximate birth year where no date of birth
    "age_band",
    "id_document_key",  # keyed hash of the normalised identity document number: exact match only
    "country_of_exploitation",  # case fields, not identifying: one journey, so one person's records agree
    "exploitation_start",
)

_PUNCT = re.compile(r"[^0-9a-z ]+")
_SPACES = re.compile(r"\s+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SYLLABIC = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_VOWELS = re.compile(r"[aeiouywv]")  # w and v: the letter waw is written w, v, o or u
_DOUBLE = re.compile(r"(.)\1+")


@dataclass(frozen=True)
class RomanisationRules:
    """Rules for scripts and romanisations, as data (data/romanisation.csv): one row a rule, in order.

    Stages: `script` rewrites text in its own script before transliteration (Thai and Lao
    preposed vowels, the joined Arabic article); `romanisation` folds the usual spellings of one
    sound to one form (Lao and Khmer ph/p, kh/k, ou/u, v/w; Cyrillic as German, Polish and French
    offices write it; Arabic romanisations); `loose` folds further for the loose name key; `article`
    lists tokens dropped from a name (Arabic al-, el-); `compound` lists tokens joined to the next
    ('Abd al-Rahman'). A new script or romanisation is a row in the table, not a code path; rows
    are applied in the table's order, each a regular expression and its replacement.
    """

    script: tuple[tuple[re.Pattern[str], str], ...]
    romanisation: tuple[tuple[re.Pattern[str], str], ...]
    loose: tuple[tuple[re.Pattern[str], str], ...]
    articles: frozenset[str]
    compounds: frozenset[str]

    STAGES = ("script", "romanisation", "loose", "article", "compound")

    @classmethod
    def from_rows(cls, rows: list[dict[str, str]]) -> RomanisationRules:
        """Rules from rows with stage, pattern and replacement; a bad row is a ValidationError naming it."""
        by: dict[str, list[tuple[str, str]]] = {s: [] for s in cls.STAGES}
        for i, r in enumerate(rows, start=2):  # line 1 is the header
            stage, pattern, repl = (r.get("stage") or "").strip(), r.get("pattern") or "", r.get("replacement") or ""
            if stage not in by:
                raise ValidationError(f"romanisation rules line {i}: unknown stage {stage!r}")
            if not pattern:
                raise ValidationError(f"romanisation rules line {i}: empty pattern")
            by[stage].append((pattern, repl))

        def compiled(stage: str) -> tuple[tuple[re.Pattern[str], str], ...]:
            out = []
            for pattern, repl in by[stage]:
                try:
                    rx = re.compile(pattern)
                    rx.sub(repl, "")  # a replacement naming a group the pattern lacks fails here, not later
                except re.error as exc:
                    raise ValidationError(f"romanisation rule {pattern!r} -> {repl!r}: {exc}") from None
                out.append((rx, repl))
            return tuple(out)

        return cls(
            compiled("script"),
            compiled("romanisation"),
            compiled("loose"),
            frozenset(p for p, _ in by["article"]),
            frozenset(p for p, _ in by["compound"]),
        )


def _apply(rules: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str:
    for pattern, repl in rules:
        text = pattern.sub(repl, text)
    return text


@lru_cache(maxsize=1)
def romanisation_rules() -> RomanisationRules:
    """The package's rules for scripts and romanisations (data/romanisation.csv)."""
    text = resources.files("ctdata.linkage").joinpath("data/romanisation.csv").read_text(encoding="utf-8")
    return RomanisationRules.from_rows(list(csv.DictReader(text.splitlines())))


def normalise(value: object) -> str | None:
    """NFKC, transliterate to ASCII, casefold, keep letters, digits and single spaces.

    Returns None for empty values so that 'no name' never matches 'no name'.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFKC", str(value))
    if not text.isascii():
        # anyascii writes Hangul or Han syllables as 'GimMinJun': split those before casefolding
        syllabic = bool(_SYLLABIC.search(text))
        text = _apply(romanisation_rules().script, text)
        text = anyascii(text)
        if syllabic:
            text = _CAMEL.sub(" ", text)
    text = text.casefold().replace("-", " ").replace("_", " ")
    text = _SPACES.sub(" ", _PUNCT.sub("", text)).strip()
    return text or None


def tokens(normalised: str | None) -> list[str]:
    """Name tokens, with Arabic articles dropped and 'Abd al-' compounds joined.

    'Abdel Rahman', 'Abd al-Rahman' and 'Abdelrahman' give one token, and
    'al-Hassan' compares as 'Hassan', whichever way an office wrote it.
    """
    if not normalised or not isinstance(normalised, str):
        return []
    rules = romanisation_rules()
    raw = [t for t in normalised.split(" ") if t not in rules.articles] or normalised.split(" ")
    out: list[str] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if t in rules.compounds and i + 1 < len(raw):
            out.append(t + raw[i + 1])
            i += 2
            continue
        out.append(t)
        i += 1
    return out


@lru_cache(maxsize=1 << 20)
def romanisation_key(token: str) -> str:
    """Fold romanisation variants of one token (the `romanisation` rows of data/romanisation.csv; doubled letters).

    Cached: some thirty substitutions per token, and a register repeats its tokens endlessly.
    """
    out = _DOUBLE.sub(r"\1", _apply(romanisation_rules().romanisation, token))
    return out or token


_LOOSE_DROP = re.compile(r"[aeiouywvh]")


def loose_key(tokens_: list[str]) -> str | None:
    """The letters that survive every romanisation of a name, sorted: one key however it is split or ordered.

    Somali x and Arabic h, Ukrainian h and Russian g, kh and German ch, Lao gn and ny all fold
    together, vowels, h and doubled letters drop out, and the letters of all tokens are sorted, so
    'Gulnara Kholmatova' and 'Hulnara Cholmatova', or 'Keo Sreymomvanna' and 'Srey Momvana Keu',
    share a key. Too loose to block on alone; as a comparison level it is evidence where every
    token-wise key differs.
    """
    letters = "".join(sorted("".join(_loose_token(t) for t in tokens_)))
    return letters if len(letters) >= 4 else None  # 'ls' is shared by too many names to mean anything


@lru_cache(maxsize=1 << 20)
def _loose_token(token: str) -> str:
    t = _apply(romanisation_rules().loose, romanisation_key(token))
    return _DOUBLE.sub(r"\1", _LOOSE_DROP.sub("", t))


@lru_cache(maxsize=1 << 20)
def skeleton(token: str) -> str:
    """Consonant skeleton: what Arabic script romanises to (mhmd for Mohamed, ftm for Fatima)."""
    skel = _DOUBLE.sub(r"\1", _VOWELS.sub("", token))
    if len(skel) > 2 and skel.endswith("h"):
        skel = skel[:-1]
    return skel or token


@dataclass(frozen=True)
class VariantDictionary:
    """Name variants that map to one canonical key (Mohammed, Muhammad, mhmd -> muhammad).

    Lookups try the token as written, then its romanisation key, then its
    consonant skeleton, so that a spelling not listed but folding to a listed
    one still lands on the canonical key.
    """

    exact: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)
    skeletons: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[tuple[str, list[str], bool]]) -> VariantDictionary:
        """Rows of (canonical, variants, skeleton_ok); skeleton_ok for names from abjad scripts."""
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        skel: dict[str, set[str]] = {}
        for canonical, variants, skeleton_ok in rows:
            canonical = normalise(canonical) or ""
            if not canonical:
                continue
            for v in [canonical, *variants]:
                vn = "".join(tokens(normalise(v)))
                if not vn:
                    continue
                exact.setdefault(vn, canonical)
                folded.setdefault(romanisation_key(vn), canonical)
                if skeleton_ok:  # only abjad-script names are written as bare consonants
                    skel.setdefault(skeleton(vn), set()).add(canonical)
        skeletons = {k: next(iter(v)) for k, v in skel.items() if len(v) == 1 and len(k) >= 2}
        return cls(exact, folded, skeletons)

    def key(self, token: str) -> str:
        hit = self.exact.get(token)
        if hit:
            return hit
        folded = romanisation_key(token)
        hit = self.folded.get(folded)
        if hit:
            return hit
        if not _VOWELS.search(token):  # written as a consonant skeleton, e.g. from Arabic script
            hit = self.skeletons.get(skeleton(token))
            if hit:
                return hit
        return folded


@lru_cache(maxsize=1)
def default_dictionary() -> VariantDictionary:
    """The package's name-variant list (data/name_variants.csv)."""
    text = resources.files("ctdata.linkage").joinpath("data/name_variants.csv").read_text(encoding="utf-8")
    rows = [
        (r["canonical"], [v for v in (r["variants"] or "").split("|") if v], r["note"].startswith("Arabic"))
        for r in csv.DictReader(text.splitlines())
    ]
    return VariantDictionary.from_rows(rows)


def double_metaphone(token: str) -> str:
    """Primary double-metaphone code; falls back to jellyfish's metaphone if the package is absent."""
    return _dm(token)


@lru_cache(maxsize=200_000)
def _dm(token: str) -> str:
    try:
        from metaphone import doublemetaphone
    except ImportError:  # pragma: no cover - depends on the environment
        import jellyfish

        return jellyfish.metaphone(token) or token
    code = doublemetaphone(token)[0]
    return code or token


# -- dates -----------------------------------------------------------------

_DATE = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


def parse_partial_date(value: object) -> tuple[int | None, int | None, int | None]:
    """'1990' -> (1990, None, None); '1990-05' -> (1990, 5, None); junk -> (None, None, None)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return (None, None, None)
    m = _DATE.match(str(value))
    if not m:
        return (None, None, None)
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else None
    d = int(m.group(3)) if m.group(3) else None
    if not 1850 <= y <= 2100:
        return (None, None, None)
    if mo is not None and not 1 <= mo <= 12:
        mo, d = None, None
    if d is not None and not 1 <= d <= 31:
        d = None
    if mo is None:
        d = None
    return (y, mo, d)


def partial_date_days(value: object) -> int | None:
    """Days since 1970-01-01, taking the middle of the period for a partial date."""
    y, m, d = parse_partial_date(value)
    if y is None:
        return None
    try:
        return (date(y, m or 7, d or (15 if m else 1)) - date(1970, 1, 1)).days
    except ValueError:
        return (date(y, m or 7, 15) - date(1970, 1, 1)).days


def dob_compatible(a: tuple, b: tuple) -> bool:
    """Could two (year, month, day) birth dates belong to one person, allowing one typo?

    True when either is unknown, when one is a partial form of the other, for a
    one-character slip in a full date, a day/month swap, or a year off by one
    with the same month and day. Anything else is a conflict that clustering
    refuses to merge across.
    """
    ya, ma, da = a
    yb, mb, db = b
    if ya is None or yb is None:
        return True
    if ya == yb:
        if ma is None or mb is None or ma == mb:
            return da is None or db is None or da == db or _one_char(da, db)
        if da is not None and db is not None and (ma == db and da == mb):
            return True
        if da is not None and db is not None and da == db and _one_char(ma, mb):
            return True
        return False
    if ma is None or mb is None:  # a year alone is often an estimate from a stated age
        return abs(ya - yb) == 1
    if ma == mb and (da is None or db is None or da == db):
        return abs(ya - yb) == 1 or _one_char(ya, yb)
    return False


def _one_char(x: int, y: int) -> bool:
    sx, sy = f"{x:02d}", f"{y:02d}"
    return len(sx) == len(sy) and sum(c1 != c2 for c1, c2 in zip(sx, sy, strict=True)) == 1


# -- the features table ------------------------------------------------------


def _present(df: pd.DataFrame, col: str) -> bool:
    if col not in df.columns:
        return False
    s = df[col]
    if s.dtype == object:
        return any(str(v).strip() != "" for v in pd.unique(s.dropna()))
    return bool(s.notna().any())


def _map_unique(s: pd.Series, fn) -> pd.Series:
    """``fn`` of each value, computed once per distinct value; a missing value (None or NaN) gives
    ``fn(None)``. NaN never equals itself, so a dict look-up would leave it NaN, and a float where
    text is expected breaks the name code downstream."""
    codes, uniq = pd.factorize(s.astype(object), use_na_sentinel=True)
    # missing values get code -1, which indexes the last entry: fn(None). (A dict passed to
    # Series.map becomes an index, which refuses keys that pandas holds equal, such as None and NaN.)
    values = np.empty(len(uniq) + 1, dtype=object)
    values[:-1] = [fn(u) for u in uniq]
    values[-1] = fn(None) if (codes < 0).any() else None
    return pd.Series(values[codes], index=s.index, dtype=object)


def _name_parts(given: str | None, family: str | None, key: Callable[[str], str]) -> tuple:
    """All name features of one (given, family) pair; `key` is the variant dictionary's look-up."""
    gt, ft = tokens(given), tokens(family)
    alltok = gt + ft
    if not alltok:
        return (None,) * len(NAME_FEATURES)
    var = [key(t) for t in alltok]
    full = " ".join(alltok)
    name_sorted = " ".join(sorted(alltok))
    name_var = " ".join(sorted(var))
    name_skel = " ".join(sorted({skeleton(v) for v in var}))
    dms = sorted({double_metaphone(t) for t in alltok})
    name_dm = " ".join(dms)
    svar = sorted(var)
    g1 = key(gt[0]) if gt else None
    f1 = key(ft[-1]) if ft else None
    gdm = double_metaphone(gt[0]) if gt else None
    fdm = double_metaphone(ft[-1]) if ft else None
    return (
        full,
        name_sorted,
        name_var,
        name_skel,
        name_dm,
        g1,
        f1,
        gdm,
        fdm,
        svar[0],
        svar[-1],
        dms[0],
        dms[-1],
        " ".join(var),
        svar[0][:3],
        svar[-1][:3],
        loose_key(alltok),
        name_skel.split(" ")[0],
    )


NAME_FEATURES = (
    "name_full",
    "name_sorted",
    "name_var",
    "name_skel",
    "name_dm",
    "given_var1",
    "family_var1",
    "given_dm1",
    "family_dm1",
    "tok_a",  # first and last of the sorted variant keys: blocking keys that ignore name order
    "tok_b",
    "dm_a",
    "dm_b",
    "name_var_ord",  # variant keys in written order: string distance where sorting would misalign a typo
    "tok_a3",  # the first three letters of tok_a and tok_b: blocking keys that survive a typo later on
    "tok_b3",
    "name_loose",  # see loose_key
    "skel_1",  # the first of the sorted consonant skeletons: a blocking key (blocking._SKEL1)
)


def build_features(df: pd.DataFrame, dictionary: VariantDictionary | None = None) -> pd.DataFrame:
    """Turn the restricted features table into the columns the model compares.

    Only columns that are present and not entirely empty produce features, so a
    file with names and dates of birth only links on exactly those.
    """
    if "record_key" not in df.columns:
        raise ValidationError("linkage input needs a record_key column")
    keys = df["record_key"].astype(str)
    if keys.duplicated().any():
        dup = keys[keys.duplicated()].iloc[0]
        raise ValidationError(f"record_key is not unique (e.g. {dup!r})")
    vd = dictionary or default_dictionary()
    out = pd.DataFrame({"record_key": keys.to_numpy()})

    has_given, has_family = _present(df, "given_name"), _present(df, "family_name")
    if has_given or has_family:
        g = _map_unique(df["given_name"], normalise) if has_given else pd.Series([None] * len(df))
        f = _map_unique(df["family_name"], normalise) if has_family else pd.Series([None] * len(df))
        out["given_norm"] = g.to_numpy()
        out["family_norm"] = f.to_numpy()
        pairs = pd.Series(list(zip(g.to_numpy(), f.to_numpy(), strict=True)))
        key = lru_cache(maxsize=None)(vd.key)  # one look-up per distinct token, not per record
        parts = _map_unique(pairs, lambda p: _name_parts(p[0], p[1], key))
        arr = pd.DataFrame(parts.tolist(), columns=list(NAME_FEATURES))
        for c in NAME_FEATURES:
            out[c] = arr[c].to_numpy()
        if not has_given:
            out = out.drop(columns=["given_norm", "given_var1", "given_dm1"])
        if not has_family:
            out = out.drop(columns=["family_norm", "family_var1", "family_dm1"])

    if _present(df, "date_of_birth"):
        parts = _map_unique(df["date_of_birth"], parse_partial_date)
        ymd = pd.DataFrame(parts.tolist(), columns=["dob_y", "dob_m", "dob_d"]).astype("Int64")
        for c in ("dob_y", "dob_m", "dob_d"):
            out[c] = ymd[c].array
        out["dob"] = [
            None
            if pd.isna(y)
            else f"{y:04d}" + ("" if pd.isna(m) else f"-{m:02d}") + ("" if pd.isna(d) else f"-{d:02d}")
            for y, m, d in zip(ymd["dob_y"], ymd["dob_m"], ymd["dob_d"], strict=True)
        ]
        out["dob_full"] = [s if s is not None and len(s) == 10 else None for s in out["dob"]]

    if _present(df, "place_of_birth"):
        out["birth_place"] = _map_unique(df["place_of_birth"], normalise).to_numpy()
    if _present(df, "sex"):
        out["sex"] = _map_unique(df["sex"], _sex).to_numpy()
    if _present(df, "citizenship"):
        out["citizenship"] = _map_unique(df["citizenship"], _countries).to_numpy()
    for col in ("office_country", "referral_from_office"):
        if _present(df, col):
            out[col] = _map_unique(df[col], _country).to_numpy()
    if _present(df, "agency"):
        out["agency"] = _map_unique(df["agency"], _text).to_numpy()
    if _present(df, "id_document_key"):
        out["doc_key"] = _map_unique(df["id_document_key"], _key).to_numpy()
    if _present(df, "registration_date"):
        out["reg_days"] = pd.array(_map_unique(df["registration_date"], partial_date_days).tolist(), dtype="Int64")
    # Where and when the person was exploited: one journey, so one person's records mostly agree.
    if _present(df, "country_of_exploitation"):
        out["exp_country"] = _map_unique(df["country_of_exploitation"], _country).to_numpy()
    if _present(df, "exploitation_start"):
        out["exp_start"] = _map_unique(df["exploitation_start"], _partial_date_text).to_numpy()
        out["exp_y"] = pd.array([None if v is None else int(v[:4]) for v in out["exp_start"]], dtype="Int64")
        out["exp_m"] = [None if v is None or len(v) < 7 else v[:7] for v in out["exp_start"]]
    for key, parts in CAPPED_BLOCKS.items():
        if set(parts) <= set(out.columns):
            out[key] = capped_blocks([out[c] for c in parts])
    lo_hi = _birth_year_range(df)
    if lo_hi is not None:
        out["by_lo"], out["by_hi"] = lo_hi
    # Drop feature columns that came out entirely empty (e.g. unparseable dates), except the parts
    # the date of birth comparison reads when a year is known (only years given: no full dates).
    keep = set(DOB_PARTS) if "dob_y" in out.columns and out["dob_y"].notna().any() else set()
    for c in keep:
        if out[c].isna().all():
            out[c] = pd.array([None] * len(out), dtype="string" if c == "dob_full" else "Int64")
    empty = [c for c in out.columns if c != "record_key" and c not in keep and out[c].isna().all()]
    return out.drop(columns=empty)


#: the columns `comparisons.dob_comparison` reads
DOB_PARTS = ("dob_full", "dob_y", "dob_m", "dob_d")


#: Largest block a capped blocking key may form (at most MAX * (MAX - 1) / 2 pairs per block).
BLOCK_MAX = 40

#: Capped blocking keys and the features they join: the same month of exploitation within one
#: citizenship with a name token's first letters (jm_a, jm_b) or with the sex and country of
#: exploitation (jm_c); both name tokens' first letters within one citizenship and year of
#: exploitation (jt); the loose name key within one citizenship and year of exploitation (jl).
CAPPED_BLOCKS: dict[str, tuple[str, ...]] = {
    "jm_a": ("exp_m", "tok_a3", "citizenship"),
    "jm_b": ("exp_m", "tok_b3", "citizenship"),
    "jm_c": ("exp_m", "citizenship", "sex", "exp_country"),
    "jt": ("tok_a3", "tok_b3", "citizenship", "exp_y"),
    "jl": ("name_loose", "citizenship", "exp_y"),
}


def capped_blocks(parts: list[pd.Series], limit: int | None = None) -> np.ndarray:
    """Blocking key joining `parts` with '|', or None where a part is missing or the block is too big.

    Block purging: a block of records that share only a month, a citizenship and three letters of
    a name holds more namesakes than matches once it is large, and its pairs grow with the square
    of its size; purging the blocks larger than BLOCK_MAX keeps a rule's pairs linear in the number
    of records. At 100,000 simulated records almost no block is that large; at 1,000,000 the month
    blocks covering about a quarter of the records are.
    """
    limit = BLOCK_MAX if limit is None else limit
    n = len(parts[0])
    ok = np.ones(n, dtype=bool)
    texts = []
    for p in parts:
        t = _map_unique(pd.Series(p.to_numpy(dtype=object)), _block_text)
        ok &= t.notna().to_numpy()
        texts.append(t.where(ok, ""))
    key = texts[0].astype(str)
    for t in texts[1:]:
        key = key + "|" + t.astype(str)
    key = key.where(ok, None)
    sizes = key.map(key.value_counts())
    return key.where(sizes <= limit, None).to_numpy(dtype=object)


def _block_text(v: object) -> str | None:
    if v is None:  # _map_unique hands every missing value over as None
        return None
    return ";".join(v) if isinstance(v, tuple) else str(v)


def _year(v: object) -> float:
    y = parse_partial_date(v)[0]
    return np.nan if y is None else float(y)


def _birth_year_range(df: pd.DataFrame) -> tuple[pd.array, pd.array] | None:
    """Birth year as a range [lo, hi]: exact from a date of birth, else from age (or band) at registration.

    Records without a date of birth are the main source of false links between
    namesakes; an age at registration still tells a 19-year-old from a 45-year-old.
    """
    has_age = _present(df, "age_at_registration") or _present(df, "age_band")
    if not has_age or not _present(df, "registration_date"):
        return None
    n = len(df)
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    reg_y = _map_unique(df["registration_date"], _year).to_numpy(dtype=float)
    if _present(df, "age_band"):
        bands = df["age_band"].astype(str).str.strip()
        b_lo = pd.to_numeric(bands.str.extract(r"^(\d+)")[0], errors="coerce").to_numpy(dtype=float)
        b_hi = pd.to_numeric(bands.str.extract(r"-(\d+)$")[0], errors="coerce").to_numpy(dtype=float)
        b_hi = np.where(np.isnan(b_hi) & ~np.isnan(b_lo), b_lo + 40, b_hi)  # '48+'
        lo, hi = reg_y - b_hi - 1, reg_y - b_lo
    if _present(df, "age_at_registration"):
        age = pd.to_numeric(df["age_at_registration"], errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(age)
        lo = np.where(ok, reg_y - age - 1, lo)
        hi = np.where(ok, reg_y - age, hi)
    if _present(df, "date_of_birth"):
        y = _map_unique(df["date_of_birth"], _year).to_numpy(dtype=float)
        ok = ~np.isnan(y)
        lo = np.where(ok, y, lo)
        hi = np.where(ok, y, hi)
    if np.isnan(lo).all():
        return None
    return pd.array(np.where(np.isnan(lo), None, lo), dtype="Int64"), pd.array(
        np.where(np.isnan(hi), None, hi), dtype="Int64"
    )


def _partial_date_text(v: object) -> str | None:
    """'2008', '2008-03' or '2008-03-16' (zero-padded), or None."""
    y, m, d = parse_partial_date(v)
    if y is None:
        return None
    return f"{y:04d}" + ("" if m is None else f"-{m:02d}") + ("" if m is None or d is None else f"-{d:02d}")


def _text(v: object) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    s = str(v).strip()
    return s.upper() or None


def _key(v: object) -> str | None:
    """An opaque key compared for equality only (already hashed upstream; never normalised here)."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return str(v).strip() or None


def _sex(v: object) -> str | None:
    s = (_text(v) or "").lower()
    return None if s in ("", "unknown", "u", "nan") else {"f": "female", "m": "male"}.get(s, s)


def _country(v: object) -> str | None:
    """Alpha-2 for codes, alpha-3 and names (partner files write all three); unknown markers are None."""
    s = _text(v)
    if s is None:
        return None
    try:
        return to_alpha2(s)
    except UnknownCountry:
        return s


def _countries(v: object) -> tuple[str, ...] | None:
    s = _text(v)
    if not s:
        return None
    # each code through _country, so 'UKR', 'Ukraine' and 'UA' compare and block as one citizenship
    codes = sorted({k for k in (_country(c.strip()) for c in s.split(";") if c.strip()) if k})
    return tuple(codes) or None
