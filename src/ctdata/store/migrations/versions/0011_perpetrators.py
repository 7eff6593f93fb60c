"""perpetrators: code lists, means of control, money paid, grouped rows, encrypted identifiers; case regions

Revision ID: 0011_perpetrators
Revises: 0010_case_void
Create Date: 2026-12-03 08:00:00

The perpetrators table of the first revision held one role, sex, age band, citizenship and
relation as short strings, and nothing wrote it. It now holds code lists (a public release
describes all of a victim's perpetrators in one grouped row: "Female;Male"), the UN region when
only that is known, the means of control, whether money was paid, and the identifying fields
(names, aliases, phone numbers, document numbers, addresses) as AES-GCM ciphertext. A row
written before keeps its values: its role becomes a one-element list of roles, and the other
columns are widened to text (a single code is a one-element code list).

Case records gain the UN region of origin and of exploitation, for sources that give only the
region (the same public release): empty for every record stored before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_perpetrators"
down_revision = "0010_case_void"
branch_labels = None
depends_on = None

_LISTS = ("roles", "region", "paid_money", "means_of_control")
_WIDENED = (("sex", 32), ("age_band", 8), ("citizenship", 2), ("relation", 32))
_SEALED = ("names_enc", "aliases_enc", "phone_numbers_enc", "document_numbers_enc", "addresses_enc")


def upgrade() -> None:
    with op.batch_alter_table("perpetrators", schema=None) as batch_op:
        for name in _LISTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        for name, length in _WIDENED:
            batch_op.alter_column(name, existing_type=sa.String(length=length), type_=sa.Text(), existing_nullable=True)
        batch_op.add_column(sa.Column("grouped", sa.Boolean(), nullable=True))
        for name in _SEALED:
            batch_op.add_column(sa.Column(name, sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE perpetrators SET roles = role, grouped = false")
    # plain ALTER TABLE: a batch copy of case_records would drop a table other tables refer to
    op.add_column("case_records", sa.Column("origin_region", sa.String(length=20), nullable=True))
    op.add_column("case_records", sa.Column("exploitation_region", sa.String(length=20), nullable=True))
    with op.batch_alter_table("perpetrators", schema=None) as batch_op:
        batch_op.drop_column("role")


def downgrade() -> None:
    op.execute("ALTER TABLE case_records DROP COLUMN exploitation_region")
    op.execute("ALTER TABLE case_records DROP COLUMN origin_region")
    with op.batch_alter_table("perpetrators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
    op.execute("UPDATE perpetrators SET role = substr(roles, 1, 20)")
    with op.batch_alter_table("perpetrators", schema=None) as batch_op:
        for name in (*_LISTS, "grouped", *_SEALED, "created_by", "created_at"):
            batch_op.drop_column(name)
        for name, length in _WIDENED:
            batch_op.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=length), existing_nullable=True)
