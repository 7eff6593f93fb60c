from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctdata.errors import ConfigError
from ctdata.store.crypto import load_keyring


def test_key_file_created_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k.key"
    ring = load_keyring(path)
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_keyring(path)
    assert again.enc_key == ring.enc_key and again.mac_key == ring.mac_key


def test_world_readable_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    load_keyring(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_keyring(path)


@given(st.text(min_size=1, max_size=200))
def test_encrypt_round_trip(value: str) -> None:
    ring = load_keyring(Path(os.environ.get("TMPDIR", "/tmp")) / "ctdata-hypothesis-test.key")
    blob = ring.encrypt(value, "given_name")
    assert blob is not None
    if len(value.encode()) >= 8:  # shorter byte strings can occur in random ciphertext by chance
        assert value.encode() not in blob
    assert ring.decrypt(blob, "given_name") == value


def test_ciphertext_is_bound_to_field_and_key(tmp_path: Path) -> None:
    a, b = load_keyring(tmp_path / "a.key"), load_keyring(tmp_path / "b.key")
    blob = a.encrypt("Olena", "given_name")
    assert a.encrypt("Olena", "given_name") != blob  # fresh nonce each time
    with pytest.raises(ConfigError):
        a.decrypt(blob, "family_name")
    with pytest.raises(ConfigError, match="wrong key"):
        b.decrypt(blob, "given_name")


def test_pseudonyms_are_keyed_and_normalised(tmp_path: Path) -> None:
    a, b = load_keyring(tmp_path / "a.key"), load_keyring(tmp_path / "b.key")
    assert a.pseudonym("Olena", "SHEVCHENKO") == a.pseudonym(" olena ", "shevchenko")
    assert a.pseudonym("Olena") != b.pseudonym("Olena")
    assert a.pseudonym(1, purpose="record") != a.pseudonym(1, purpose="person")


def test_processes_creating_the_key_file_at_once_all_read_the_one_key(tmp_path) -> None:
    """Two processes opening a new store both create its key file: the second must never read a file
    the first has created but not yet written (it failed with 'not a ctdata key file'), and every
    process ends with the same key."""
    import subprocess
    import sys

    code = (
        "import sys, time\nfrom pathlib import Path\nfrom ctdata.store.crypto import load_keyring\n"
        "go = Path(sys.argv[2])\nprint('ready', flush=True)\nwhile not go.exists(): time.sleep(0.001)\n"
        "print(load_keyring(Path(sys.argv[1])).key_id, flush=True)\n"
    )
    for round_ in range(3):
        key, go = tmp_path / f"r{round_}" / "ctdata.key", tmp_path / f"go{round_}"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(key), str(go)], text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(6)]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        go.touch()
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err[-300:] for _, err in outs]
        assert len({out.strip() for out, _ in outs}) == 1


def test_a_second_caller_never_reads_an_audit_key_created_but_not_yet_written(tmp_path, monkeypatch) -> None:
    """The audit key was created empty (O_EXCL) and then written: a thread or process that came between read
    the empty file and failed ('not a ctdata audit key file'), as a CI run of six committing threads did.
    The second caller is run at the worst moment, while the first is writing; both must get the one key."""
    import json

    from ctdata.store import crypto

    path = tmp_path / "keys" / "audit.key"
    seen: list[object] = []
    real_dump, real_dumps = json.dump, json.dumps

    def interleave() -> None:
        if not seen:
            seen.append(None)
            seen[0] = crypto.load_audit_key(path, create=True)  # the other caller, mid-write of the first

    def dump(*a, **kw):
        interleave()
        return real_dump(*a, **kw)

    def dumps(*a, **kw):
        interleave()
        return real_dumps(*a, **kw)

    monkeypatch.setattr(json, "dump", dump)
    monkeypatch.setattr(json, "dumps", dumps)
    first = crypto.load_audit_key(path, create=True)
    assert seen and first is not None and seen[0] is not None
    assert first.key_id == seen[0].key_id  # type: ignore[union-attr]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["audit.key"]  # no temporary file left behind
