"""agency registry: the agencies table, seeded from every agency code already stored

Revision ID: 0008_agency_registry
Revises: 0007_store_integrity
Create Date: 2026-12-02 15:30:00

Agencies were canonical codes (0006) but not a list: any misspelling written through an
account, a case or a transfer made a new agency. From this revision accounts, case
registration and transfers take only registered codes (``ctdata.cases.agencies``), and an
import registers the agencies of its file. Every code the store already holds (case
records, accounts, transfers) is registered here, its display name the code itself.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008_agency_registry"
down_revision = "0007_store_integrity"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("case_records", "agency"),
    ("case_records", "current_agency"),
    ("transfers", "from_agency"),
    ("transfers", "to_agency"),
    ("users", "agency"),
)


def upgrade() -> None:
    table = op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    bind = op.get_bind()
    codes: set[str] = set()
    for t, column in _COLUMNS:
        q = sa.text(f"SELECT DISTINCT {column} FROM {t} WHERE {column} IS NOT NULL AND {column} <> ''")
        codes.update(v for (v,) in bind.execute(q))
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        table, [{"code": c, "name": c, "created_at": now, "created_by": "migration"} for c in sorted(codes)]
    )


def downgrade() -> None:
    op.drop_table("agencies")
