"""Public record-linkage benchmarks mapped onto ctdata's import template, with each one's plain Splink set-up.

The data sets live outside the project (`../shared/data/linkage-benchmarks/`, or the directory in
`CTDATA_LINKAGE_BENCHMARKS`); see its README for where they come from. For each one:

- `records`: rows of the template's `records` table (every row passes the template's validation):
  the person fields the set has (names, date of birth, sex, an identity document number), and the
  template's required `agency`, `office_country` and `registration_date`, which these sets do not
  have: one agency registered every record (a file from one source), in one year.
- `truth`: record_key, person_id, the same for every method scored.
- `raw`: the set as Splink's own example reads it (its columns, its `unique_id`).
- `splink`: that example's settings (comparisons, blocking rules, the deterministic rules and recall
  for the prior, the EM blocking rules, the clustering threshold), each rule or comparison tagged
  with the raw fields it reads, so that `restricted(fields)` keeps only those reading fields that
  ctdata also gets. A rule that reads a field ctdata does not get is dropped, not loosened.

Nothing here is tuned on these sets: they are for evaluation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _default_data() -> Path:
    """`shared/data/linkage-benchmarks` beside the checkout (or beside a folder above it)."""
    for up in HERE.parents[1:]:
        p = up / "shared" / "data" / "linkage-benchmarks"
        if p.is_dir():
            return p
    return HERE.parents[1] / "shared" / "data" / "linkage-benchmarks"


DATA = Path(os.environ.get("CTDATA_LINKAGE_BENCHMARKS") or _default_data())


@dataclass(frozen=True)
class SplinkSetup:
    """Splink's example settings for one data set; every entry is (raw fields it reads, value)."""

    source: str  # where in Splink's documentation the settings come from
    comparisons: tuple[tuple[frozenset[str], Callable[[], object]], ...]
    blocking: tuple[tuple[frozenset[str], object], ...]
    deterministic: tuple[tuple[frozenset[str], object], ...]
    recall: float
    em: tuple[tuple[frozenset[str], object, dict], ...]
    threshold: float  # match probability at which the example clusters (or, lacking a clustering step, predicts)
    u_max_pairs: float
    unique_id: str = "unique_id"
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # the example's own preprocessing

    def restricted(self, fields: set[str]) -> SplinkSetup:
        """The same set-up reading only `fields`: comparisons and rules that read any other field are dropped."""

        def keep(rows: tuple) -> tuple:
            return tuple(r for r in rows if r[0] <= fields)

        return SplinkSetup(
            source=self.source,
            comparisons=keep(self.comparisons),
            blocking=keep(self.blocking),
            deterministic=keep(self.deterministic),
            recall=self.recall,
            em=keep(self.em),
            threshold=self.threshold,
            u_max_pairs=self.u_max_pairs,
            unique_id=self.unique_id,
            prepare=self.prepare,
        )


@dataclass(frozen=True)
class PublicDataset:
    name: str
    records: pd.DataFrame  # template rows
    truth: pd.DataFrame  # record_key, person_id
    raw: pd.DataFrame  # as Splink's example reads it
    splink: SplinkSetup
    fields: frozenset[str]  # raw fields that reach the template (what ctdata gets)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def persons(self) -> int:
        return int(self.truth["person_id"].nunique())


# -- shared mapping helpers ------------------------------------------------------------------------

_ISO = re.compile(r"^(-?\d{1,4})-(\d{1,2})-(\d{1,2})")


def partial_date(y: int | None, m: int | None, d: int | None) -> str | None:
    """The most the template's partial date can hold of (year, month, day): full, year-month or year."""
    if y is None or not 1900 <= y <= 2100:
        return None
    if m is None or not 1 <= m <= 12:
        return f"{y:04d}"
    try:
        return date(y, m, d).isoformat() if d is not None else f"{y:04d}-{m:02d}"
    except ValueError:
        return f"{y:04d}-{m:02d}"


def _ymd(text: object, shift: int = 0) -> str | None:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    m = _ISO.match(str(text).strip())
    if not m:
        return None
    return partial_date(int(m.group(1)) + shift, int(m.group(2)), int(m.group(3)))


def template_records(
    ids: pd.Series, persons: dict[str, pd.Series], *, agency: str, office_country: str, registration_date: str
) -> pd.DataFrame:
    out = pd.DataFrame({"record_id": ids.astype(str)})
    out["agency"] = agency
    out["office_country"] = office_country
    out["registration_date"] = registration_date
    for k, v in persons.items():
        out[k] = v.to_numpy()
    return out


def validate(records: pd.DataFrame) -> None:
    """Every row must pass the template's own validation (the importer's parsers)."""
    from ctdata.ingest.validate import TableValidator

    v = TableValidator("records")
    for row in records.to_dict("records"):
        v.row({k: (None if pd.isna(x) else x) for k, x in row.items()})


def _text(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s == "")


# -- FEBRL 3 ---------------------------------------------------------------------------------------


def _febrl_dob(v: object) -> str | None:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    s = str(v).strip()
    if not re.fullmatch(r"\d{8}", s):
        return None
    return partial_date(int(s[:4]), int(s[4:6]), int(s[6:]))


def febrl3(data: Path = DATA) -> PublicDataset:
    import splink.comparison_library as cl
    from splink import block_on

    raw = pd.read_csv(data / "febrl3.csv", dtype=str, skipinitialspace=True, keep_default_na=False, na_values=[""])
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.apply(lambda s: s.str.strip())
    truth = pd.DataFrame({"record_key": raw["rec_id"], "person_id": raw["rec_id"].str.extract(r"^rec-(\d+)-")[0]})
    records = template_records(
        raw["rec_id"],
        {
            "given_name": _text(raw["given_name"]),
            "family_name": _text(raw["surname"]),
            "date_of_birth": raw["date_of_birth"].map(_febrl_dob),
            "id_document_number": _text(raw["soc_sec_id"]),
        },
        agency="FEBRL",
        office_country="AU",
        registration_date="2008",
    )
    f = frozenset
    setup = SplinkSetup(
        source="Splink docs, examples/duckdb/febrl3",
        unique_id="rec_id",
        comparisons=(
            (f({"given_name"}), lambda: cl.NameComparison("given_name")),
            (f({"surname"}), lambda: cl.NameComparison("surname")),
            (
                f({"date_of_birth"}),
                lambda: cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            ),
            (f({"soc_sec_id"}), lambda: cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2])),
            (
                f({"street_number"}),
                lambda: cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            ),
            (f({"postcode"}), lambda: cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)),
        ),
        blocking=(
            (f({"soc_sec_id"}), block_on("soc_sec_id")),
            (f({"given_name"}), block_on("given_name")),
            (f({"surname"}), block_on("surname")),
            (f({"date_of_birth"}), block_on("date_of_birth")),
            (f({"postcode"}), block_on("postcode")),
        ),
        deterministic=(
            (f({"soc_sec_id"}), block_on("soc_sec_id")),
            (f({"given_name", "surname", "date_of_birth"}), block_on("given_name", "surname", "date_of_birth")),
            (
                f({"given_name", "surname", "date_of_birth"}),
                "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
            ),
        ),
        recall=0.9,
        em=(
            (f({"date_of_birth"}), block_on("date_of_birth"), {}),
            (f({"postcode"}), block_on("postcode"), {}),
        ),
        threshold=0.2,  # the example predicts at 0.2 and scores those pairs; it has no clustering step
        u_max_pairs=1e6,
    )
    return PublicDataset(
        "febrl3",
        records,
        truth,
        raw,
        setup,
        fields=f({"rec_id", "given_name", "surname", "date_of_birth", "soc_sec_id"}),
        notes=("dates of birth that are not calendar dates keep their year (and month when valid)",),
    )


# -- Splink's fake_1000 ----------------------------------------------------------------------------


def fake_1000(data: Path = DATA) -> PublicDataset:
    import splink.comparison_library as cl
    from splink import ColumnExpression, block_on

    raw = pd.read_csv(data / "fake_1000.csv", dtype=str, keep_default_na=False, na_values=[""])
    truth = pd.DataFrame({"record_key": raw["unique_id"], "person_id": raw["cluster"]})
    records = template_records(
        raw["unique_id"],
        {
            "given_name": _text(raw["first_name"]),
            "family_name": _text(raw["surname"]),
            "date_of_birth": raw["dob"].map(_ymd),
        },
        agency="SPLINK",
        office_country="GB",
        registration_date="2024",
    )
    f = frozenset
    setup = SplinkSetup(
        source="Splink docs, tutorials 04 (model) and 05 (predict at 0.1, cluster at 0.2)",
        comparisons=(
            (f({"first_name"}), lambda: cl.NameComparison("first_name")),
            (f({"surname"}), lambda: cl.NameComparison("surname")),
            (f({"dob"}), lambda: cl.LevenshteinAtThresholds(ColumnExpression("dob").cast_to_string(), 1)),
            (f({"city"}), lambda: cl.ExactMatch("city").configure(term_frequency_adjustments=True)),
            (f({"email"}), lambda: cl.EmailComparison("email")),
        ),
        blocking=(
            (f({"first_name", "city"}), block_on("first_name", "city")),
            (f({"surname"}), block_on("surname")),
        ),
        deterministic=(
            (f({"first_name", "dob"}), block_on("first_name", "dob")),
            (f({"first_name", "surname"}), "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2"),
            (f({"email"}), block_on("email")),
        ),
        recall=0.7,
        em=(
            (f({"first_name", "surname"}), block_on("first_name", "surname"), {}),
            (f({"dob"}), block_on("dob"), {}),
        ),
        threshold=0.2,
        u_max_pairs=2e6,
    )
    return PublicDataset(
        "fake_1000", records, truth, raw, setup, fields=f({"unique_id", "first_name", "surname", "dob"})
    )


# -- Splink's historical figures -------------------------------------------------------------------

#: The template holds birth years 1900-2100; these people were born from antiquity to the 1890s. Every
#: date of birth is moved by 200 years (equal dates stay equal, year differences and digit slips stay the
#: same); the 8% born before 1700 fall outside and are left empty, for ctdata only.
HISTORICAL_YEAR_SHIFT = 200

_SEX = {"male": "male", "female": "female"}


def _concat_names(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(first_name_surname_concat=df["first_name"] + " " + df["surname"])


def historical_50k(data: Path = DATA) -> PublicDataset:
    import splink.comparison_library as cl
    from splink import block_on

    raw = pd.read_parquet(data / "historical_figures_with_errors_50k.parquet")
    truth = pd.DataFrame({"record_key": raw["unique_id"].astype(str), "person_id": raw["cluster"].astype(str)})
    records = template_records(
        raw["unique_id"],
        {
            "given_name": _text(raw["first_name"]),
            "family_name": _text(raw["surname"]),
            "date_of_birth": raw["dob"].map(lambda v: _ymd(v, HISTORICAL_YEAR_SHIFT)),
            "place_of_birth": _text(raw["birth_place"]),
            "sex": raw["gender"].map(_SEX),
        },
        agency="SPLINK",
        office_country="GB",
        registration_date="2100",
    )
    f = frozenset
    names = f({"first_name", "surname"})
    setup = SplinkSetup(
        source="Splink docs, examples/duckdb/deduplicate_50k_synthetic (clusters at 0.95)",
        prepare=_concat_names,
        comparisons=(
            (
                names,
                lambda: cl.ForenameSurnameComparison(
                    "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
                ),
            ),
            (f({"dob"}), lambda: cl.DateOfBirthComparison("dob", input_is_string=True)),
            (f({"postcode_fake"}), lambda: cl.PostcodeComparison("postcode_fake")),
            (f({"birth_place"}), lambda: cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True)),
            (f({"occupation"}), lambda: cl.ExactMatch("occupation").configure(term_frequency_adjustments=True)),
        ),
        blocking=(
            (names, block_on("substr(first_name,1,3)", "substr(surname,1,4)")),
            (f({"surname", "dob"}), block_on("surname", "dob")),
            (f({"first_name", "dob"}), block_on("first_name", "dob")),
            (f({"postcode_fake", "first_name"}), block_on("postcode_fake", "first_name")),
            (f({"postcode_fake", "surname"}), block_on("postcode_fake", "surname")),
            (f({"dob", "birth_place"}), block_on("dob", "birth_place")),
            (f({"postcode_fake", "dob"}), block_on("substr(postcode_fake,1,3)", "dob")),
            (f({"postcode_fake", "first_name"}), block_on("substr(postcode_fake,1,3)", "first_name")),
            (f({"postcode_fake", "surname"}), block_on("substr(postcode_fake,1,3)", "surname")),
            (names | {"dob"}, block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)")),
        ),
        deterministic=(
            (names | {"dob"}, block_on("first_name", "surname", "dob")),
            (names | {"postcode_fake"}, block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)")),
            (f({"dob", "postcode_fake"}), block_on("dob", "postcode_fake")),
        ),
        recall=0.6,
        em=(
            (names, block_on("first_name", "surname"), {"estimate_without_term_frequencies": True}),
            (f({"dob"}), block_on("dob"), {"estimate_without_term_frequencies": True}),
        ),
        threshold=0.95,
        u_max_pairs=1e7,
    )
    return PublicDataset(
        "historical_50k",
        records,
        truth,
        raw,
        setup,
        fields=f({"unique_id", "first_name", "surname", "dob", "gender", "birth_place"}),
        notes=(
            f"ctdata's dates of birth moved by {HISTORICAL_YEAR_SHIFT} years into the template's range; "
            "those before 1700 left empty",
        ),
    )


# -- ctdata's own simulator -----------------------------------------------------------------------

#: Size and seed of the simulated row: seed 4 is held out from tuning (see eval_linkage.py).
SIMULATED_RECORDS = 5_000
SIMULATED_SEED = 4
SIMULATED_CACHE = Path(os.environ.get("CTDATA_LINKAGE_EVAL_CACHE", "/tmp/ctdata-linkage-eval"))


def _names_dob_setup(whose: str) -> SplinkSetup:
    """Splink's fake_1000 tutorial settings (names, date of birth) on a set with no example of its own."""
    import splink.comparison_library as cl
    from splink import ColumnExpression, block_on

    f = frozenset
    return SplinkSetup(
        source=f"Splink docs, fake_1000 tutorials 04 and 05, on {whose} names and date of birth",
        comparisons=(
            (f({"first_name"}), lambda: cl.NameComparison("first_name")),
            (f({"surname"}), lambda: cl.NameComparison("surname")),
            (f({"dob"}), lambda: cl.LevenshteinAtThresholds(ColumnExpression("dob").cast_to_string(), 1)),
        ),
        blocking=((f({"surname"}), block_on("surname")),),  # the tutorial's other rule reads the city
        deterministic=(
            (f({"first_name", "dob"}), block_on("first_name", "dob")),
            (f({"first_name", "surname"}), "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2"),
        ),
        recall=0.7,
        em=(
            (f({"first_name", "surname"}), block_on("first_name", "surname"), {}),
            (f({"dob"}), block_on("dob"), {}),
        ),
        threshold=0.2,
        u_max_pairs=2e6,
    )


def _template_raw(rec: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": rec["record_id"],
            "first_name": rec["given_name"],
            "surname": rec["family_name"],
            "dob": rec["date_of_birth"],
        }
    )


def simulated(
    data: Path = DATA, records: int = SIMULATED_RECORDS, seed: int = SIMULATED_SEED, cache: Path = SIMULATED_CACHE
) -> PublicDataset:
    """ctdata's own simulator (template rows as it writes them), beside the public sets for comparison.

    ctdata gets every template column. There is no Splink example for these data; the plain Splink
    row uses the settings of Splink's fake_1000 tutorial (names, date of birth) on the simulator's
    names and date of birth, the person fields every template row can have. `data` is unused (the
    rows are simulated into `cache`, once per size and seed).
    """
    from eval_linkage import ensure_data

    out = ensure_data(records, seed, cache)
    rec = pd.read_csv(out / "records.csv", dtype=str, keep_default_na=False, na_values=[""])
    truth = pd.read_csv(out / "truth.csv", dtype=str).rename(columns={"record_id": "record_key"})
    truth = truth[["record_key", "person_id"]]
    raw = _template_raw(rec)
    setup = _names_dob_setup("the simulator's")
    f = frozenset
    return PublicDataset(
        "simulated",
        rec,
        truth,
        raw,
        setup,
        fields=f({"unique_id", "first_name", "surname", "dob"}),
        notes=(f"ctdata's simulator, {records:,} records, seed {seed} (held out from tuning)",),
    )


#: The columns the issue's independent data sets have (and the second generator writes): the simulator's
#: tuning seeds cut down to these (`sim_tune_<seed>_bare`) tune for data without identity documents,
#: places of birth or exploitation dates, without looking at the second generator's rows.
BARE_COLUMNS = ("record_id", "agency", "office_country", "registration_date", "given_name", "family_name",
                "date_of_birth", "sex", "citizenship", "country_of_exploitation")


def simulated_tuning(seed: int, bare: bool, records: int = SIMULATED_RECORDS) -> PublicDataset:
    """The simulator at a tuning seed (1-3; never reported as a result), with every column or only
    BARE_COLUMNS: the sets to choose a change on before the check sets are run."""
    ds = simulated(records=records, seed=seed)
    rec = ds.records[list(BARE_COLUMNS)] if bare else ds.records
    name = f"sim_tune_{seed}" + ("_bare" if bare else "")
    note = f"ctdata's simulator, {records:,} records, tuning seed {seed}" + (", bare columns" if bare else "")
    return replace(ds, name=name, records=rec, notes=(note,))


#: Persons per whole name in `sim_tune_<seed>_namesakes` (given and family names drawn apart from pools
#: of about sqrt(persons / this) per citizenship and sex): the issue's "small name pools where the date of
#: birth decides", at a density chosen from the issue's words, not from the second generator's rows.
NAMESAKES_PER_NAME = 1.5


def with_namesakes(records: pd.DataFrame, truth: pd.DataFrame, seed: int) -> pd.DataFrame:
    """`records` with small name pools: within each citizenship and sex, every person takes a given name
    from one of a few donors and a family name from another (the donors' shares falling as 1 / rank, as
    real names' do), and each of its records writes them as one of the donor's own records did (the
    same office where the donor has one: its script and romanisation, its typos). Dates and every other
    field stay the person's own, so the date of birth is what tells namesakes apart; a record without
    one takes its person's (_dated: as the second generator's dated variant does, since a namesake
    with no date is a guess for any method)."""
    rng = np.random.default_rng(seed)
    rec = records.reset_index(drop=True).copy()
    rec["_person"] = rec["record_id"].map(truth.set_index("record_key")["person_id"]).to_numpy()
    first = rec.groupby("_person", sort=True).agg(
        cit=("citizenship", lambda s: s.dropna().iloc[0] if s.notna().any() else ""),
        sex=("sex", lambda s: s.dropna().iloc[0] if s.notna().any() else ""),
    )
    by_person = {p: g.index.to_numpy() for p, g in rec.groupby("_person", sort=True)}
    given_from: dict[str, str] = {}
    family_from: dict[str, str] = {}
    for _, grp in first.groupby(["cit", "sex"], sort=True):
        people = grp.index.to_numpy()
        k = max(1, round(float(np.sqrt(len(people) / NAMESAKES_PER_NAME))))
        donors = rng.choice(people, size=min(k, len(people)), replace=False)
        w = 1.0 / np.arange(1, len(donors) + 1)  # names are Zipf-distributed: the first few are everyone's
        for p in people:
            given_from[p] = donors[int(rng.choice(len(donors), p=w / w.sum()))]
            family_from[p] = donors[int(rng.choice(len(donors), p=w / w.sum()))]
    given = rec["given_name"].to_numpy(dtype=object).copy()
    family = rec["family_name"].to_numpy(dtype=object).copy()
    office = rec["office_country"].to_numpy(dtype=object)
    for p, rows in by_person.items():
        for col, out, donor in (("given_name", given, given_from[p]), ("family_name", family, family_from[p])):
            src = by_person[donor]
            for i in rows:
                same = src[office[src] == office[i]]
                pool = same if len(same) else src
                out[i] = rec.at[pool[int(rng.integers(len(pool)))], col]
    rec["given_name"], rec["family_name"] = given, family
    return _dated(rec, rng).drop(columns="_person")


def _dated(rec: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """`rec` (with its `_person`) where a record without a date of birth takes its person's most
    written full date, or one drawn within the person's written year (and month), or in any written
    date's year."""
    dob = rec["date_of_birth"].fillna("")
    full = dob.where(dob.str.fullmatch(r"\d{4}-\d{2}-\d{2}"))
    known = full.groupby(rec["_person"]).agg(lambda s: s.mode().iloc[0] if s.notna().any() else None)
    years = dob.str[:4].where(dob != "").dropna().astype(int).to_numpy()
    for p in known.index[known.isna()]:
        part = sorted(dob[rec["_person"] == p].loc[lambda s: s != ""], key=len)
        y = int(part[-1][:4]) if part else int(years[int(rng.integers(len(years)))])
        m = int(part[-1][5:7]) if part and len(part[-1]) >= 7 else int(rng.integers(1, 13))
        known[p] = date(y, m, int(rng.integers(1, 29))).isoformat()
    undated = rec["date_of_birth"].isna()
    rec.loc[undated, "date_of_birth"] = rec.loc[undated, "_person"].map(known)
    return rec


#: Records of the namesakes tuning sets: at 5,000 a citizenship and sex hold some thirty people and the
#: commonest name six; a register's groups are larger, and the more namesakes, the more share a birth year.
NAMESAKES_RECORDS = 20_000


def simulated_namesakes(seed: int, records: int = NAMESAKES_RECORDS) -> PublicDataset:
    """A tuning seed's bare columns with small name pools (with_namesakes): tunes for data where many
    people share a name, without looking at the second generator's rows. Never reported as a result."""
    ds = simulated_tuning(seed, bare=True, records=records)
    rec = with_namesakes(ds.records, ds.truth, seed)
    note = f"ctdata's simulator, {records:,} records, tuning seed {seed}, bare columns, small name pools"
    return replace(ds, name=f"sim_tune_{seed}_namesakes", records=rec, raw=_template_raw(rec), notes=(note,))


#: Size and seed of the independent generator's row (benchmarks/independent_gen.py; never tuned on).
INDEPENDENT_PERSONS = 2_000
INDEPENDENT_SEED = 1


def independent(
    data: Path = DATA, persons: int = INDEPENDENT_PERSONS, seed: int = INDEPENDENT_SEED, missing_dob: bool = True
) -> PublicDataset:
    """The second generator (benchmarks/independent_gen.py): its own small name tables, native script on
    one side only, year-only and day/month-swapped dates, no exploitation dates, other nationalities;
    `missing_dob` (the first variant): 12% of records without a date of birth, else the dated variant.
    A check, never tuned on. Splink gets its fake_1000 tutorial settings on names and date of birth."""
    from independent_gen import generate

    rec, truth = generate(persons, seed, missing_dob)
    truth = truth.rename(columns={"record_id": "record_key"})
    variant = "12% without a date of birth" if missing_dob else "every record dated"
    return PublicDataset(
        independent_name(seed, missing_dob),
        rec,
        truth,
        _template_raw(rec),
        _names_dob_setup("the independent generator's"),
        fields=frozenset({"unique_id", "first_name", "surname", "dob"}),
        notes=(f"benchmarks/independent_gen.py, {persons:,} persons, seed {seed}, {variant}",),
    )


def independent_name(seed: int, missing_dob: bool) -> str:
    """The data set's name for a seed and variant of the second generator (a key of DATASETS)."""
    return ("independent" if missing_dob else "independent_dated") + ("" if seed == INDEPENDENT_SEED else f"_{seed}")


#: The second generator's rows: (seed, missing_dob) by data set name. The first variant at seed 1 (as
#: measured since it was written), the dated variant at two seeds (two draws, both shown).
INDEPENDENT_SETS = {independent_name(s, m): (s, m) for s, m in ((1, True), (1, False), (2, False))}


DATASETS: dict[str, Callable[..., PublicDataset]] = {
    "fake_1000": fake_1000,
    "febrl3": febrl3,
    "historical_50k": historical_50k,
    "simulated": simulated,
    **{name: partial(independent, seed=s, missing_dob=m) for name, (s, m) in INDEPENDENT_SETS.items()},
    **{
        f"sim_tune_{s}" + ("_bare" if b else ""): partial(simulated_tuning, s, b)
        for s in (1, 2, 3)
        for b in (False, True)
    },
    **{f"sim_tune_{s}_namesakes": partial(simulated_namesakes, s) for s in (1, 2, 3)},
}
