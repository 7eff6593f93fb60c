"""a record's place among the rows of its source (a CTDC release's row order)

Revision ID: 0016_source_position
Revises: 0015_rate_events
Create Date: 2026-12-04 20:50:00

A public CTDC release has no record ids: a record is a row of its release, and a corrected
file of the release is aligned with the stored rows by content (``ingest.alignment``), in
the order the release gives them. A record first imported keeps the number of its row (in
its record id); a row a corrected file adds comes between two stored rows, so its place is
stored: ``case_records.source_position``, a number between its neighbours' (NULL: the
number in the record id). Nothing to fill in: every record stored before has its number.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_source_position"
down_revision = "0015_rate_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        batch.add_column(sa.Column("source_position", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        batch.drop_column("source_position")
