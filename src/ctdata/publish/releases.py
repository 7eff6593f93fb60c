"""The registry of releases: versioned, immutable, approved before they are public.

One JSON index (``releases.json``) in the releases directory lists every
release with its state: ``draft`` (written, not public) -> ``approved`` (by a
data manager other than its creator, with when) -> ``withdrawn`` (with why).
Only approved releases are listed as public. Approval re-verifies the files
against the manifest, so a release altered after writing cannot be approved.
The store-side audit entry is the lead's to add around these calls.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ctdata.errors import Conflict, NotFound, PermissionDenied
from ctdata.publish.package import verify_release, write_release
from ctdata.text import Text

INDEX = "releases.json"


@dataclass
class ReleaseEntry:
    release_id: str
    kind: str
    version: int
    title: str
    created: str
    created_by: str
    state: str = "draft"
    digest: str = ""
    rows: int = 0
    approved_by: str | None = None
    approved_at: str | None = None
    withdrawn_by: str | None = None
    withdrawn_at: str | None = None
    withdrawn_reason: str | None = None


def approval_refusal(entry: ReleaseEntry, by: str) -> Conflict | PermissionDenied | None:
    """Why `by` may not approve this release (four eyes: never its creator; only a draft), or None.

    The registry's `approve` raises it; a page asks it to offer approval only where it would succeed.
    """
    if entry.state != "draft":
        state = Text("approved") if entry.state == "approved" else Text("withdrawn") if entry.state == "withdrawn" \
            else entry.state
        return Conflict(Text("release {release} is {state}; only a draft can be approved", release=entry.release_id,
                             state=state))
    if by == entry.created_by:
        return PermissionDenied(Text("a release must be approved by someone other than its creator (four eyes)"))
    return None


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class ReleaseRegistry:
    """Releases under one directory: ``<root>/<release_id>/`` plus ``<root>/releases.json``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # -- index
    def _load(self) -> list[ReleaseEntry]:
        path = self.root / INDEX
        if not path.exists():
            return []
        return [ReleaseEntry(**e) for e in json.loads(path.read_text(encoding="utf-8"))["releases"]]

    def _save(self, entries: list[ReleaseEntry]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"releases": [asdict(e) for e in entries]}, indent=2)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".releases.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, self.root / INDEX)

    def list(self, state: str | None = None) -> list[ReleaseEntry]:
        return [e for e in self._load() if state is None or e.state == state]

    def public(self) -> list[ReleaseEntry]:
        """What the portal may show and serve: approved releases only."""
        return self.list("approved")

    def get(self, release_id: str) -> ReleaseEntry:
        for e in self._load():
            if e.release_id == release_id:
                return e
        raise NotFound(Text("there is no release {release}", release=release_id))

    def path(self, release_id: str) -> Path:
        self.get(release_id)
        return self.root / release_id

    # -- lifecycle
    def create(
        self,
        df: pd.DataFrame,
        *,
        kind: str,
        title: str,
        settings: dict[str, Any],
        report: dict[str, Any],
        method_summary: str,
        created_by: str,
        caveats: tuple[str, ...] = (),
        tables: dict[str, tuple[pd.DataFrame, str]] | None = None,
    ) -> ReleaseEntry:
        """Write a new draft release with the next version number of its kind."""
        entries = self._load()
        version = 1 + max((e.version for e in entries if e.kind == kind), default=0)
        day = datetime.now(UTC).strftime("%Y%m%d")
        release_id = f"{kind}-{day}-v{version}"
        manifest = write_release(
            df,
            self.root / release_id,
            release_id=release_id,
            kind=kind,
            title=title,
            settings=settings,
            report=report,
            method_summary=method_summary,
            version=version,
            caveats=caveats,
            tables=tables,
        )
        entry = ReleaseEntry(
            release_id,
            kind,
            version,
            title,
            manifest["created"],
            created_by,
            digest=manifest["digest"],
            rows=manifest["rows"],
        )
        self._save(entries + [entry])
        return entry

    def _update(self, release_id: str, change) -> ReleaseEntry:
        entries = self._load()
        for i, e in enumerate(entries):
            if e.release_id == release_id:
                entries[i] = change(e)
                self._save(entries)
                return entries[i]
        raise NotFound(Text("there is no release {release}", release=release_id))

    def approve(self, release_id: str, by: str) -> ReleaseEntry:
        def change(e: ReleaseEntry) -> ReleaseEntry:
            refusal = approval_refusal(e, by)
            if refusal is not None:
                raise refusal
            bad = verify_release(self.root / release_id)
            if bad:
                raise Conflict(Text("release {release} no longer matches its manifest ({files}): make a new one",
                                    release=release_id, files=", ".join(bad)))
            e.state, e.approved_by, e.approved_at = "approved", by, _now()
            return e

        return self._update(release_id, change)

    def withdraw(self, release_id: str, by: str, reason: str) -> ReleaseEntry:
        def change(e: ReleaseEntry) -> ReleaseEntry:
            if e.state == "withdrawn":
                raise Conflict(Text("release {release} is already withdrawn", release=release_id))
            e.state, e.withdrawn_by, e.withdrawn_at, e.withdrawn_reason = "withdrawn", by, _now(), reason
            return e

        return self._update(release_id, change)

    def discard_drafts(self, by: str, reason: str) -> list[str]:
        """Withdraw every draft and delete its files; the ids discarded.

        A draft made from data that has since changed (a person's data erased) must not be
        approved. Approved releases stay as published: they are k-anonymised and public already.
        """
        entries = self._load()
        gone = []
        for e in entries:
            if e.state == "draft":
                e.state, e.withdrawn_by, e.withdrawn_at, e.withdrawn_reason = "withdrawn", by, _now(), reason
                gone.append(e.release_id)
        if gone:
            self._save(entries)
            for rid in gone:
                shutil.rmtree(self.root / rid, ignore_errors=True)
        return gone
