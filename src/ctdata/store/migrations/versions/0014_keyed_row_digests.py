"""row digests are keyed: the unkeyed digests stored before are dropped

Revision ID: 0014_keyed_row_digests
Revises: 0013_recruitment_legal_funding
Create Date: 2026-12-03 15:45:00

An import stores a digest of each row as the file gave it (``case_records.row_hash``,
``quarantine.row_hash``) to know a row it meets again. The row holds names and the date
of birth, and the digest was unkeyed: anyone holding the database could confirm a guessed
name by hashing the guess. Digests are now keyed with the store's key
(``KeyRing.digest_key``); the old ones cannot be re-keyed without the original rows, so
they are dropped. Nothing else changes: the first re-import of an old file finds its rows
changed and rewrites them with the same values (its count says "updated" once); a quarantined
row met again opens a new entry and the old one is superseded by its record id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_keyed_row_digests"
down_revision = "0013_recruitment_legal_funding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE case_records SET row_hash = NULL WHERE row_hash IS NOT NULL"))
    op.execute(sa.text("UPDATE quarantine SET row_hash = NULL WHERE row_hash IS NOT NULL"))


def downgrade() -> None:
    """Nothing to undo: the digests dropped cannot come back, and keyed ones are valid digests."""
