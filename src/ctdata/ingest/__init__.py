"""ctdata.ingest: partner files and public releases into the case store, through one pipeline.

    source       readers.py, columns.py      a file as column batches (Arrow for clean CSV, else the row reader)
    mapper       mappers.py                  template columns and each row's identity (template, CTDC)
    validation   validate.py                 the standard's parsers, each distinct value once
    classify     classify.py                 new, changed, already present or conflicting
    prepare      prepare.py                  stored form; pseudonyms and ciphertexts via store.persons
    sink         sinks.py, writer.py,        writer thread, at once, or from a preparing child process
                 parallel.py

``pipeline.py`` runs the stages; ``standard_import.py``, ``ctdc_import.py`` and
``field_import.py`` (ODK Central and KoboToolbox exports of the form that
``xlsform.py`` generates) are the entry points of the file kinds, ``quarantine.py`` lists and retries
quarantined rows through the same pipeline, and ``result.py`` is the summary
every import returns (rows read = new + changed + present + quarantined).
"""

__all__ = [
    "classify",
    "columns",
    "ctdc_import",
    "field_import",
    "mappers",
    "pipeline",
    "prepare",
    "quarantine",
    "result",
    "sinks",
    "standard_import",
    "validate",
    "xlsform",
]
