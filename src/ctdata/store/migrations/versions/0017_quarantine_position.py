"""a quarantined CTDC row's place among its release's rows

Revision ID: 0017_quarantine_position
Revises: 0016_source_position
Create Date: 2026-12-05 00:00:00

A corrected file of a CTDC release is aligned with the release's rows (``ingest.alignment``),
its stored records and, since this revision, its rows still in quarantine: a quarantined row the
corrected file now loads, perhaps under another row number, is that entry's record and closes it
(it stayed open, and a retry inserted the row a second time). An entry's place among the rows is
the number in its record id, or, for a row a corrected file added between two stored ones,
``quarantine.source_position`` (as ``case_records.source_position``; NULL: the number in the
id). Nothing to fill in: a place stored before is not known.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_quarantine_position"
down_revision = "0016_source_position"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("source_position", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("source_position")
