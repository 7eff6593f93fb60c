"""The erasure flow: a person's identifying data cleared from every copy ctdata keeps.

1. the store (`cases.erasure.erase_person`: identifiers, free text, quarantine, link
   review reasons and open pairs; one audited transaction);
2. the database's free space and journal (`store.db.scrub`: SQLite's WAL checkpointed
   and truncated after `secure_delete` zeroed the old content; PostgreSQL vacuumed);
3. linkage's outputs (`linkage.outputs.forget_erased`: individuals.parquet and
   perpetrator_persons.parquet beside the warehouse, the store's record-to-individual
   links and scored pairs): the person's records and perpetrator rows are removed, since
   that they matched another record was learnt from the identifiers now erased;
4. the warehouse, when one was built: the partitions of the person's cases are
   rewritten from the erased store (it holds no names or free text, and marks the
   records erased, which keeps them out of every later release);
5. release drafts: withdrawn and their files deleted, since they were made before the
   erasure. Approved releases are already public and k-anonymised; they stay.

It lives in `publish/` because that is the rightmost layer it reaches; the CLI and the
web call it and print or return what it cleared.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from ctdata.cases import erasure as store_erasure
from ctdata.cases.access import Actor
from ctdata.cases.tx import store_engine, transaction
from ctdata.config import settings
from ctdata.linkage.outputs import forget_erased
from ctdata.publish.source import registry
from ctdata.store import db
from ctdata.warehouse.build import build

DRAFT_REASON = "made before a person's data was erased; make a new draft"


def erase(actor: Actor, case_id: int, reason: str, *, engine: Engine | None = None) -> dict[str, Any]:
    """Erase the person of `case_id` everywhere; what was cleared, per place."""
    eng = engine or store_engine()
    with transaction(eng) as s:
        erased = store_erasure.erase_person(s, actor, case_id, reason)
    out = erased.to_dict()
    with transaction(eng) as s:
        out["linkage"] = forget_erased(s)
    out["warehouse"] = None
    if (settings().warehouse_dir / "manifest.json").exists():
        built = build(progress=False, actor=actor.username)
        out["warehouse"] = {"rewritten": built["rewritten"], "removed": built["removed"]}
    out["release_drafts_withdrawn"] = registry().discard_drafts(actor.username, DRAFT_REASON)
    out["store"] = db.scrub(eng, (*store_erasure.TOUCHED, "individual_links", "link_scores"))
    return out
