"""the language an account reads the case pages in

Revision ID: 0012_user_language
Revises: 0011_perpetrators
Create Date: 2026-12-03 08:40:00

The case pages are in English, French, Spanish and Arabic; a person's choice is kept
on their account (``users.language``, a code the pages offer, NULL for "as the
browser asks"), so it follows them to another browser or device.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_user_language"
down_revision = "0011_perpetrators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
