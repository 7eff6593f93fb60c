"""Person clusters from scored pairs, and stable individual ids.

Connected components chain different people together through weak links (A-B
and B-C accepted, A and C born years apart). So pairs are accepted strongest
first, and a pair that would put records with conflicting dates of birth or
sexes into one cluster is refused. Reviewers' labels come first: a 'match'
label is a forced link, a 'not_match' label a link that may never form.

An individual id must survive re-runs wherever the cluster did not change, so
that counts, reports and exports stay comparable: it is carried over from the
previous run's mapping for an unchanged cluster, and otherwise derived from a
keyed hash of the cluster's smallest record key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ctdata.linkage.features import dob_compatible

_NONE = (None, None, None)
#: Years by which birth-year ranges (from ages at registration) may miss each other and still merge.
YEAR_SLACK = 2


def _dob_tuples(features: pd.DataFrame) -> list[tuple]:
    if "dob_y" not in features.columns:
        return [_NONE] * len(features)
    out = []
    cols = [
        features[c].to_numpy(dtype=object, na_value=None) if c in features.columns else [None] * len(features)
        for c in ("dob_y", "dob_m", "dob_d")
    ]
    for y, m, d in zip(*cols, strict=True):
        out.append((None if y is None else int(y), None if m is None else int(m), None if d is None else int(d)))
    return out


def _office_keys(features: pd.DataFrame) -> np.ndarray | None:
    """One key per record for its office and agency (None where either is unknown), or None without them."""
    if "office_country" not in features.columns or "agency" not in features.columns:
        return None
    oc = features["office_country"].astype("string")
    ag = features["agency"].astype("string")
    key = (oc + "\x1f" + ag).astype(object)
    return key.where(key.notna(), None).to_numpy(dtype=object)


def office_separates(features: pd.DataFrame, pairs: pd.DataFrame) -> bool:
    """Do the scores say that two records of one office are seldom one person?

    The one-record-per-office rule assumes that an office rarely registers a person twice.
    The scored pairs (records alike enough to be candidates) can say whether that holds: the
    share of them that share an office and agency, weighted by match probability (among
    matches) against the same share weighted by its complement (among look-alikes that are
    not one person). On the simulator, matches share an office about a quarter as often
    (0.23 and 0.21 on seeds 2 and 3 at 100,000 records). Where every record comes from one
    office (a register deduplicated on its own, a public benchmark) both shares are 1 and
    the rule would refuse every duplicate. The rule holds where sharing an office at least
    halves the odds of a match (a ratio under 1/2: one bit of evidence against), and wherever
    there is nothing to estimate from.
    """
    office = _office_keys(features)
    if office is None or not len(pairs):
        return True
    at = pd.Series(office, index=features["record_key"].astype(str).to_numpy())
    ol = pairs["record_key_l"].astype(str).map(at).to_numpy(dtype=object)
    orr = pairs["record_key_r"].astype(str).map(at).to_numpy(dtype=object)
    both = pd.notna(ol) & pd.notna(orr)
    p = pairs["match_probability"].to_numpy(dtype="float64")[both]
    same = ol[both] == orr[both]
    m_mass, u_mass = float(p.sum()), float((1.0 - p).sum())
    if m_mass <= 0 or u_mass <= 0:
        return True
    u = float((1.0 - p[same]).sum()) / u_mass
    if u <= 0:  # no look-alikes share an office: nothing says the rule is wrong here
        return True
    return float(p[same].sum()) / m_mass / u < 0.5


def constrained_clusters(
    features: pd.DataFrame,
    pairs: pd.DataFrame,
    threshold: float,
    *,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
    constrained: bool = True,
    one_record_per_office: bool = True,
    same_office_min: float = 1.1,
    certain_min: float = 1.1,
    min_average: float = 0.0,
) -> pd.DataFrame:
    """Cluster records: accept pairs at or above `threshold`, strongest first, refusing conflicts.

    features: record_key plus optional dob_y, dob_m, dob_d, sex (from build_features).
    pairs: record_key_l, record_key_r, match_probability.
    Returns a DataFrame record_key, cluster (an integer label, the index of the
    cluster's first record).

    Conflicts: known sexes differ; birth dates incompatible (see dob_compatible) or birth-year
    ranges apart; and, with `one_record_per_office` where the scores bear it out (see
    office_separates), two records of the same office and agency, unless the pair itself scores at
    least `same_office_min` (a person registered twice by one office: about one person in sixty in
    the simulator, and such pairs are nearly always certain). A single record may join a cluster
    whose birth dates it contradicts on a link of at least `certain_min` to a record whose date is
    written at least as fully as its own (not through a namesake's year-only record): the model weighed the
    disagreeing date and is still near certain (an identity document and the names agree; a date of
    birth mistyped wholesale or replaced, as in FEBRL's duplicates); two clusters of several records
    never merge across a conflict, which is what stops chains through namesakes. With `min_average`,
    two clusters of more than one record between them merge only if the mean match probability over
    all their cross pairs (an unscored pair counts as 0) is at least that: one strong link between
    two groups that otherwise do not match is a chain through a namesake more often than one person.
    (Different identity document keys are no conflict: offices note other documents or mistype them,
    about one pair in five of one person's records in the simulator.)
    """
    keys = features["record_key"].astype(str).to_numpy()
    n = len(keys)
    index = pd.Index(keys)
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)  # records per root

    dobs = _dob_tuples(features)
    sexes = features["sex"].to_numpy(dtype=object, na_value=None) if "sex" in features.columns else [None] * n
    # Per root: distinct known birth dates and sexes, and records it must never join.
    dob_sets: dict[int, set] = {i: {dobs[i]} for i in range(n) if dobs[i][0] is not None}
    sex_sets: dict[int, set] = {i: {sexes[i]} for i in range(n) if sexes[i] is not None}
    # Per root: the intersection [lo, hi] of birth-year ranges (age at registration where no birth date).
    years: dict[int, tuple[int, int]] = {}
    if "by_lo" in features.columns and "by_hi" in features.columns:
        blo = features["by_lo"].to_numpy(dtype=object, na_value=None)
        bhi = features["by_hi"].to_numpy(dtype=object, na_value=None)
        years = {i: (int(blo[i]), int(bhi[i])) for i in range(n) if blo[i] is not None and bhi[i] is not None}
    offices: dict[int, set] = {}
    if one_record_per_office and constrained and office_separates(features, pairs):
        office = _office_keys(features)
        offices = {i: {office[i]} for i in range(n) if office is not None and office[i] is not None}
    forbid: dict[int, list[int]] = {}
    for a, b in cannot_link:
        ia, ib = index.get_indexer([str(a), str(b)])
        if ia >= 0 and ib >= 0:
            forbid.setdefault(int(ia), []).append(int(ib))
            forbid.setdefault(int(ib), []).append(int(ia))

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflicts(ra: int, rb: int, p: float = 0.0, via: tuple[int, int] | None = None) -> bool:
        fa, fb = forbid.get(ra), forbid.get(rb)
        if fa and any(find(y) == rb for y in fa):
            return True
        if fb and any(find(y) == ra for y in fb):
            return True
        if not constrained:
            return False
        sa, sb = sex_sets.get(ra), sex_sets.get(rb)
        if sa and sb and sa != sb:
            return True
        ya, yb = years.get(ra), years.get(rb)
        if ya and yb and max(ya[0], yb[0]) > min(ya[1], yb[1]) + YEAR_SLACK:
            return True
        oa, ob = offices.get(ra), offices.get(rb)
        if oa and ob and p < same_office_min and not oa.isdisjoint(ob):
            return True
        da, db = dob_sets.get(ra), dob_sets.get(rb)
        if da and db and not (p >= certain_min and min(size[ra], size[rb]) == 1 and as_precise(ra, rb, via)):
            for x in da:
                for y in db:
                    if not dob_compatible(x, y):
                        return True
        return False

    def as_precise(ra: int, rb: int, via: tuple[int, int] | None) -> bool:
        # The link that brings a lone record across a date conflict must join it to a record whose date
        # is written at least as fully as its own: the model weighed two dates of one precision then, not
        # a full date against a vaguer one that contradicts nothing (a namesake's year-only record).
        if via is None or size[ra] == size[rb] == 1:
            return True
        a, b = via
        lone, partner = (a, b) if size[find(a)] == 1 else (b, a)
        return sum(v is not None for v in dobs[partner]) >= sum(v is not None for v in dobs[lone])

    def union(ra: int, rb: int) -> None:
        # keep the root with more state to make merges of small into big cheap
        if len(dob_sets.get(ra, ())) < len(dob_sets.get(rb, ())):
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        if rb in dob_sets:
            dob_sets.setdefault(ra, set()).update(dob_sets.pop(rb))
        if rb in sex_sets:
            sex_sets.setdefault(ra, set()).update(sex_sets.pop(rb))
        if rb in offices:
            offices.setdefault(ra, set()).update(offices.pop(rb))
        if rb in years:
            yb = years.pop(rb)
            ya = years.get(ra)
            years[ra] = yb if ya is None else (max(ya[0], yb[0]), min(ya[1], yb[1]))
        if rb in forbid:
            forbid.setdefault(ra, []).extend(forbid.pop(rb))

    for a, b in must_link:
        ia, ib = index.get_indexer([str(a), str(b)])
        if ia >= 0 and ib >= 0:
            ra, rb = find(int(ia)), find(int(ib))
            if ra != rb:
                union(ra, rb)

    members: dict[int, list[int]] = {}
    prob: dict[tuple[int, int], float] = {}

    def mean_ok(ra: int, rb: int) -> bool:
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        if len(ma) * len(mb) <= 1:
            return True
        total = 0.0
        for x in ma:
            for y in mb:
                total += prob.get((x, y) if x < y else (y, x), 0.0)
        return total >= min_average * len(ma) * len(mb)

    if len(pairs):
        sel = pairs[pairs["match_probability"] >= threshold]
        li = index.get_indexer(sel["record_key_l"].astype(str).to_numpy())
        ri = index.get_indexer(sel["record_key_r"].astype(str).to_numpy())
        pr = sel["match_probability"].to_numpy(dtype="float64")
        order = _strongest_first(pr, keys, li, ri)
        li, ri, pr = li[order], ri[order], pr[order]
        if min_average > 0:
            for a, b, pab in zip(li.tolist(), ri.tolist(), pr.tolist(), strict=True):
                if a >= 0 and b >= 0:
                    prob[(a, b) if a < b else (b, a)] = pab
            for i in range(n):  # groups already formed by 'match' labels
                r = find(i)
                if r != i:
                    members.setdefault(r, [r]).append(i)
        for a, b, pab in zip(li.tolist(), ri.tolist(), pr.tolist(), strict=True):
            if a < 0 or b < 0:
                continue
            ra, rb = find(a), find(b)
            if ra == rb or conflicts(ra, rb, pab, (a, b)):
                continue
            if min_average > 0 and not mean_ok(ra, rb):
                continue
            if min_average > 0:
                joined = members.pop(ra, [ra]) + members.pop(rb, [rb])
                union(ra, rb)
                members[find(ra)] = joined
            else:
                union(ra, rb)

    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    return pd.DataFrame({"record_key": keys, "cluster": roots})


def _strongest_first(probability: np.ndarray, keys: np.ndarray, li: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """The order in which pairs are offered to the clustering: highest probability first, ties (one
    comparison vector gives one probability, so they are many) broken by the pair's record keys.

    Which of two tied pairs is offered first decides which link a conflict refuses, so an order
    taken from the input would let a parallel database, which returns rows in any order, change the
    individuals from one run to the next on the same data."""
    if not len(keys):  # no record to place: every pair is skipped whatever its order
        return np.argsort(-probability, kind="stable")
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.argsort(keys, kind="stable")] = np.arange(len(keys))
    a = np.where(li >= 0, rank[li], -1)
    b = np.where(ri >= 0, rank[ri], -1)
    return np.lexsort((np.maximum(a, b), np.minimum(a, b), -probability))


def derive_id(min_key: str, key: str = "ctdata-individual", salt: int = 0) -> str:
    digest = hashlib.blake2b(f"{min_key}\x1f{salt}".encode(), key=key.encode()[:64], digest_size=8).hexdigest()
    return f"I{digest}"


def assign_individual_ids(
    clusters: pd.DataFrame, previous: pd.DataFrame | None = None, key: str = "ctdata-individual"
) -> pd.DataFrame:
    """record_key -> individual_id, stable across runs where a cluster is unchanged.

    An unchanged cluster (exactly the same record keys as one of the previous
    run's individuals) keeps its previous id; any other cluster gets a keyed
    hash of its smallest record key, salted on the rare collision.
    """
    df = clusters[["record_key", "cluster"]].copy()
    df["record_key"] = df["record_key"].astype(str)
    grp = df.groupby("cluster")["record_key"]
    info = pd.DataFrame({"min_key": grp.min(), "size": grp.size()})
    info["individual_id"] = None
    if previous is not None and len(previous):
        prev = previous[["record_key", "individual_id"]].astype(str)
        prev_size = prev.groupby("individual_id").size()
        m = df.merge(prev, on="record_key", how="left")
        g = m.groupby("cluster")["individual_id"]
        one = g.nunique(dropna=False) == 1
        first = g.first()
        cand = pd.DataFrame({"one": one, "prev": first, "size": info["size"]})
        cand["prev_size"] = cand["prev"].map(prev_size)
        keep = cand["one"] & cand["prev"].notna() & (cand["prev_size"] == cand["size"])
        info.loc[keep[keep].index, "individual_id"] = cand.loc[keep, "prev"]
    used = set(info["individual_id"].dropna())
    todo = info["individual_id"].isna()
    ids = []
    for mk in info.loc[todo, "min_key"]:
        salt = 0
        iid = derive_id(mk, key, salt)
        while iid in used:
            salt += 1
            iid = derive_id(mk, key, salt)
        used.add(iid)
        ids.append(iid)
    info.loc[todo, "individual_id"] = ids
    out = df.merge(info[["individual_id"]], left_on="cluster", right_index=True, how="left")
    return out[["record_key", "individual_id"]].reset_index(drop=True)
