"""A person's pseudonym (``person_key``) and the ciphertexts of their identifying fields.

The only place that pseudonymises and encrypts a person: the import pipeline's
``prepare`` stage and the case services (register, update) both call these
functions, so the same person gets the same ``person_key`` whichever way they
enter the store. The rule: a keyed hash of the names, date of birth and
document number when any name or document number is known; otherwise a keyed
hash of the record's source and source id (a pseudonym of the record alone,
which links to nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ctdata.store.crypto import KeyRing

#: identifying field -> its encrypted column on ``persons`` (the field name is the encryption context)
ENCRYPTED = {
    "given_name": "given_name_enc",
    "family_name": "family_name_enc",
    "date_of_birth": "date_of_birth_enc",
    "place_of_birth": "place_of_birth_enc",
    "id_document_number": "id_document_enc",
}

#: the identifying fields a ``person_key`` is made of, in `person_keys`' order (the place of birth,
#: added later, is not one: keys stored before it stay the keys of the same people)
KEYED = ("given_name", "family_name", "date_of_birth", "id_document_number")


def person_keys(
    keys: KeyRing,
    given: Sequence[Any],
    family: Sequence[Any],
    dob: Sequence[Any],
    doc: Sequence[Any],
    sources: Sequence[str],
    record_ids: Sequence[str],
) -> list[str]:
    """``person_key`` of many people given column by column (the import's hot loop)."""
    m = len(given)
    named = list(map(any, zip(given, family, doc, strict=True)))
    if all(named):
        return keys.pseudonym_columns([list(given), list(family), list(dob), list(doc)])
    out: list[str] = [""] * m
    idx = [i for i in range(m) if named[i]]
    got = keys.pseudonym_columns([[c[i] for i in idx] for c in (given, family, dob, doc)])
    for i, k in zip(idx, got, strict=True):
        out[i] = k
    anon = [i for i in range(m) if not named[i]]
    got = keys.pseudonym_columns([[sources[i] for i in anon], [record_ids[i] for i in anon]], purpose="record")
    for i, k in zip(anon, got, strict=True):
        out[i] = k
    return out


def person_key(keys: KeyRing, values: Mapping[str, Any], source: str, record_id: str) -> str:
    """``person_key`` of one person (``values`` holds the identifying fields by name)."""
    cols = [[values.get(name)] for name in KEYED]
    return person_keys(keys, *cols, [source], [str(record_id)])[0]


def encrypted_columns(keys: KeyRing, columns: Mapping[str, Sequence[str | None]]) -> dict[str, list[bytes | None]]:
    """The ciphertext columns (by column name) of the identifying fields given column by column."""
    return {col: keys.encrypt_many(list(columns[name]), name) for name, col in ENCRYPTED.items()}


def encrypted(keys: KeyRing, values: Mapping[str, Any]) -> dict[str, bytes | None]:
    """The ciphertexts (by column name) of one person's identifying fields."""
    return {col: keys.encrypt(values.get(name), name) for name, col in ENCRYPTED.items()}


def identifier_text(field: str, value: str) -> str:
    """The normalised form of one perpetrator identifier that its pseudonym is made of.

    Phone numbers keep their last 9 digits (the same number is written with or without the country
    code or the trunk 0, with spaces or dashes); document numbers their letters and digits, upper
    case; names and addresses are compared case- and space-insensitively (`KeyRing.pseudonym`).
    """
    if field == "phone_numbers":
        return "".join(ch for ch in value if ch.isdigit())[-9:]
    if field == "document_numbers":
        return "".join(ch for ch in value if ch.isalnum()).upper()
    return value


def identifier_keys(keys: KeyRing, field: str, values: Sequence[str]) -> list[str]:
    """Keyed pseudonyms of a perpetrator's identifiers of one field (unique, in order; empty values skipped).

    The warehouse holds these instead of the identifiers, so analysts can see that two victims name the
    same phone number or recruiter without seeing either."""
    out: list[str] = []
    for v in values:
        text = identifier_text(field, v)
        if text.strip():
            k = keys.pseudonym(text, purpose=f"perpetrator.{field}")
            if k not in out:
                out.append(k)
    return out
