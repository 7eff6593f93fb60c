"""`ctdata import ctdc`: a public CTDC release into the case store.

Records of a public release have no office and sometimes no year; they are
stored as instances of assistance with ``source_kind='public_release'`` (which
counts as consented for research, being already public). The source key is the
file's digest, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ctdata.errors import CtdataError
from ctdata.ingest.ctdc import detect_release, map_row
from ctdata.ingest.loader import ImportResult, RecordLoader, finish_batch, start_batch
from ctdata.ingest.readers import RawRow, open_table
from ctdata.ingest.standard_import import _count_rows
from ctdata.ingest.validate import TableValidator
from ctdata.store import db
from ctdata.store.crypto import keyring


def import_ctdc(path: Path | str, *, actor: str = "cli", encoding: str = "utf-8-sig",
                progress: Callable[[int], None] | None = None,
                on_total: Callable[[int], None] | None = None) -> ImportResult:
    table = open_table(Path(path), encoding=encoding)
    release = detect_release(table.columns)
    source = f"ctdc-{table.sha256[:12]}"
    result = ImportResult(kind="ctdc", path=str(path), release=release.label, notices=list(table.notices))
    validator = TableValidator("records", relax=frozenset({"office_country", "registration_date"}))

    def validate(raw: RawRow) -> dict[str, Any]:
        return validator.row(map_row(release, raw.values, raw.number, source))

    def validate_many(raws: list[RawRow]) -> list[dict[str, Any] | str]:
        mapped: list[RawRow | str] = []
        for raw in raws:
            try:
                mapped.append(RawRow(raw.number, map_row(release, raw.values, raw.number, source)))
            except CtdataError as exc:
                mapped.append(str(exc))
        checked = iter(validator.rows([m for m in mapped if not isinstance(m, str)]))
        return [m if isinstance(m, str) else next(checked) for m in mapped]

    if on_total:
        on_total(_count_rows(table))
    keys = keyring()
    eng = db.upgrade()
    with db.session_scope(eng) as session:
        batch = start_batch(session, kind="ctdc", source=source, table=table, actor=actor, release=release.label)
        loader = RecordLoader(session, keys, batch, "ctdc", "public_release", validate,
                              lambda _r: source, result, progress, validate_many)
        loader.run(table.rows)
        finish_batch(session, batch, result, actor, sorted(loader.new_ids))
    return result
