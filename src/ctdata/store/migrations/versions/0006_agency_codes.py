"""agencies stored as canonical agency codes (iom, Iom and IOM are one agency: IOM)

Revision ID: 0006_agency_codes
Revises: 0005_login_lockouts
Create Date: 2026-12-02 15:45:00

Before this revision an agency was free text: a case registered under "iom" counted as an
agency apart from "IOM", and the case list compared agencies with SQL lower() (ASCII only on
SQLite) while one case was opened with Python's casefold(). Agencies are now written as
codes (`ctdata.standard.types.agency_code`: NFKC, case folded, upper case, spaces collapsed),
and every comparison is equality, so the stored values are rewritten to their codes: case
records (agency, current agency, and the source of template imports, which is the agency the
file gave), transfers, accounts and the open identities of quarantined template rows.

A template source is renamed only where no record with the same new source and record id
exists (the two are then one record imported twice under two spellings: both stay, for
linkage to join). The rewrite is by distinct value, so it costs one UPDATE per spelling.
"""

import sqlalchemy as sa
from alembic import op

from ctdata.standard.types import agency_code

revision = "0006_agency_codes"
down_revision = "0005_login_lockouts"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("case_records", "agency"),
    ("case_records", "current_agency"),
    ("transfers", "from_agency"),
    ("transfers", "to_agency"),
    ("users", "agency"),
)


def _renames(bind: sa.Connection, table: str, column: str, where: str = "") -> dict[str, str]:
    values = bind.execute(sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL{where}"))
    out = {}
    for (v,) in values:
        code = agency_code(v) or v
        if code != v:
            out[v] = code
    return out


def upgrade() -> None:
    bind = op.get_bind()
    # template imports: the source is the agency as the file gave it (the service's own source is "ctdata")
    for old, new in _renames(bind, "case_records", "source", " AND source = agency").items():
        bind.execute(
            sa.text(
                "UPDATE case_records SET source = :new WHERE source = :old AND agency = :old AND NOT EXISTS "
                "(SELECT 1 FROM case_records c2 WHERE c2.source = :new "
                "AND c2.source_record_id = case_records.source_record_id)"
            ),
            {"old": old, "new": new},
        )
    for old, new in _renames(bind, "quarantine", "source", " AND kind = 'standard'").items():
        bind.execute(
            sa.text("UPDATE quarantine SET source = :new WHERE source = :old AND kind = 'standard'"),
            {"old": old, "new": new},
        )
    for table, column in _COLUMNS:
        for old, new in _renames(bind, table, column).items():
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"), {"old": old, "new": new})


def downgrade() -> None:
    """The original spellings are not kept: codes stay codes."""
