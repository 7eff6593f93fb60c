"""quarantine entries know the source row they hold: its source, record id and content digest

Revision ID: 0004_quarantine_identity
Revises: 0003_repair_split_lists
Create Date: 2026-12-02 15:00:00

With these, a re-import finds the open entry of a row it quarantines again (no duplicate entry),
resolves the entries of the rows it loads, and a retry keeps the source row's identity (source and
record id as the file gave them) whatever columns it corrects. Companion rows carry their record's
source and id, so they follow their record out of quarantine. Entries written before this revision
have none of the three and are matched by nothing (they stay as they are).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_quarantine_identity"
down_revision = "0003_repair_split_lists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("record_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_quarantine_open", ["status", "kind", "table_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_open")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("record_id")
        batch_op.drop_column("source")
