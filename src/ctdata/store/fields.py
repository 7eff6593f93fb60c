"""Every encrypted column of the case store, with the context its ciphertext is bound to.

Names, dates of birth and document numbers identify a person; free text written
about a person (notes, reasons, providers, organisations, document references)
can name them just as well, so it is encrypted the same way (AES-GCM, the field's
context bound as associated data, see `store.crypto`). Services write through
`seal` and read through `unseal`; erasure nulls these columns; a key rotation
re-encrypts exactly the columns listed here.
"""

from __future__ import annotations

import json

from ctdata.store.crypto import keyring

#: (table, column) -> encryption context. Person identifiers keep their historical contexts.
ENCRYPTED: dict[tuple[str, str], str] = {
    ("persons", "given_name_enc"): "given_name",
    ("persons", "family_name_enc"): "family_name",
    ("persons", "date_of_birth_enc"): "date_of_birth",
    ("persons", "place_of_birth_enc"): "place_of_birth",
    ("persons", "id_document_enc"): "id_document_number",
    ("persons", "erasure_reason_enc"): "persons.erasure_reason",
    ("case_records", "closure_note_enc"): "case_records.closure_note",
    ("case_records", "consent_sharing_enc"): "case_records.consent_sharing",
    ("case_records", "void_reason_enc"): "case_records.void_reason",
    ("case_records", "promised_job_enc"): "case_records.promised_job",
    ("screenings", "notes_enc"): "screening_notes",
    ("screenings", "indicators_enc"): "screenings.indicators",
    ("screenings", "override_reason_enc"): "screenings.override_reason",
    ("assistance", "provider_enc"): "assistance.provider",
    ("returns", "risk_mitigations_enc"): "returns.risk_mitigations",
    ("returns", "bid_authority_enc"): "returns.bid_authority",
    ("returns", "cancel_reason_enc"): "returns.cancel_reason",
    ("transfers", "reason_enc"): "transfers.reason",
    ("transfers", "decision_reason_enc"): "transfers.decision_reason",
    ("consents", "organisation_enc"): "consents.organisation",
    ("consents", "document_ref_enc"): "consents.document_ref",
    ("perpetrators", "names_enc"): "perpetrators.names",
    ("perpetrators", "aliases_enc"): "perpetrators.aliases",
    ("perpetrators", "phone_numbers_enc"): "perpetrators.phone_numbers",
    ("perpetrators", "document_numbers_enc"): "perpetrators.document_numbers",
    ("perpetrators", "addresses_enc"): "perpetrators.addresses",
    ("link_labels", "reason_enc"): "link_labels.reason",
    ("quarantine", "raw_enc"): "quarantine",
}


def context(table: str, column: str) -> str:
    return ENCRYPTED[(table, column)]


def seal(value: str | None, table: str, column: str) -> bytes | None:
    """The ciphertext of one free-text value (None for no text)."""
    return keyring().encrypt(value, context(table, column))


def unseal(blob: bytes | None, table: str, column: str) -> str | None:
    return keyring().decrypt(blob, context(table, column))


def list_text(values: list[str] | None) -> str | None:
    """The text a list of text is encrypted as (one JSON value; None for an empty list)."""
    return json.dumps(list(values), ensure_ascii=False) if values else None


def seal_list(values: list[str] | None, table: str, column: str) -> bytes | None:
    """A list of text, encrypted as one JSON value (None for an empty list)."""
    return seal(list_text(values), table, column)


def unseal_list(blob: bytes | None, table: str, column: str) -> list[str]:
    text = unseal(blob, table, column)
    return list(json.loads(text)) if text else []
