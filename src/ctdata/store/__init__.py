"""ctdata.store.

The case store: database models and sessions, migrations, encryption and keys, pseudonyms, the keyed audit
chain, backup.

Its modules are its public surface (imported by name, so importing the layer stays cheap).
"""

__all__ = [
    "audit",
    "backup",
    "bulk",
    "crypto",
    "db",
    "files",
    "keys",
    "meta",
    "models",
    "persons",
]
