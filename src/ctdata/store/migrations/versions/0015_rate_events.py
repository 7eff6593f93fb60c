"""login rate limits shared by the web app's workers

Revision ID: 0015_rate_events
Revises: 0014_keyed_row_digests
Create Date: 2026-12-03 15:30:00

`ctdata serve --workers N` runs several processes; a rate limit counted in each
process's memory would allow N times the limit. ``rate_events`` holds one row per
counted event (a digest of the limit's key, and when the event stops counting), so
every worker counts the same events (ctdata.web.shared.DatabaseWindow).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_rate_events"
down_revision = "0014_keyed_row_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
    )
    op.create_index("ix_rate_events_key_expires", "rate_events", ["key", "expires"])
    op.create_index("ix_rate_events_expires", "rate_events", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_rate_events_expires", table_name="rate_events")
    op.drop_index("ix_rate_events_key_expires", table_name="rate_events")
    op.drop_table("rate_events")
