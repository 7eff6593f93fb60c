"""ctdata.store.

The case store: database models and sessions, migrations, encryption and keys, pseudonyms, the keyed audit
chain, backup.
"""

__all__ = ["audit", "backup", "bulk", "crypto", "db", "files", "inserts", "keys", "meta", "models", "persons"]
