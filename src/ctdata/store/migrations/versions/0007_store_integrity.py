"""store identity and key fingerprints (store_meta); the audit chain records its version

Revision ID: 0007_store_integrity
Revises: 0006_agency_codes
Create Date: 2026-12-02 14:40:00

Entries written before this revision keep chain version 1 (a SHA-256 chain, checked as before);
new entries are version 2 (an HMAC with the audit key), so a rewrite of the log needs that key.
The column is added in place (no table copy), which keeps the append-only triggers. The store gets
a random id, bound into every keyed entry and into the checkpoints of the chain's head.
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007_store_integrity"
down_revision = "0006_agency_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("chain", sa.Integer(), nullable=False, server_default="1"))
    meta = op.create_table(
        "store_meta",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(meta, [{"name": "store_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("store_meta")
    op.drop_column("audit_log", "chain")  # in place (SQLite 3.35+): a table copy would lose the triggers
