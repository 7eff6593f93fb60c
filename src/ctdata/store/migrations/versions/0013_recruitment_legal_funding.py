"""what was promised at recruitment and how, legal sub-types, funding of assistance, reintegration follow-up

Revision ID: 0013_recruitment_legal_funding
Revises: 0012_user_language
Create Date: 2026-12-03 08:50:00

The annual report's model states what victims were promised (job, sector) and
how they were recruited, the kinds of legal assistance given, the cases
assisted through a fund, and how reintegration stood at follow-up; the case
standard records each. The promised job is free text told by the person, so it
is encrypted like the other free text of a case.
"""

import sqlalchemy as sa
from alembic import op

import ctdata.store.models

revision = "0013_recruitment_legal_funding"
down_revision = "0012_user_language"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_records") as batch:
        batch.add_column(sa.Column("recruitment_tactics", ctdata.store.models.CodeList(), nullable=True))
        batch.add_column(sa.Column("promised_job_enc", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("promised_sector", sa.String(32), nullable=True))
    with op.batch_alter_table("assistance") as batch:
        batch.add_column(sa.Column("legal_types", ctdata.store.models.CodeList(), nullable=True))
        batch.add_column(sa.Column("funding_source", sa.String(16), nullable=True))
        batch.add_column(sa.Column("funding_name", sa.String(200), nullable=True))
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("follow_up_date", sa.String(10), nullable=True))
        batch.add_column(sa.Column("reintegration_status", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("reintegration_status")
        batch.drop_column("follow_up_date")
    with op.batch_alter_table("assistance") as batch:
        batch.drop_column("funding_name")
        batch.drop_column("funding_source")
        batch.drop_column("legal_types")
    with op.batch_alter_table("case_records") as batch:
        batch.drop_column("promised_sector")
        batch.drop_column("promised_job_enc")
        batch.drop_column("recruitment_tactics")
