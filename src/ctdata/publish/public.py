"""What the public portal may see: approved releases, their manifests and files, nothing else.

Everything the portal shows or serves goes through `PublishedReleases`. It lists
only ``ReleaseRegistry.public()`` (approved) releases, serves a file only when its
name is a key of that release's ``manifest.json`` and its bytes still match the
checksum there, and never builds a path from user input: the file name is looked
up in the manifest and the path is joined from the manifest's own key. Draft and
withdrawn releases, unknown ids and unlisted names are all the same 404.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ctdata.config import settings
from ctdata.errors import Conflict, NotFound
from ctdata.publish.package import sha256_file
from ctdata.publish.releases import INDEX, ReleaseEntry, ReleaseRegistry
from ctdata.publish.settings import K
from ctdata.text import Text

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
}
#: what each file is and the kinds of release (`Text`: English in the JSON, the reader's language on a page)
FILE_DESCRIPTIONS: dict[str, str] = {
    "records.csv": Text("Records as CSV (UTF-8; row 2 holds the HXL hashtags)"),
    "records.parquet": Text("Records as Parquet"),
    "records.xlsx": Text("Records as an Excel workbook"),
    "corridors.csv": Text(
        "Corridor counts: citizenship to country of exploitation, pairs with at least k records (CSV)"
    ),
    "codebook.csv": Text("Codebook: every column's values, labels and counts (CSV)"),
    "codebook.md": Text("Codebook (Markdown)"),
    "datapackage.json": Text("Frictionless Data Package descriptor"),
    "README.md": Text("Method, parameters, disclosure checks, caveats and checksums"),
    "settings.json": Text("Settings to reproduce the release"),
    "report.json": Text("Disclosure-check and utility report"),
    "manifest.json": Text("SHA-256 checksum of every file"),
}
KIND_LABELS: dict[str, str] = {
    "kanon": Text("k-anonymised records"),
    "synthetic": Text("Differentially private synthetic records"),
}


@dataclass(frozen=True)
class FileInfo:
    name: str
    sha256: str
    bytes: int
    description: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(Path(self.name).suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class PublicRelease:
    """An approved release as the public sees it (no staff usernames)."""

    release_id: str
    kind: str
    version: int
    title: str
    created: str
    approved_at: str
    digest: str
    rows: int
    path: Path

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @cached_property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        return data

    @cached_property
    def settings(self) -> dict[str, Any]:
        p = self.path / "settings.json"
        if "settings.json" not in self.manifest["files"] or not p.exists():
            return {}
        data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
        return data

    @property
    def k(self) -> int:
        """The release's k: cells below it are suppressed in every table the portal shows."""
        try:
            k = int(self.settings.get("k", K))  # a release that states no k: DESIGN §5
        except (TypeError, ValueError):
            k = K
        return max(k, 2)

    def files(self) -> list[FileInfo]:
        out = [
            FileInfo(name, str(m["sha256"]), int(m["bytes"]), FILE_DESCRIPTIONS.get(name, name))
            for name, m in sorted(self.manifest["files"].items())
        ]
        mpath = self.path / "manifest.json"
        out.append(
            FileInfo("manifest.json", sha256_file(mpath), mpath.stat().st_size, FILE_DESCRIPTIONS["manifest.json"])
        )
        return out

    def text(self, name: str) -> str:
        """A documentation file's text (checked against the manifest)."""
        return _checked_path(self, name).read_text(encoding="utf-8")


def _public(e: ReleaseEntry, root: Path) -> PublicRelease:
    return PublicRelease(
        e.release_id, e.kind, e.version, e.title, e.created, e.approved_at or "", e.digest, e.rows, root / e.release_id
    )


_verified: dict[tuple[str, str], str] = {}
_verified_lock = threading.Lock()


def _checked_path(release: PublicRelease, name: str) -> Path:
    """The path of a file listed in the release's manifest, verified once per process; else NotFound."""
    files = release.manifest["files"]
    if name == "manifest.json":
        return release.path / "manifest.json"
    # look the name up among the manifest's keys, and build the path from the key, never from the request
    key = next((k for k in files if k == name), None)
    if key is None or "/" in key or "\\" in key or key.startswith("."):
        raise NotFound(Text("release {release} has no file “{name}”", release=release.release_id, name=name))
    path = release.path / key
    want = str(files[key]["sha256"])
    with _verified_lock:
        ok = _verified.get((str(path), release.digest)) == want
    if not ok:
        if not path.is_file() or sha256_file(path) != want:
            raise Conflict(f"{key} of release {release.release_id} no longer matches its manifest")
        with _verified_lock:
            _verified[(str(path), release.digest)] = want
    return path


class PublishedReleases:
    """The approved releases under the configured releases directory, re-read when the index changes."""

    _lock = threading.Lock()
    _cache: dict[str, tuple[tuple[int, int], list[PublicRelease]]] = {}

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or settings().releases_dir)

    def stamp(self) -> tuple[int, int]:
        """Changes whenever the registry index is rewritten (create, approve, withdraw)."""
        try:
            st = (self.root / INDEX).stat()
        except OSError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def list(self) -> list[PublicRelease]:
        """Approved releases, newest first."""
        stamp = self.stamp()
        key = str(self.root)
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] == stamp:
                return hit[1]
        entries = ReleaseRegistry(self.root).public()
        out = [_public(e, self.root) for e in entries if (self.root / e.release_id / "manifest.json").is_file()]
        out.sort(key=lambda r: (r.created, r.version, r.release_id), reverse=True)
        with self._lock:
            self._cache[key] = (stamp, out)
        return out

    def get(self, release_id: str) -> PublicRelease:
        for r in self.list():
            if r.release_id == release_id:
                return r
        raise NotFound(Text("no published release “{release}”", release=release_id))

    def default(self) -> PublicRelease | None:
        """The release the dashboards show unless the visitor picks another: the newest k-anonymised one."""
        releases = self.list()
        kanon = [r for r in releases if r.kind == "kanon"]
        return (kanon or releases or [None])[0]

    def newest_by_kind(self) -> list[PublicRelease]:
        seen: dict[str, PublicRelease] = {}
        for r in self.list():
            seen.setdefault(r.kind, r)
        return list(seen.values())

    def file(self, release_id: str, name: str) -> tuple[Path, FileInfo]:
        """A downloadable file of an approved release (NotFound for anything else)."""
        release = self.get(release_id)
        path = _checked_path(release, name)
        info = next(f for f in release.files() if f.name == path.name)
        return path, info
