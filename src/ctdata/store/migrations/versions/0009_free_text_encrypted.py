"""free text about a person encrypted at rest, like names

Revision ID: 0009_free_text_encrypted
Revises: 0008_agency_registry
Create Date: 2026-12-02 14:30:00

The sharing list, override reasons, screening indicators, assistance providers, risk mitigations, best-interest
authorities, transfer reasons, consent organisations and document references, and link review
reasons were stored as plain text; any of them can name the person. Each becomes a ``*_enc``
column holding AES-GCM ciphertext with the same key as the names (the context strings are
those of ``store.fields``, copied here so this revision never changes). Existing values are
encrypted in place and the plain columns dropped. New columns: the erasure reason (persons),
the closure note (case_records) and the cancellation reason of a return (returns), which were
kept only in the audit log before.

The key file is read only when a row holds text to encrypt, so an empty store needs none; it
must be the store's key (checked on an encrypted name, if any) and is never made up here when
names are already encrypted.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009_free_text_encrypted"
down_revision = "0008_agency_registry"
branch_labels = None
depends_on = None

#: table -> [(plain column, encrypted column, context, form)]; form: "text", "json" (a JSON list)
#: or "codes" (a ';'-joined list), the last two encrypted as a JSON list of text
_MOVED = {
    "case_records": [("consent_sharing", "consent_sharing_enc", "case_records.consent_sharing", "codes")],
    "screenings": [
        ("override_reason", "override_reason_enc", "screenings.override_reason", "text"),
        ("indicators", "indicators_enc", "screenings.indicators", "json"),
    ],
    "assistance": [("provider", "provider_enc", "assistance.provider", "text")],
    "returns": [
        ("risk_mitigations", "risk_mitigations_enc", "returns.risk_mitigations", "text"),
        ("bid_authority", "bid_authority_enc", "returns.bid_authority", "text"),
    ],
    "transfers": [
        ("reason", "reason_enc", "transfers.reason", "text"),
        ("decision_reason", "decision_reason_enc", "transfers.decision_reason", "text"),
    ],
    "consents": [
        ("organisation", "organisation_enc", "consents.organisation", "text"),
        ("document_ref", "document_ref_enc", "consents.document_ref", "text"),
    ],
    "link_labels": [("reason", "reason_enc", "link_labels.reason", "text")],
}
_ADDED = (("persons", "erasure_reason_enc"), ("case_records", "closure_note_enc"), ("returns", "cancel_reason_enc"))


def _text(value: object, form: str) -> str | None:
    if value is None:
        return None
    if form == "text":
        return str(value) or None
    if form == "codes":
        items = [x for x in str(value).split(";") if x]
    else:
        items = value if isinstance(value, list) else json.loads(str(value))
    return json.dumps(list(items), ensure_ascii=False) if items else None


def _keys(bind: sa.engine.Connection):  # type: ignore[no-untyped-def]
    """The store's key ring, read directly (not through the store's own key check, which runs after
    the upgrade): a missing or wrong key file is refused when the store already holds encrypted names."""
    from ctdata.config import settings
    from ctdata.errors import ConfigError
    from ctdata.store.crypto import load_keyring

    path = settings().key_file
    named = bind.execute(sa.text(
        "SELECT given_name_enc, family_name_enc, id_document_enc FROM persons "
        "WHERE given_name_enc IS NOT NULL OR family_name_enc IS NOT NULL OR id_document_enc IS NOT NULL LIMIT 1"
    )).first()
    if named is not None and not path.exists():
        raise ConfigError(f"the key file {path} is missing, and this store's names are encrypted: restore it "
                          "before upgrading (nothing was changed)")
    keys = load_keyring(path)
    if named is not None:
        for blob, ctx in zip(named, ("given_name", "family_name", "id_document_number"), strict=True):
            if blob is not None:
                keys.decrypt(blob, ctx)  # a wrong key file fails here, before anything is encrypted with it
                break
    return keys


def upgrade() -> None:
    bind = op.get_bind()
    for table, column in _ADDED:
        op.add_column(table, sa.Column(column, sa.LargeBinary(), nullable=True))
    keys = None
    for table, moves in _MOVED.items():
        for _plain, enc, _ctx, _form in moves:
            op.add_column(table, sa.Column(enc, sa.LargeBinary(), nullable=True))
        t = sa.table(table, sa.column("id", sa.Integer), *[sa.column(m[0]) for m in moves],
                     *[sa.column(m[1], sa.LargeBinary) for m in moves])
        rows = bind.execute(sa.select(t.c.id, *[t.c[m[0]] for m in moves])).all()
        updates = []
        for row in rows:
            values = {}
            for (_plain, enc, ctx, form), raw in zip(moves, row[1:], strict=True):
                text = _text(raw, form)
                if text is not None:
                    keys = keys or _keys(bind)
                    values[enc] = keys.encrypt(text, ctx)
                else:
                    values[enc] = None
            if any(v is not None for v in values.values()):
                updates.append({"rid": row[0], **{f"v_{k}": v for k, v in values.items()}})
        if updates:
            bind.execute(
                sa.update(t).where(t.c.id == sa.bindparam("rid"))
                .values({m[1]: sa.bindparam(f"v_{m[1]}") for m in moves}),
                updates,
            )
        for plain, _enc, _ctx, _form in moves:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {plain}")


def downgrade() -> None:
    raise NotImplementedError("free text is not decrypted back into plain columns")
