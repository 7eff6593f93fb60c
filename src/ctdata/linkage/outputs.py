"""Linkage's outputs, and the one rule of what they may hold: nothing of an erased person.

Linkage writes per-record results derived from identifying data: beside the warehouse,
``individuals.parquet`` (record_key -> individual_id) and ``perpetrator_persons.parquet``
(perpetrator_key -> perpetrator_id); in the store, ``individual_links`` (the same mapping by
case) and ``link_scores`` (the scored pairs). An erased person's record in any of them would
keep what the erasure took away: that their record was the same person as another record
(matched on the name, date of birth or document number that are now gone), and how likely.

So an erased person's records and their perpetrator rows are not linked at all
(`store_io.read_records` and `perpetrators.rows_from_store` leave them out), and
`forget_erased` removes them from every output made before. Every writer of these outputs
(`ctdata link`, re-clustering after a review, `ctdata link perpetrators`) calls it after
writing, and so does the erasure flow (`ctdata.publish.erasure`): one function, so a new
output added here is cleared by all of them. The warehouse's yearly tables are not linkage's:
the build rewrites them from the erased store (codes only, the record marked erased).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ctdata.config import settings
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord, IndividualLink, LinkScore, Perpetrator, Person

INDIVIDUALS_FILE = "individuals.parquet"
#: the warehouse file of perpetrator persons: perpetrator_key -> perpetrator_id (pseudonyms only)
PERSONS_FILE = "perpetrator_persons.parquet"
_CHUNK = 900


@dataclass(frozen=True)
class ErasedKeys:
    """The pseudonyms by which linkage's outputs name an erased person's records and perpetrator rows."""

    case_ids: frozenset[int]
    record_keys: frozenset[str]
    perpetrator_keys: frozenset[str]


def erased_keys(session: Session) -> ErasedKeys:
    """The keys of every case record of an erased person, and of the perpetrator rows of those records."""
    ids = sorted(session.scalars(
        select(CaseRecord.id).join(Person, Person.id == CaseRecord.person_id).where(Person.erased_at.is_not(None))))
    perps: list[int] = []
    for i in range(0, len(ids), _CHUNK):
        perps += session.scalars(select(Perpetrator.id).where(Perpetrator.case_id.in_(ids[i : i + _CHUNK])))
    keys = keyring()
    return ErasedKeys(frozenset(ids), frozenset(keys.record_keys(ids)),
                      frozenset(keys.pseudonym(p, purpose="perpetrator") for p in perps))


def _drop_rows(path: Path, column: str, keys: frozenset[str]) -> int:
    """Rewrite `path` without the rows whose `column` is one of `keys` (atomically); how many went."""
    if not keys or not path.is_file():
        return 0
    table = pq.read_table(path)
    gone = pc.is_in(table.column(column), value_set=pa.array(sorted(keys), pa.string()))
    removed = int(pc.sum(gone).as_py() or 0)
    if removed:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.forget.tmp")
        pq.write_table(table.filter(pc.invert(gone)), tmp, compression="zstd")
        os.replace(tmp, path)
    return removed


def forget_erased(session: Session, root: Path | None = None) -> dict[str, int]:
    """Remove every erased person's records from linkage's outputs (files and store); what was removed, per output.

    Works inside the caller's transaction for the store's rows; the files are replaced at once (readers see
    the old or the new file)."""
    erased = erased_keys(session)
    root = Path(root or settings().warehouse_dir)
    out = {
        INDIVIDUALS_FILE: _drop_rows(root / INDIVIDUALS_FILE, "record_key", erased.record_keys),
        PERSONS_FILE: _drop_rows(root / PERSONS_FILE, "perpetrator_key", erased.perpetrator_keys),
        "individual_links": 0,
        "link_scores": 0,
    }
    rkeys = sorted(erased.record_keys)
    for i in range(0, len(rkeys), _CHUNK):
        part = rkeys[i : i + _CHUNK]
        out["individual_links"] += int(session.execute(
            delete(IndividualLink).where(IndividualLink.record_key.in_(part))
            .execution_options(synchronize_session=False)).rowcount or 0)
        out["link_scores"] += int(session.execute(
            delete(LinkScore).where(or_(LinkScore.record_key_l.in_(part), LinkScore.record_key_r.in_(part)))
            .execution_options(synchronize_session=False)).rowcount or 0)
    return out
