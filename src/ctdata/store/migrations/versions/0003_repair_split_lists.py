"""repair languages and consent_sharing lists that early imports stored one character per item

Revision ID: 0003_repair_split_lists
Revises: 0002_linkage
Create Date: 2026-11-30 14:20:00

Imports before this revision turned the text "uz;ru" into the list of its characters, stored as
"u;z;;;r;u". The original text is every other character of such a value, so it is recoverable.
A value is taken as damaged only when it has at least two characters of text, every odd position
holds ';' and every item is at most one character long: no language code or organisation name is
a single character, so correct values are never touched. Consent to share is read from
case_records.consent_sharing when a case is transferred, which is why this cannot wait for a
re-import (a re-import counts the rows as already present).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_repair_split_lists"
down_revision = "0002_linkage"
branch_labels = None
depends_on = None

_COLUMNS = (("persons", "languages"), ("case_records", "consent_sharing"))


def repaired(stored: str) -> str | None:
    """The list text a damaged value came from, or None when the value is not damaged."""
    if len(stored) < 3 or len(stored) % 2 == 0 or any(c != ";" for c in stored[1::2]):
        return None
    original = stored[0::2]
    items = [s.strip() for s in original.split(";") if s.strip()]
    return ";".join(items)


def upgrade() -> None:
    bind = op.get_bind()
    for table, column in _COLUMNS:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(column, sa.Text))
        rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].like("_;_%"))).all()
        fixes = [{"rid": rid, "val": new} for rid, val in rows if (new := repaired(val)) is not None]
        if fixes:
            bind.execute(
                sa.update(t).where(t.c.id == sa.bindparam("rid")).values({column: sa.bindparam("val")}),
                fixes,
            )


def downgrade() -> None:
    # The damaged form carries no information the repaired one lacks; nothing to undo.
    pass
