"""Blocking rules as a table: which record pairs are compared, trained on, or taken as sure matches.

Every rule the model uses is one row of `RULES`: its SQL condition on a pair
(`l.` and `r.`), the purpose it serves, and the feature columns it needs. A
rule applies to a features table when the columns it `requires` are present,
none of the columns it `excludes` is, and (if given) one of `requires_any` is.
Three optional refinements are written as placeholders and filled in only when
their columns exist: `{cit}` (the same citizenship), `{sex}` (the same sex) and
`{near}` (registered within two years of each other).

Purposes:
- `predict`: the candidate pairs that are scored. Splink's blocking rules and
  ctdata's own computation of the pairs (`blocked_pairs_sql`) both come from
  these rows, so they cannot drift apart.
- `em`: blocks for expectation maximisation.
- `prior`: deterministic rules for the prior (the first that applies).
- `sure`: near-certain matches, named, whose pairs train m probabilities
  (see training.labelled_m).
Rows with the same `choice` are alternatives: only the first that applies is used.

Block caps: a rule's pairs grow like the square of its blocks, and a rule keyed
on k distinct values makes about n^2/k pairs once k stops growing with n. So
`plan_blocking` gives all candidate-pair rules together one budget of pairs
(settings.block_pairs_per_record x records) and splits the blocks that do not
fit it, the largest first whichever rule they belong to (see `cap_rules`): the
pairs of the plan grow linearly with the records. The plan is computed once, on
the driver, from the features table, and handed to the backend as columns of
that table, so DuckDB and Spark join the same blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ctdata.linkage.backends import ROW_ID
from ctdata.linkage.settings import LinkageSettings

__all__ = [
    "NETS",
    "NET_PAIRS_PER_RECORD",
    "RULES",
    "BLOCK_KEY",
    "REFINE_BY",
    "BlockingPlan",
    "BlockingRule",
    "RuleBlocks",
    "affordable_nets",
    "blocked_pairs_sql",
    "cap_rule",
    "cap_rules",
    "default_blocking_rules",
    "default_em_rules",
    "deterministic_rules",
    "labelled_rules",
    "net_pairs",
    "plan_blocking",
    "prediction_rules",
    "rules_for",
]

PURPOSES = ("predict", "em", "prior", "sure")

#: The optional refinements: placeholder -> (column it needs, SQL appended when the column exists).
REFINEMENTS = {
    "{cit}": ("citizenship", " AND l.citizenship = r.citizenship"),
    "{sex}": ("sex", " AND l.sex = r.sex"),
    "{near}": ("reg_days", " AND abs(l.reg_days - r.reg_days) <= 730"),
    "{age}": ("by_lo", " AND abs(l.by_lo - r.by_lo) <= 1"),
}


@dataclass(frozen=True, kw_only=True)
class BlockingRule:
    """One blocking rule: a SQL condition on a pair of records and when it applies."""

    condition: str
    purpose: str = "predict"
    requires: frozenset[str] = frozenset()
    excludes: frozenset[str] = frozenset()
    requires_any: frozenset[str] = frozenset()
    choice: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown blocking rule purpose {self.purpose!r}")

    def applies(self, cols: set[str]) -> bool:
        return (
            self.requires <= cols
            and not (self.excludes & cols)
            and (not self.requires_any or bool(self.requires_any & cols))
        )

    def sql(self, cols: set[str]) -> str:
        """The condition with its refinements filled in for these columns."""
        out = self.condition
        for placeholder, (col, text) in REFINEMENTS.items():
            out = out.replace(placeholder, text if col in cols else "")
        return out


def _r(condition: str, *requires: str, **kw: object) -> BlockingRule:
    for key in ("excludes", "requires_any"):
        if key in kw:
            kw[key] = frozenset(kw[key])  # type: ignore[arg-type]
    return BlockingRule(condition=condition, requires=frozenset(requires), **kw)  # type: ignore[arg-type]


_NAMES = "name_var"  # features.py makes every whole-name key (sounds, skeletons, tokens) with name_var
_SKEL1 = "l.skel_1 = r.skel_1"  # the first of the sorted consonant skeletons (features.py)
_NO_DOB = ("l", "r")  # one-sided rules: the side without a date of birth

#: Every blocking rule of the model, in the order Splink receives them (a pair's match_key is the first
#: rule that finds it).
RULES: tuple[BlockingRule, ...] = (
    # --- candidate pairs. Each rule joins on a selective key, so pairs grow about linearly. Names agree
    # (as variant keys, sounds or consonant skeletons) with the birth year; or one name token and the
    # full birth date (a typo in the other); or the names and a transfer between the two offices; or,
    # where one side has no date of birth, the names and the sex. Name tokens are sorted, so swapped
    # given and family names block together.
    _r("l.name_var = r.name_var AND l.dob_y = r.dob_y", _NAMES, "dob_y"),
    _r("l.name_dm = r.name_dm AND l.dob_y = r.dob_y", _NAMES, "dob_y"),
    _r("l.name_skel = r.name_skel AND l.dob_y = r.dob_y", _NAMES, "dob_y"),
    _r("l.tok_a = r.tok_a AND l.dob_full = r.dob_full", _NAMES, "dob_full"),
    _r("l.tok_b = r.tok_b AND l.dob_full = r.dob_full", _NAMES, "dob_full"),
    _r("l.tok_a = r.tok_b AND l.dob_full = r.dob_full", _NAMES, "dob_full"),
    _r("l.tok_b = r.tok_a AND l.dob_full = r.dob_full", _NAMES, "dob_full"),
    _r("l.dm_a = r.dm_a AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m", _NAMES, "dob_m"),
    _r("l.dm_b = r.dm_b AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m", _NAMES, "dob_m"),
    _r(
        "l.name_var = r.name_var AND l.referral_from_office = r.office_country",
        _NAMES,
        "referral_from_office",
        "office_country",
    ),
    _r(
        "l.name_var = r.name_var AND l.office_country = r.referral_from_office",
        _NAMES,
        "referral_from_office",
        "office_country",
    ),
    # One side has no date of birth: the same name variants (or sound, or skeleton: typos and
    # romanisations) and sex, registered within two years of each other (a person's records follow one
    # journey). The null test on one side is pushed below the join; common names still make these the
    # largest rules, so they stay this narrow.
    *(
        _r(f"l.{key} = r.{key}{{sex}}{{near}} AND {side}.dob_y IS NULL", _NAMES, "dob_y")
        for key in ("name_var", "name_dm", "name_skel")
        for side in _NO_DOB
    ),
    # Wider nets, chosen greedily by the true pairs each adds per candidate pair it costs on 1,000,000
    # simulated records (tuning seeds 2 and 3): names that differ in every key but share the full
    # birth date and citizenship (a name written in another script, a second family name); the
    # same name variants within one citizenship, registered within two years (birth dates that
    # disagree); one name token and the birth year, or (one side without a birth date) one name
    # token with the sex and an age at registration within a year. Nets whose pairs grow with the
    # square of the data (one token and a birth year alone: 13M pairs per rule at 1M records) are
    # narrowed by citizenship and registration period: a person's records follow one journey.
    _r("l.dob_full = r.dob_full{cit}", "dob_full", "citizenship"),
    _r("l.name_var = r.name_var{cit}{near}", _NAMES, "citizenship"),
    _r(
        "l.given_dm1 = r.given_dm1 AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m{cit}",
        _NAMES,
        "dob_m",
        "given_dm1",
        "citizenship",
    ),
    *(
        _r(f"l.{key} = r.{key} AND l.dob_y = r.dob_y{{cit}}{{near}}", _NAMES, "dob_y", "citizenship", "reg_days")
        for key in ("tok_a", "tok_b")
    ),
    *(
        _r(
            f"l.{key} = r.{key}{{cit}}{{sex}}{{age}}{{near}} AND {side}.dob_y IS NULL",
            _NAMES,
            "dob_y",
            "citizenship",
        )
        for key in ("tok_a", "tok_b")
        for side in _NO_DOB
    ),
    # Where one side has no birth date and every whole-name key differs (typos in several tokens,
    # a second family name), the sound of the last family name with the age at registration; and the
    # whole name's skeleton or sound across a transfer between offices. Chosen on tuning seed 2 at
    # 100k by true pairs added per candidate pair (3.1-3.5 per 1,000, against 0.3-1.5 for token-sound
    # nets without an age or across every transfer), then checked for size on seed 3 at 1M records.
    # (Given names' sounds are too common on their own: 14M pairs at 1M records; so only within one
    # exploitation year.)
    *(
        _r(
            "l.family_dm1 = r.family_dm1{cit}{sex}{age}{near}"
            f" AND {side}.dob_y IS NULL",
            _NAMES,
            "dob_y",
            "citizenship",
            "family_dm1",
        )
        for side in _NO_DOB
    ),
    *(
        _r(
            "l.given_dm1 = r.given_dm1{cit}{sex} AND abs(l.by_lo - r.by_lo) <= 1{near}"
            f" AND l.exp_y = r.exp_y AND {side}.dob_y IS NULL",
            _NAMES,
            "dob_y",
            "by_lo",
            "citizenship",
            "given_dm1",
            "exp_y",
        )
        for side in _NO_DOB
    ),
    # A birth year off by one, the month agreeing.
    *(
        _r(
            f"l.{key} = r.{key} AND abs(l.dob_y - r.dob_y) = 1 AND l.dob_m = r.dob_m{{cit}}",
            _NAMES,
            "dob_m",
            "citizenship",
        )
        for key in ("tok_a", "tok_b")
    ),
    # The first of the sorted consonant skeletons: one name written in Arabic script on one side and
    # romanised on the other, with a second family name on one side only ('hmd fysl', 'ahmed faisal
    # masri'), or vowels romanised apart in every token. With the birth year, or (for records without
    # one) the age at registration, sex and year of exploitation. On tuning seed 2 at 100k they find
    # 95 and 99 true pairs that no rule above finds (11.6M and 8.3M pairs at 1M records); cluster F1
    # +0.0012 on seed 2 and +0.0013 on seed 3.
    _r(f"{_SKEL1} AND l.dob_y = r.dob_y{{cit}}", _NAMES, "citizenship", "dob_y"),
    _r(
        f"{_SKEL1} AND abs(l.by_lo - r.by_lo) <= 1{{sex}} AND l.exp_y = r.exp_y{{cit}}",
        _NAMES,
        "citizenship",
        "by_lo",
        "exp_y",
        "sex",
    ),
    # One journey: the same exploitation start (a full date; or a month with the family name's sound),
    # chosen on tuning seed 2 at 100k (19 and 6 true pairs per 1,000 candidates): the nets that
    # find records whose birth date is missing or wrong and whose names differ in every key.
    # (The given name's sound without citizenship and sex: 6.5M pairs at 1M records.)
    _r(
        "l.exp_start = r.exp_start AND length(l.exp_start) = 10{cit}{sex}",
        "exp_start",
        requires_any=("citizenship", "sex"),
    ),
    _r(
        "l.family_dm1 = r.family_dm1 AND l.exp_start = r.exp_start AND length(l.exp_start) >= 7",
        "exp_start",
        _NAMES,
        "family_dm1",
    ),
    _r(
        "l.given_dm1 = r.given_dm1 AND l.exp_start = r.exp_start AND length(l.exp_start) >= 7{cit}{sex}",
        "exp_start",
        _NAMES,
        "given_dm1",
    ),
    # Capped keys (features.CAPPED_BLOCKS; blocks over BLOCK_MAX records purged so that the pairs
    # stay linear in the data). The same month of exploitation within one citizenship with a name
    # token's first letters, where one side has no birth date or the birth years are within one;
    # the same month, citizenship, sex and country of exploitation with birth years within one (no
    # name needed); both tokens' first letters, or the loose name key, within one citizenship and
    # year of exploitation. These find records whose names are spelt apart in every whole-token key
    # (x/h, g/h, a name split in two), most without a birth date: on tuning seed 2 at 100k they
    # found 1,585 of the 2,953 true pairs the rules above miss.
    *(
        rule
        for key in ("jm_a", "jm_b")
        for rule in (
            _r(f"l.{key} = r.{key} AND l.dob_y IS NULL", key, "dob_y"),
            _r(f"l.{key} = r.{key} AND r.dob_y IS NULL", key, "dob_y"),
            _r(f"l.{key} = r.{key} AND abs(l.dob_y - r.dob_y) <= 1", key, "dob_y"),
            _r(f"l.{key} = r.{key}", key, excludes=("dob_y",)),
        )
    ),
    _r("l.jm_c = r.jm_c AND abs(l.by_lo - r.by_lo) <= 1", "jm_c", "by_lo"),
    _r("l.jt = r.jt", "jt"),
    _r("l.jl = r.jl", "jl"),
    *(
        _r(cond.format(key=key), _NAMES, "referral_from_office", "office_country")
        for key in ("name_skel", "name_dm")
        for cond in (
            "l.{key} = r.{key} AND l.referral_from_office = r.office_country",
            "l.{key} = r.{key} AND l.office_country = r.referral_from_office",
        )
    ),
    # The place of birth (a town or village): with the birth year where the names are spelt apart in
    # every key, or with one name token where a side has no birth date. The rules of Splink's own
    # example for data with a birth place (its deduplicate_50k_synthetic tutorial blocks on the birth
    # date with the birth place); block caps keep a capital's block linear.
    _r("l.birth_place = r.birth_place AND l.dob_y = r.dob_y", "birth_place", "dob_y"),
    *(
        _r(
            f"l.{key} = r.{key} AND l.birth_place = r.birth_place AND {side}.dob_y IS NULL",
            _NAMES,
            "birth_place",
            "dob_y",
        )
        for key in ("tok_a", "tok_b")
        for side in _NO_DOB
    ),
    *(
        _r(f"l.{key} = r.{key} AND l.birth_place = r.birth_place", _NAMES, "birth_place", excludes=("dob_y",))
        for key in ("tok_a", "tok_b")
    ),
    # Fewer fields: names without any birth dates; birth dates without names; identity documents.
    _r("l.name_var = r.name_var", _NAMES, excludes=("dob_y",)),
    _r("l.name_dm = r.name_dm", _NAMES, excludes=("dob_y",)),
    _r("l.name_skel = r.name_skel", _NAMES, excludes=("dob_y",)),
    _r("l.dob_full = r.dob_full", "dob_full", excludes=(_NAMES,)),
    _r("l.doc_key = r.doc_key", "doc_key"),
    # --- EM passes. Blocking on the full birth date trains names, sex, citizenship, offices and dates.
    # The second pass blocks on a transfer between offices with the same name variants or else on the
    # phonetic name keys (dm_a, dm_b), which no comparison reads, so the name comparison stays in the
    # model and separates matches from the many namesakes; it is the pass that trains the date of
    # birth. (Blocking on name_var alone would drop the name comparison, and EM then mistakes
    # common-name namesakes for matches.)
    _r("l.dob_full = r.dob_full", "dob_full", purpose="em"),
    _r(
        "l.name_var = r.name_var AND l.referral_from_office = r.office_country",
        _NAMES,
        "referral_from_office",
        "office_country",
        purpose="em",
        choice="em-names",
    ),
    _r("l.dm_a = r.dm_a AND l.dm_b = r.dm_b", "dm_a", purpose="em", choice="em-names"),
    # --- deterministic rules for the prior: the first that applies.
    _r("l.name_var = r.name_var AND l.dob_full = r.dob_full", _NAMES, "dob_full", purpose="prior", choice="prior"),
    _r("l.name_var = r.name_var AND l.dob_y = r.dob_y", _NAMES, "dob_y", purpose="prior", choice="prior"),
    _r("l.name_full = r.name_full", _NAMES, purpose="prior", choice="prior"),
    _r("l.dob_full = r.dob_full", "dob_full", purpose="prior", choice="prior"),
    # --- near-certain matches, each chosen without looking at some comparisons (which it can then train).
    # 'document': the same identity document key; it says nothing about names, dates or offices, so
    # its pairs show how one person's records differ in those. 'name_dob': the same name variants and
    # the same full date of birth (almost never two people at these sizes); it trains everything but
    # the name and the date itself, and is the only sure set that can train the document comparison.
    _r("l.doc_key = r.doc_key", "doc_key", purpose="sure", name="document"),
    _r("l.name_var = r.name_var AND l.dob_full = r.dob_full", _NAMES, "dob_full", purpose="sure", name="name_dob"),
)


def rules_for(cols: Iterable[str], purpose: str, table: Sequence[BlockingRule] = RULES) -> list[BlockingRule]:
    """The rows of `table` with this purpose that apply to a features table with these columns."""
    c = set(cols)
    taken: set[str] = set()
    out = []
    for rule in table:
        if rule.purpose != purpose or not rule.applies(c) or (rule.choice and rule.choice in taken):
            continue
        if rule.choice:
            taken.add(rule.choice)
        out.append(rule)
    return out


def default_blocking_rules(cols: Iterable[str]) -> list[str]:
    """Candidate-pair rules (SQL) for a features table with these columns."""
    c = set(cols)
    return [r.sql(c) for r in rules_for(c, "predict")]


def default_em_rules(cols: Iterable[str]) -> list[str]:
    c = set(cols)
    return [r.sql(c) for r in rules_for(c, "em")]


def deterministic_rules(cols: Iterable[str]) -> list[str]:
    c = set(cols)
    return [r.sql(c) for r in rules_for(c, "prior")]


def labelled_rules(cols: Iterable[str]) -> dict[str, str]:
    """Near-certain matches by name (see the 'sure' rows of RULES)."""
    c = set(cols)
    return {r.name: r.sql(c) for r in rules_for(c, "sure")}


#: Wider nets that the data at hand may admit: a single equi-join key each (a whole-name key, one name
#: token, the full birth date, a name's sound with the birth year). The rules of RULES that reach this
#: far need citizenship, registration dates or exploitation dates, and a data set without them (names
#: and birth dates only) would otherwise be blocked on a name key *and* a birth year, losing every pair
#: with a typo in both. So the nets stand in where citizenship is absent (with it, the narrower nets of
#: RULES apply), and whether a net is affordable is a fact about the data, not the table: see
#: affordable_nets. (Empty columns never reach here: build_features leaves them out, so rules needing
#: them do not apply.)
NETS: tuple[tuple[str, ...], ...] = (
    ("name_var",),
    ("name_dm",),
    ("name_skel",),
    ("tok_a",),
    ("tok_b",),
    ("dob_full",),
    ("given_dm1", "dob_y"),
    ("family_dm1", "dob_y"),
)

#: Candidate pairs all admitted nets may add together, per record. The default rules cost about 55
#: pairs per record on 1,000,000 simulated records; the nets may add at most this many, so the pairs
#: stay linear in the data and a run at most about a fifth slower. A cost bound, not a quality knob.
NET_PAIRS_PER_RECORD = 10.0


def net_pairs(features: pd.DataFrame, keys: Sequence[str]) -> int:
    """Pairs of records that agree on every one of `keys` (none missing): sum of c(c-1)/2 over blocks."""
    sizes = features.groupby(list(keys), dropna=True, observed=True).size().to_numpy(dtype="float64")
    return int((sizes * (sizes - 1) / 2).sum())


def affordable_nets(features: pd.DataFrame, budget: float = NET_PAIRS_PER_RECORD) -> list[str]:
    """The nets of NETS this table can afford, most selective first, within `budget` pairs per record.

    None where the table has citizenship (see NETS).
    Each net's pairs are counted on the table itself (a group-by, no join); nets are taken from the
    fewest pairs up while their total stays within budget * records. A net whose columns are absent is
    skipped; one whose pairs explode (common names, one birth date shared by many) is never taken.
    """
    cols = set(features.columns)
    if "citizenship" in cols:  # the nets of RULES, narrowed by citizenship, apply instead
        return []
    limit = budget * len(features)
    sized = sorted((net_pairs(features, keys), i, keys) for i, keys in enumerate(NETS) if set(keys) <= cols)
    out, total = [], 0
    for n, _, keys in sized:
        if n == 0 or total + n > limit:
            continue
        total += n
        out.append(" AND ".join(f"l.{k} = r.{k}" for k in keys))
    return out


def prediction_rules(cols: Iterable[str], settings: LinkageSettings, features: pd.DataFrame | None = None) -> list[str]:
    """The rules whose pairs are scored: the settings' own, or the table's and the nets `features` afford."""
    if settings.blocking_rules:
        return list(settings.blocking_rules)
    rules = default_blocking_rules(cols)
    if features is not None:
        rules += [r for r in affordable_nets(features) if r not in rules]
    return rules


def blocked_pairs_sql(table: str, rules: Sequence[str]) -> str:
    """Candidate pairs of all rules at once (match_key, join_key_l, join_key_r), as Splink names them.

    Splink blocks rule by rule and keeps a pair out of each rule's output by
    evaluating every earlier rule's condition on it: the work grows with the
    square of the number of rules. With the 49 default rules on 1,000,000
    simulated records that took 496 s of an end-to-end 1,136 s; joining each
    rule on its own and de-duplicating the integer id pairs once gives the same
    55.4M pairs in 41 s. Pairs are oriented `l.rid_ < r.rid_` as in Splink
    (ROW_ID follows record_key order; one-sided rules depend on it), and the
    match_key is the first rule that finds the pair, as in Splink.
    """
    joins = " UNION ALL ".join(
        f"SELECT {i} AS mk, l.{ROW_ID} AS a, r.{ROW_ID} AS b FROM {table} AS l JOIN {table} AS r ON ({rule})"
        f" WHERE l.{ROW_ID} < r.{ROW_ID}"
        for i, rule in enumerate(rules)
    )
    return f"SELECT min(mk) AS match_key, a AS join_key_l, b AS join_key_r FROM ({joins}) AS u GROUP BY a, b"


# ------------------------------------------------------------------------------------------- block caps
#: Prefix of the block key columns a plan adds to the features table (integers; null: in no block).
BLOCK_KEY = "blk_"

#: Columns that split a block too large for the budget, tried in this order (a column the rule already
#: joins on, tests for a missing value, or compares within a window, is skipped: splitting a rule
#: "birth years one apart" by the birth year would leave it no pair). Each is a fact that one person's
#: records rarely disagree on and that namesakes often do: the sex, the birth year, the citizenship, the
#: year exploitation began. A missing value is a value of its own here, so records without a birth year
#: stay together in their own part of the block instead of leaving it.
REFINE_BY = ("sex", "dob_y", "citizenship", "exp_y")

_EQ = re.compile(r"l\.([a-z_][a-z0-9_]*) = r\.([a-z_][a-z0-9_]*)")
_NULL = re.compile(r"[lr]\.([a-z_][a-z0-9_]*) IS NULL")
_WINDOW = re.compile(r"abs\(l\.([a-z_][a-z0-9_]*) - r\.\1\) (<=|=) (\d+)")


@dataclass(frozen=True, kw_only=True)
class RuleBlocks:
    """What the budget did to one rule's blocks.

    Pairs are counted per block: c(c-1)/2 records' pairs (left x right records where the rule joins
    two different columns), less those the rule's other conditions rule out where the plan can count
    them: a missing value on one side (pairs with at least one such record), a window on one column
    (`abs(l.x - r.x) <= k` or `= k`: pairs within it, both present; with several windows, the fewest).
    What is left uncounted (a second window, a test of one side's value, which side of a pair lacks
    the value) makes the count an upper bound of the rule's pairs, which is what the budget holds.
    """

    rule: str  # the rule as written
    sql: str  # the rule as run (its equality conditions replaced by the block key where capped)
    cap: float  # the plan's cap (the largest block, in pairs, any rule keeps); inf: the budget did not bind
    pairs_before: int
    pairs_after: int
    refined_blocks: int  # blocks split by a REFINE_BY column
    dropped_blocks: int  # blocks still over the cap when no column was left: the rule skips them
    dropped_pairs: int  # the pairs of those blocks (counted, logged and reported, never silent)

    @property
    def capped(self) -> bool:
        return self.sql != self.rule


@dataclass(frozen=True)
class BlockingPlan:
    """The candidate-pair rules as run, the block key columns they join on, and what the budget did."""

    rules: list[str]
    keys: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per features row, BLOCK_KEY columns
    blocks: list[RuleBlocks] = field(default_factory=list)
    budget: float = math.inf  # pairs all rules together may make (block_pairs_per_record x records)

    def table(self, features: pd.DataFrame) -> pd.DataFrame:
        """The features with the block key columns the capped rules join on."""
        if self.keys.empty:
            return features
        return pd.concat([features.reset_index(drop=True), self.keys.reset_index(drop=True)], axis=1)

    @property
    def dropped_pairs(self) -> int:
        return sum(b.dropped_pairs for b in self.blocks)

    def summary(self) -> dict:
        """Totals for a run's record: the budget, rules capped, pairs before and after, blocks and pairs dropped."""
        return {
            "rules": len(self.rules),
            "budget": None if math.isinf(self.budget) else round(self.budget),
            "rules_capped": sum(b.capped for b in self.blocks),
            "block_pairs_before": sum(b.pairs_before for b in self.blocks),
            "block_pairs_after": sum(b.pairs_after for b in self.blocks),
            "blocks_refined": sum(b.refined_blocks for b in self.blocks),
            "blocks_dropped": sum(b.dropped_blocks for b in self.blocks),
            "pairs_dropped": self.dropped_pairs,
        }


def _conjuncts(rule: str) -> list[str] | None:
    """The rule's AND-ed conditions, or None where it has an OR (not split into blocks)."""
    if re.search(r"\bOR\b", rule, re.IGNORECASE):
        return None
    return [c.strip() for c in re.split(r"\bAND\b", rule, flags=re.IGNORECASE)]


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a column; a missing value is a code of its own (-1)."""
    return pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64)


def _numbers(values: pd.Series) -> np.ndarray:
    """A column as floats, a missing value as NaN (the values a window compares)."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _pairs_within(ids: np.ndarray, values: np.ndarray, width: float, rows: np.ndarray, size: int) -> np.ndarray:
    """Pairs per block among `rows` whose values differ by at most `width` (both present).

    Rows are sorted by (block, value) and encoded as block * span + value, so one searchsorted finds,
    for every row, how many later rows of its block are within the width.
    """
    ok = rows & (ids >= 0) & ~np.isnan(values)
    b, v = ids[ok], values[ok]
    if not len(b):
        return np.zeros(size)
    v = v - v.min()
    span = float(v.max()) + width + 1.0
    order = np.lexsort((v, b))
    b, key = b[order], b[order] * span + v[order]
    later = np.searchsorted(key, key + width, side="right") - np.arange(len(key)) - 1
    return np.bincount(b, weights=later, minlength=size)


@dataclass(eq=False)
class _RuleState:
    """One rule's blocks while the plan splits them (working state of `cap_rules`, never returned)."""

    rule: str
    name: str
    conds: list[str]
    left: list[str]
    right: list[str]
    ids: np.ndarray  # block id per row (2n rows for a cross rule: left keys, then right); -1: in no block
    refine: list[np.ndarray]  # codes of the REFINE_BY columns this rule may be split by
    null_rows: np.ndarray | None  # rows lacking a value the rule tests for IS NULL
    windows: list[tuple[np.ndarray, float, bool]]  # (values, width, exactly the width)
    level: np.ndarray = field(init=False)
    pairs: np.ndarray = field(init=False)
    before: float = 0.0
    refined: int = 0
    dropped: int = 0
    dropped_pairs: float = 0.0

    def __post_init__(self) -> None:
        self.level = np.zeros(len(self.ids), dtype=np.int8)
        self.pairs = self.count()
        self.before = float(self.pairs.sum())

    @property
    def cross(self) -> bool:
        return self.left != self.right

    def count(self) -> np.ndarray:
        """Pairs per block (see RuleBlocks)."""
        ids = self.ids
        size = int(ids.max()) + 1 if len(ids) and ids.max() >= 0 else 0
        if self.cross:
            n = len(ids) // 2
            nl = np.bincount(ids[:n][ids[:n] >= 0], minlength=size).astype(np.float64)
            nr = np.bincount(ids[n:][ids[n:] >= 0], minlength=size).astype(np.float64)
            return nl * nr
        counts = self._counts_among(np.ones(len(ids), dtype=bool), size)
        if self.null_rows is not None:  # one side must lack a value: pairs with at least one such record
            without = self._counts_among(~self.null_rows, size)
            counts = [a - b for a, b in zip(counts, without, strict=True)]
        return np.minimum.reduce(counts)

    def _counts_among(self, rows: np.ndarray, size: int) -> list[np.ndarray]:
        """Pairs per block among `rows`: all of them, then those within each window."""
        ids = self.ids
        c = np.bincount(ids[(ids >= 0) & rows], minlength=size).astype(np.float64)
        counts = [c * (c - 1) / 2]
        for values, width, exact in self.windows:
            within = _pairs_within(ids, values, width, rows, size)
            if exact and width >= 1:  # exactly the width: within it, less within one less
                within = within - _pairs_within(ids, values, width - 1, rows, size)
            counts.append(within)
        return counts

    def split(self, cap: float) -> bool:
        """Split every block over `cap` by its next REFINE_BY column, or drop it when none is left."""
        over = np.flatnonzero(self.pairs > cap)
        if not len(over):
            return False
        ids = self.ids
        rows = (ids >= 0) & np.isin(ids, over)
        out_of_columns = rows & (self.level >= len(self.refine))
        if out_of_columns.any():
            gone = np.unique(ids[out_of_columns])
            self.dropped += len(gone)
            self.dropped_pairs += float(self.pairs[gone].sum())
            ids[out_of_columns] = -1
        split = rows & ~out_of_columns
        if split.any():
            self.refined += len(np.unique(ids[split]))
            for lv in np.unique(self.level[split]):
                m = split & (self.level == lv)
                sub = pd.DataFrame({"b": ids[m], "v": self.refine[lv][m]}).groupby(["b", "v"], sort=False).ngroup()
                ids[m] = sub.to_numpy(dtype=np.int64) + int(ids.max()) + 1
            self.level[split] += 1
        self.ids = np.where(ids >= 0, pd.factorize(ids)[0], -1).astype(np.int64)
        self.pairs = self.count()
        return True

    def result(self, cap: float) -> tuple[str, pd.DataFrame, RuleBlocks]:
        """The rule as run, its block key columns (none where no block was touched), and its report."""
        after = float(self.pairs.sum())
        touched = bool(self.refined or self.dropped)
        keys = pd.DataFrame()
        sql = self.rule
        if touched:
            key = f"{BLOCK_KEY}{self.name}"
            n = len(self.ids) // 2 if self.cross else len(self.ids)
            if self.cross:
                kl, kr = f"{key}_l", f"{key}_r"
                keys = pd.DataFrame({kl: _key_array(self.ids[:n]), kr: _key_array(self.ids[n:])})
            else:
                kl = kr = key
                keys = pd.DataFrame({key: _key_array(self.ids)})
            sql = " AND ".join([f"l.{kl} = r.{kr}", *(c for c in self.conds if not _EQ.fullmatch(c))])
        report = RuleBlocks(
            rule=self.rule,
            sql=sql,
            cap=cap,
            pairs_before=int(self.before),
            pairs_after=int(after),
            refined_blocks=self.refined,
            dropped_blocks=self.dropped,
            dropped_pairs=int(self.dropped_pairs),
        )
        return sql, keys, report


def _budget_cap(pairs: np.ndarray, budget: float) -> float:
    """The largest block (in pairs) such that all blocks up to it, together, fit the budget."""
    p = pairs[pairs > 0]
    if p.sum() <= budget:
        return math.inf
    values, counts = np.unique(p, return_counts=True)
    ok = np.cumsum(values * counts) <= budget
    return float(values[ok].max()) if ok.any() else 0.0


def _key_array(ids: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(ids >= 0, ids, 0), ids < 0)


def _rule_state(features: pd.DataFrame, rule: str, name: str, columns: dict) -> _RuleState | None:
    """A rule's blocks on `features`, or None where the plan cannot count them (no equality condition,
    an OR, or a column missing): such a rule is run as written and its pairs are not in the budget."""
    conds = _conjuncts(rule)
    eq = [m.groups() for c in conds or [] if (m := _EQ.fullmatch(c))]
    cols = set(features.columns)
    if conds is None or not eq or any(a not in cols or b not in cols for a, b in eq):
        return None
    left, right = [a for a, _ in eq], [b for _, b in eq]
    cross = left != right
    nulls = {m.group(1) for c in conds if (m := _NULL.fullmatch(c))}
    windows = [(m.group(1), float(m.group(3)), m.group(2) == "=") for c in conds if (m := _WINDOW.fullmatch(c))]
    windows = [w for w in windows if w[0] in cols]
    null_rows = None
    if nulls and not cross and nulls <= cols:
        null_rows = np.zeros(len(features), dtype=bool)
        for c in nulls:
            null_rows |= features[c].isna().to_numpy()

    def column(kind: str, c: str) -> np.ndarray:  # each column's codes or numbers, made once for all rules
        if (kind, c) not in columns:
            columns[kind, c] = _codes(features[c]) if kind == "codes" else _numbers(features[c])
        return columns[kind, c]

    names = [f"k{i}" for i in range(len(eq))]
    stack = pd.DataFrame(dict(zip(names, (features[c].to_numpy() for c in left), strict=True)))
    if cross:
        other = pd.DataFrame(dict(zip(names, (features[c].to_numpy() for c in right), strict=True)))
        stack = pd.concat([stack, other], ignore_index=True)
    ids = stack.groupby(names, dropna=True, sort=False).ngroup().fillna(-1).to_numpy(dtype=np.int64)
    skip = set(left) | set(right) | nulls | {w[0] for w in windows}
    refine = [column("codes", c) for c in REFINE_BY if c in cols and c not in skip]
    if cross:
        refine = [np.concatenate([c, c]) for c in refine]
    return _RuleState(
        rule=rule,
        name=name,
        conds=conds,
        left=left,
        right=right,
        ids=ids,
        refine=refine,
        null_rows=null_rows,
        windows=[] if cross else [(column("numbers", c), w, exact) for c, w, exact in windows],
    )


def cap_rules(features: pd.DataFrame, rules: Sequence[str], budget: float) -> BlockingPlan:
    """Fit the blocks of all `rules` together into one budget of pairs; the rules as run and their keys.

    Every rule's blocks are the records that agree on its equality conditions (`l.x = r.y`), each
    counted in pairs as RuleBlocks says. The cap is the largest block (in pairs) such that every block
    of every rule up to it fits in `budget` pairs together: the budget is spent on the smallest blocks
    first, whichever rule they belong to, because a pair from a small block (a rare name with a birth
    year) is likelier one person than a pair from a large one (a common name), and a rule whose blocks
    are all small (the most selective) is never cut. A block over the cap is split by the next column
    of REFINE_BY (its records then pair only with those that also agree on that column), and the cap is
    found again on the new blocks of all rules, until every block is within it; a block still over the
    cap when no column is left is dropped from its rule (other rules may still find its pairs) and its
    pairs are counted in `dropped_pairs`. Each round splits or drops every block over the cap and a
    block can be split only once per column, so this ends, with the counted pairs of all rules at most
    `budget`. A pair two rules find is counted by both (telling them apart is the join the plan is
    there to bound), so the distinct candidate pairs are fewer than the counted ones.

    Rules the plan cannot count (see `_rule_state`) run as written, outside the budget.
    """
    columns: dict = {}
    states = [_rule_state(features, rule, str(i), columns) for i, rule in enumerate(rules)]
    counted = [s for s in states if s is not None]
    cap = math.inf  # the last cap that split or dropped a block (inf: the budget did not bind)
    while counted:
        this = _budget_cap(np.concatenate([s.pairs for s in counted]), budget)
        if not any([s.split(this) for s in counted]):  # a list: every rule splits in this round
            break
        cap = this
    out, keys, blocks = [], [], []
    for rule, state in zip(rules, states, strict=True):
        if state is None:
            sql, k = rule, pd.DataFrame()
            report = RuleBlocks(rule=rule, sql=rule, cap=math.inf, pairs_before=0, pairs_after=0,
                                refined_blocks=0, dropped_blocks=0, dropped_pairs=0)  # fmt: skip
        else:
            sql, k, report = state.result(cap)
        out.append(sql)
        blocks.append(report)
        if len(k.columns):
            keys.append(k)
    return BlockingPlan(out, pd.concat(keys, axis=1) if keys else pd.DataFrame(), blocks, budget)


def cap_rule(features: pd.DataFrame, rule: str, budget: float) -> tuple[str, pd.DataFrame, RuleBlocks]:
    """One rule alone in a budget (cap_rules with one rule): the rule as run, its key columns, its report.

    The rule comes back as written, with no key columns, when every block fits or when the plan cannot
    count it (reported with cap inf and no pairs).
    """
    plan = cap_rules(features, [rule], budget)
    keys = plan.keys if len(plan.keys.columns) else pd.DataFrame(index=features.index)
    return plan.rules[0], keys, plan.blocks[0]


def plan_blocking(features: pd.DataFrame, settings: LinkageSettings) -> BlockingPlan:
    """The candidate-pair rules of a run (prediction_rules), fitted together into one budget of pairs.

    All rules together may make settings.block_pairs_per_record pairs per record of `features`
    (cap_rules); 0 turns the budget off. One function on the driver decides the blocks for every
    backend: the backends receive the rules as run and the block keys as columns of the features table.
    """
    cols = [c for c in features.columns if c != "record_key"]
    rules = prediction_rules(cols, settings, features)
    if settings.block_pairs_per_record <= 0 or len(features) < 2:
        return BlockingPlan(rules)
    return cap_rules(features, rules, settings.block_pairs_per_record * len(features))
