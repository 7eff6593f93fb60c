"""A large first import prepares its rows in a second process while this one writes them.

Reading, validating, pseudonymising and encrypting a million rows is Python
work that holds the GIL, and so is binding rows in ``executemany``: on one
interpreter the two halves take turns. Here a child interpreter (a fresh
``python -m ctdata.ingest.parallel``: it shares no database connection or
thread with us, and needs no ``if __name__ == "__main__"`` guard in the
caller's script) reads the files and builds
the prepared tuples and quarantine rows, batch by batch, with the same import
pipeline as the in-process path; this process only runs ``executemany`` inside the
import's one transaction. A failure on either side raises here, and the
transaction rolls back as before.

The child decides ids and duplicates on its own, so it is used only when that
is safe without asking the database: SQLite (this transaction holds the write
lock, so ids counted from max(id) cannot be taken by anyone else), a case
record table with no rows yet (no row of the file can already be present or
need an update), a plain or gzip CSV, and a file large enough to pay for the
second interpreter (about 1-2 s to start). Everything else runs in process.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ctdata.errors import CtdataError
from ctdata.ingest.readers import Table
from ctdata.ingest.result import ImportResult
from ctdata.ingest.sinks import Columns, QuarantineLog, write_columns, write_quarantine
from ctdata.store.crypto import KeyRing
from ctdata.store.models import Assistance, CaseRecord, JourneyLeg, Perpetrator, Person, ReturnRecord

#: smallest file (data rows) worth a second process
MIN_ROWS = 100_000
#: set False to keep every import in one process
ENABLED = True
_MODELS: dict[str, type] = {
    m.__tablename__: m for m in (Person, CaseRecord, JourneyLeg, Assistance, ReturnRecord, Perpetrator)
}


def usable(session: Session, table: Table, expected_rows: int) -> bool:
    if not ENABLED or expected_rows < MIN_ROWS or table.kind not in ("csv", "csv.gz"):
        return False
    if session.get_bind().dialect.name != "sqlite":
        return False
    return session.execute(select(CaseRecord.id).limit(1)).first() is None


def run(
    session: Session,
    keys: KeyRing,
    batch_id: int,
    result: ImportResult,
    table: Table,
    companions: dict[str, tuple[Path, str | None]],
    encoding: str,
    progress: Callable[[int], None] | None,
    log: QuarantineLog,
    watch: set[str],
) -> tuple[list[int], dict[str, int], dict[str, set[str]]]:
    """Import the records file and its companions through a preparing child; returns the new case ids,
    the watched record ids loaded (with their case ids) and those met in each companion table."""
    starts = {
        t: (session.execute(text(f"SELECT max(id) FROM {t}")).scalar() or 0) + 1 for t in ("persons", "case_records")
    }
    keys.note_use()  # the child encrypts with it: the commit checks it is still the store's key
    params = {
        "records": (str(table.path), table.kind, list(table.columns), table.sha256, table.encoding),
        "companions": [(name, str(p), sheet) for name, (p, sheet) in companions.items()],
        "encoding": encoding,
        "keys": (keys.enc_key, keys.mac_key, keys.key_id),
        "batch_id": batch_id,
        "starts": starts,
        "path": result.path,
        "watch": sorted(watch),
    }
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ctdata.ingest.parallel"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            pickle.dump(params, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.close()
            while True:
                msg = _next(proc, err)
                if msg[0] == "batch":
                    for item in msg[1]:
                        if item[0] == "rows":
                            write_columns(session, _MODELS[item[1]], item[2], item[3])
                        else:
                            write_quarantine(session, item[1], log)
                    if progress and msg[2]:
                        progress(msg[2])
                elif msg[0] == "error":
                    raise msg[1]
                else:
                    summary = msg[1]
                    for k in ("rows_read", "loaded", "quarantined", "inserted", "updated", "already_present"):
                        setattr(result, k, summary[k])
                    result.reasons = summary["reasons"]
                    result.tables.update(summary["tables"])
                    result.agencies.update(summary["agencies"])
                    return summary["new_ids"], summary["watched_loaded"], summary["watched_in"]
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()


def _next(proc: subprocess.Popen[bytes], err: Any) -> Any:
    try:
        return pickle.load(proc.stdout)  # type: ignore[arg-type]
    except (EOFError, pickle.UnpicklingError):
        code = proc.wait()
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else "no message"
        raise CtdataError(f"the import's preparing process stopped unexpectedly (exit code {code}: {last})") from None


class _QueueSink:
    """Collects one batch's rows and sends them as one message."""

    def __init__(self, q: Any) -> None:
        self.q = q
        self.items: list[tuple[Any, ...]] = []
        self.counting = True

    def rows(self, model: type, names: Any, columns: Columns) -> None:
        self.items.append(("rows", model.__tablename__, tuple(names), columns))  # type: ignore[attr-defined]

    def quarantine(self, rows: list[dict[str, Any]]) -> None:
        self.items.append(("quarantine", rows))

    def end_batch(self, rows_read: int) -> None:
        self.q.put(("batch", self.items, rows_read if self.counting else 0))
        self.items = []


class _Pipe:
    """A queue-like writer of pickled messages (the pipe's buffer bounds how far the child runs ahead)."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def put(self, msg: Any) -> None:
        pickle.dump(msg, self.out, protocol=pickle.HIGHEST_PROTOCOL)
        self.out.flush()


def _work(params: dict[str, Any], q: Any) -> None:
    """The child: read, validate and prepare every row; send the rows, then the counts."""
    try:
        q.put(("done", _prepare(params, q)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the writing process
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            exc = CtdataError(f"{type(exc).__name__}: {exc}")
        q.put(("error", exc))


def _prepare(params: dict[str, Any], q: Any) -> dict[str, Any]:
    from ctdata.ingest.columns import batches
    from ctdata.ingest.mappers import TemplateMapper
    from ctdata.ingest.pipeline import Pipeline
    from ctdata.ingest.standard_import import open_companion

    path, kind, columns, sha, tenc = params["records"]
    table = Table(Path(path), kind, columns, sha, iter(()), encoding=tenc)
    result = ImportResult(kind="standard", path=params["path"])
    sink = _QueueSink(q)
    pipe = Pipeline(
        None,
        KeyRing(*params["keys"]),
        params["batch_id"],
        TemplateMapper(),
        result,
        sink,
        fresh=True,  # the store held no case record when the import began
        starts=params["starts"],
        watch=set(params["watch"]),
    )
    pipe.records(batches(table))
    sink.counting = False
    for name, cpath, csheet in params["companions"]:
        pipe.companion(name, batches(open_companion(name, cpath, params["encoding"], csheet)))
    return {
        "rows_read": result.rows_read,
        "loaded": result.loaded,
        "quarantined": result.quarantined,
        "inserted": result.inserted,
        "updated": result.updated,
        "already_present": result.already_present,
        "reasons": result.reasons,
        "tables": result.tables,
        "agencies": sorted(result.agencies),
        "new_ids": sorted(pipe.new_ids),
        "watched_loaded": pipe.watched_loaded(),
        "watched_in": pipe.watched_in,
    }


if __name__ == "__main__":  # the preparing child: params on stdin, messages on stdout
    _out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the message stream
    _work(pickle.load(sys.stdin.buffer), _Pipe(_out))
    _out.close()
