"""a person's place of birth, encrypted

Revision ID: 0018_place_of_birth
Revises: 0017_quarantine_position
Create Date: 2026-12-06 00:00:00

The standard gains the place of birth (a town or village as the person gives it): identifying, so
stored encrypted like the names (context ``place_of_birth``), erased with them, and compared by
linkage. Nothing to fill in: no place was stored before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_place_of_birth"
down_revision = "0017_quarantine_position"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("place_of_birth_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("place_of_birth_enc")
