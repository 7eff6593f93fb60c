"""De-duplication of perpetrator rows into persons, with the same linkage engine as victims.

Two victims (or two offices) naming the same recruiter write two perpetrator rows. The rows are
linked with the engine's Splink model on the fields a perpetrator row has in common with a
person (names, sex, citizenship, a keyed document number, the victim's country of exploitation),
and then one deterministic rule: rows giving the same phone number or document number are one
person (a number identifies its holder far better than a name does, and victims of one recruiter
give the recruiter's number). A row that gives only a first name ("Oleksii") is not linked by
the model at all: a first name names no one, and letting it match chains distinct people (and
their networks) together; it joins a person only through a shared number. The
result maps each row to a pseudonymous perpetrator id; `analytics.networks` links victims through
these persons.

Input rows (``rows``): ``row_key``, ``names``, ``sex``, ``citizenship`` and, optionally,
``phone_numbers``, ``document_numbers`` (each multi-valued field ';'-joined text or a list) and
the victim's ``country_of_exploitation``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ctdata.linkage.engine import link_frame
from ctdata.linkage.outputs import PERSONS_FILE, forget_erased
from ctdata.linkage.settings import LinkageSettings
from ctdata.store.crypto import KeyRing, keyring
from ctdata.store.persons import identifier_keys

__all__ = ["dedupe", "features", "link_store", "rows_from_store", "NUMBER_FIELDS", "PERSONS_FILE"]

#: identifiers that name one person: rows sharing one are merged
NUMBER_FIELDS = ("phone_numbers", "document_numbers")


def _items(v: Any) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    if isinstance(v, list | tuple | np.ndarray):
        return [str(x).strip() for x in v if str(x).strip()]
    return [s.strip() for s in str(v).split(";") if s.strip()]


def _first(v: Any) -> str | None:
    items = _items(v)
    return items[0] if items else None


def features(rows: pd.DataFrame, keys: KeyRing | None = None) -> pd.DataFrame:
    """The engine's input table of perpetrator rows (its person columns; identifiers keyed, never copied)."""
    keys = keys or keyring()
    names = [_first(v) or "" for v in rows["names"]]
    parts = [n.split(None, 1) for n in names]
    docs = rows["document_numbers"] if "document_numbers" in rows else [None] * len(rows)
    return pd.DataFrame({
        "record_key": rows["row_key"].astype(str).to_numpy(),
        "given_name": [p[0] if p else None for p in parts],
        "family_name": [p[1] if len(p) > 1 else None for p in parts],
        "sex": [_first(v) for v in rows["sex"]],
        "citizenship": [_first(v) for v in rows["citizenship"]],
        "id_document_key": [(identifier_keys(keys, "document_numbers", _items(d)) or [None])[0] for d in docs],
        # the victim's country of exploitation: one recruiter's victims share it, namesakes elsewhere do not
        "country_of_exploitation": rows["country_of_exploitation"].to_numpy()
        if "country_of_exploitation" in rows else None,
    })


def _union_by_numbers(rows: pd.DataFrame, cluster: dict[str, str], keys: KeyRing) -> dict[str, str]:
    """Merge the clusters of rows that share a phone or document number (union-find over cluster ids)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[tuple[str, str], str] = {}
    for field in NUMBER_FIELDS:
        if field not in rows:
            continue
        for rk, v in zip(rows["row_key"].astype(str), rows[field], strict=True):
            for k in identifier_keys(keys, field, _items(v)):
                c = cluster[rk]
                if (field, k) in owner:
                    a, b = find(owner[(field, k)]), find(c)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
                else:
                    owner[(field, k)] = c
    return {rk: find(c) for rk, c in cluster.items()}


def _fold(v: Any) -> str | None:
    return " ".join(str(v).casefold().split()) or None if isinstance(v, str) else None


def _attach_first_names(feats: pd.DataFrame, weak: pd.Series, cluster: dict[str, str]) -> None:
    """A row known by a first name joins a person when exactly one person of the model's clusters has
    that first name among the victims of the same country of exploitation, with no sex or citizenship
    against it; with two candidates or none it stays alone (a first name alone decides nothing)."""
    strong = feats[~weak]
    cands: dict[tuple[str | None, str | None], dict[str, tuple[set[str], set[str]]]] = {}
    for rk, g, sex, cit, coe in zip(strong["record_key"], strong["given_name"], strong["sex"],
                                    strong["citizenship"], strong["country_of_exploitation"], strict=True):
        slot = cands.setdefault((_fold(g), coe), {}).setdefault(cluster[rk], (set(), set()))
        if sex:
            slot[0].add(sex)
        if cit:
            slot[1].add(cit)
    for rk, g, sex, cit, coe in zip(feats.loc[weak, "record_key"], feats.loc[weak, "given_name"],
                                    feats.loc[weak, "sex"], feats.loc[weak, "citizenship"],
                                    feats.loc[weak, "country_of_exploitation"], strict=True):
        found = cands.get((_fold(g), coe), {})
        fits = [c for c, (sexes, cits) in found.items()
                if (not sex or not sexes or sex in sexes) and (not cit or not cits or cit in cits)]
        if len(found) == 1 and len(fits) == 1:
            cluster[rk] = fits[0]


def dedupe(rows: pd.DataFrame, settings: LinkageSettings | None = None, keys: KeyRing | None = None) -> pd.DataFrame:
    """``row_key`` -> ``perpetrator_id`` (pseudonymous): the perpetrator rows that are one person."""
    keys = keys or keyring()
    if rows.empty:
        return pd.DataFrame({"row_key": pd.Series(dtype=str), "perpetrator_id": pd.Series(dtype=str)})
    feats = features(rows, keys)
    # a first name alone names no one: such a row joins others only through a number (below)
    weak = feats["family_name"].isna() & feats["id_document_key"].isna()
    cluster = {k: f"row:{k}" for k in feats.loc[weak, "record_key"]}
    if (~weak).sum():
        result = link_frame(feats[~weak].reset_index(drop=True), settings or LinkageSettings(), keep_model=False)
        cluster.update(zip(result.clusters["record_key"].astype(str), result.clusters["individual_id"].astype(str),
                           strict=True))
    _attach_first_names(feats, weak, cluster)
    merged = _union_by_numbers(rows, cluster, keys)
    out = pd.DataFrame({"row_key": list(merged), "perpetrator_id": list(merged.values())})
    return out.sort_values("row_key").reset_index(drop=True)




def rows_from_store(session: Any, keys: KeyRing | None = None) -> pd.DataFrame:
    """The store's perpetrator rows as `dedupe` reads them, identifiers decrypted in memory only.

    ``row_key`` is the row's ``perpetrator_key`` (the warehouse's pseudonym of it). Grouped rows (a
    public release's perpetrators of one victim taken together) describe no one person and are left out, and
    so are the perpetrators on an erased person's records (`ctdata.linkage.outputs`).
    """
    from sqlalchemy import select

    from ctdata.store.fields import unseal_list
    from ctdata.store.models import CaseRecord, Perpetrator, Person

    keys = keys or keyring()
    q = (select(Perpetrator.id, Perpetrator.sex, Perpetrator.citizenship, Perpetrator.names_enc,
                Perpetrator.phone_numbers_enc, Perpetrator.document_numbers_enc, CaseRecord.country_of_exploitation)
         .join(CaseRecord, CaseRecord.id == Perpetrator.case_id).join(Person, Person.id == CaseRecord.person_id)
         .where(Perpetrator.grouped.is_not(True), Person.erased_at.is_(None)).order_by(Perpetrator.id))
    rows = session.execute(q).all()
    return pd.DataFrame({
        "row_key": [keys.pseudonym(r[0], purpose="perpetrator") for r in rows],
        "sex": [r[1] for r in rows],
        "citizenship": [r[2] for r in rows],
        "names": [unseal_list(r[3], "perpetrators", "names_enc") for r in rows],
        "phone_numbers": [unseal_list(r[4], "perpetrators", "phone_numbers_enc") for r in rows],
        "document_numbers": [unseal_list(r[5], "perpetrators", "document_numbers_enc") for r in rows],
        "country_of_exploitation": [r[6] for r in rows],
    }, columns=["row_key", "sex", "citizenship", "names", "phone_numbers", "document_numbers",
                "country_of_exploitation"])


def link_store(actor: str = "cli", settings: LinkageSettings | None = None) -> dict[str, Any]:
    """De-duplicate the store's perpetrators and write ``perpetrator_persons.parquet`` beside the warehouse
    (``perpetrator_key`` -> ``perpetrator_id``), which the network analysis reads; one audit entry."""
    import os
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ctdata.config import settings as app_settings
    from ctdata.store import audit, db

    keys = keyring()
    with db.session_scope(db.upgrade()) as s:
        rows = rows_from_store(s, keys)
        persons = dedupe(rows, settings, keys)
        root = Path(app_settings().warehouse_dir)
        root.mkdir(parents=True, exist_ok=True)
        path = root / PERSONS_FILE
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        pq.write_table(pa.table({"perpetrator_key": persons["row_key"].astype(str).tolist(),
                                 "perpetrator_id": persons["perpetrator_id"].astype(str).tolist()}), tmp)
        os.replace(tmp, path)
        out = {"rows": len(rows), "perpetrators": int(persons["perpetrator_id"].nunique()) if len(persons) else 0,
               "path": str(path)}
        audit.record(s, actor=actor, action="link_perpetrators", entity="linkage", entity_id=None,
                     details={**out, "digest": audit.digest_ids(
                         f"{k}:{i}" for k, i in zip(persons["row_key"], persons["perpetrator_id"], strict=True))})
    with db.session_scope(db.upgrade()) as s:
        forget_erased(s)  # a person erased while this ran
    return out
