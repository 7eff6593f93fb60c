"""failed logins counted per account and source, so a stranger cannot lock someone else out

Revision ID: 0005_login_lockouts
Revises: 0004_quarantine_identity
Create Date: 2026-12-02 14:20:00

Before this revision the failed-login count and the lockout lived on the account itself, so
anyone who knew a user name could lock its owner out from anywhere. Now a lockout holds for
one account from one source address only. The old users.failed_logins and users.locked_until
are cleared (their counts were not per source).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_login_lockouts"
down_revision = "0004_quarantine_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_lockouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_lockouts_user_client", "login_lockouts", ["user_id", "client"])
    op.execute("UPDATE users SET failed_logins = 0, locked_until = NULL")


def downgrade() -> None:
    op.drop_index("ix_login_lockouts_user_client", table_name="login_lockouts")
    op.drop_table("login_lockouts")
