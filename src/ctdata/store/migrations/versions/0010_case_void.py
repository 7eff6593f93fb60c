"""a mistaken case can be voided: when, by whom, and why (encrypted)

Revision ID: 0010_case_void
Revises: 0009_free_text_encrypted
Create Date: 2026-12-03 08:00:00

A case registered by mistake (an empty form, a duplicate typed twice) is not deleted:
it is voided, so its audit trail stays and the counts, lists and the warehouse leave it
out (`store.models.counted`). The reason is free text and may name the person, so it is
encrypted like the closure note.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_case_void"
down_revision = "0009_free_text_encrypted"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        batch.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("voided_by", sa.String(80), nullable=True))
        batch.add_column(sa.Column("void_reason_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        batch.drop_column("void_reason_enc")
        batch.drop_column("voided_by")
        batch.drop_column("voided_at")
