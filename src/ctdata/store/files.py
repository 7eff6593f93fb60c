"""Files and directories of the data directory, readable by their owner only.

The data directory holds the case store, the keys, the warehouse and the
releases: a directory or file that others can read would hand them names and
documents (or the key to them). Directories ctdata creates are 0700 and the
files it creates are 0600, whatever the process's umask; SQLite gives its WAL
and shared-memory files the mode of the database file, so they follow.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def private_dir(path: Path | str) -> Path:
    """Create a directory, and any missing parent, with mode 0700 (an existing one is left as it is)."""
    path = Path(path).expanduser()
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)
    return path


def private_file(path: Path | str) -> Path:
    """Create an empty file with mode 0600 unless it exists (its directory is made private first)."""
    path = Path(path).expanduser()
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def _written_beside(path: Path, data: bytes, *, durable: bool) -> Path:
    """`data` in a new private file beside `path`, under a name no other thread or process uses."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def create_private_once(path: Path | str, data: bytes) -> bool:
    """Create `path` (mode 0600) holding `data` unless it exists; True when this call created it.

    Written whole and synced under another name, then linked into place: link refuses an existing file,
    so the first caller's content wins, and no thread or process ever reads the file created but not yet
    written (an O_EXCL create followed by a write leaves such a moment). Key files are made this way.
    """
    path = Path(path)
    tmp = _written_beside(path, data, durable=True)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def write_private(path: Path | str, data: bytes, *, durable: bool = True) -> None:
    """Replace a file atomically with `data`, mode 0600 (a crash leaves the old or the new file, whole).

    `durable=False` skips the fsync: for a file rewritten very often whose older content is still
    valid after a power loss (the rename is atomic; ext4 and XFS flush a replaced file's data first).
    """
    path = Path(path)
    tmp = _written_beside(path, data, durable=durable)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
