"""Facts the store records about itself (table store_meta): its id and the fingerprints of its keys.

They let ctdata tell "this is not the key of this store" from "this store has no key yet",
instead of creating a new key over data encrypted with the old one.
"""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ctdata.store.inserts import insert_new
from ctdata.store.models import StoreMeta

STORE_ID = "store_id"
#: fingerprint of the encryption key file (KeyRing.key_id) that encrypted the store's fields
KEY_ID = "key_id"
#: fingerprint of the audit key that keys the audit chain
AUDIT_KEY_ID = "audit_key_id"


def get_all(session: Session, *, current: bool = False) -> dict[str, str]:
    """Every recorded fact; empty for a store older than the table (`current`: the schema is known current)."""
    if not current and not inspect(session.connection()).has_table(StoreMeta.__tablename__):
        return {}
    return {name: value for name, value in session.execute(select(StoreMeta.name, StoreMeta.value))}


def get(session: Session, name: str) -> str | None:
    return session.execute(select(StoreMeta.value).where(StoreMeta.name == name)).scalar()


def put_first(session: Session, name: str, value: str) -> str:
    """Record a fact unless one is recorded already; the value that holds afterwards (first writer wins).

    Why not `put` after a `get`: several processes may open a store at once (the server and CLI
    commands), each see no fingerprint yet and each try to record one; a plain insert fails for all
    but the first. Here the losers read the winner's value, and the caller compares it with its own.
    """
    insert_new(session, StoreMeta, [{"name": name, "value": value}], "name")
    stored = session.execute(select(StoreMeta.value).where(StoreMeta.name == name)).scalar()
    return stored if stored is not None else value


def put(session: Session, name: str, value: str) -> None:
    row = session.get(StoreMeta, name)
    if row is None:
        session.add(StoreMeta(name=name, value=value))
    else:
        row.value = value
    session.flush()
