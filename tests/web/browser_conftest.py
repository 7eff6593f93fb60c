"""Fixtures for the browser tests: a live ctdata server on a temporary store, and Debian's Chromium.

The server runs as a uvicorn subprocess on 127.0.0.1 with a random free port and its
own CTDATA_DATA_DIR, so nothing it caches leaks into other tests. Users are created
beforehand in this process through the case services, on the same SQLite file.
Screenshots go to $CTDATA_SCREENSHOTS when set (to look at them), else a pytest tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.serving import wait_until_serving

PASSWORD = "correct horse battery"
USERS = {
    # username: (role, office country, agency)
    "dest.cw": ("caseworker", "TH", "IOM"),
    "origin.cw": ("caseworker", "LA", "IOM"),
    "other.cw": ("caseworker", "MM", "IOM"),
    "data.manager": ("data_manager", None, "IOM"),
    "analyst": ("analyst", None, None),
    "public.user": ("public", None, None),
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    shots: Path
    users: dict[str, tuple[str, str | None, str | None]] = field(default_factory=lambda: dict(USERS))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_environment(data_dir: Path, db_url: str) -> Iterator[None]:
    """Work in this process with the server's data directory and store (its keys), then restore the environment.

    The store records the fingerprint of its keys and the audit chain is keyed: accounts or cases
    made with another directory's keys would make a store that the server rightly refuses.
    """
    from tests.conftest import reset_caches

    saved = {k: os.environ.get(k) for k in ("CTDATA_DATA_DIR", "CTDATA_DATABASE_URL")}
    os.environ["CTDATA_DATA_DIR"] = str(data_dir)
    os.environ["CTDATA_DATABASE_URL"] = db_url
    reset_caches()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_caches()


def login(chrome: Any, server: LiveServer, username: str, timeout: int = 10_000, **kw: Any) -> tuple[Any, Any]:
    """A new browser context signed in as `username` on the cases page: (context, page)."""
    ctx = chrome.new_context(base_url=server.url, **kw)
    ctx.set_default_timeout(timeout)
    page = ctx.new_page()
    page.goto("/login")
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/cases"))
    return ctx, page


def wait_until(page: Any, predicate: str, timeout: int = 15_000) -> Any:
    """Evaluate the JavaScript `predicate` (which may be async) until it is truthy; its value.

    Playwright's `wait_for_function` does not await a predicate's promise: a promise is truthy, so it
    returns after one evaluation whatever the promise resolves to. Storage checks (IndexedDB, caches,
    the service worker) are all asynchronous, so they are polled here through `evaluate`, which awaits.
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} ms: {predicate}")
        time.sleep(0.1)


def _create_users(db_url: str, data_dir: Path) -> None:
    """Create the accounts with the server's own data directory, so they are keyed with its keys."""
    with server_environment(data_dir, db_url):
        _create_users_here(db_url)


def _create_users_here(db_url: str) -> None:
    from ctdata.cases import users
    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import store_engine, transaction
    from tests.cases.conftest import ensure_agency

    eng = store_engine(db_url)
    with transaction(eng) as s:
        for name, (role, country, agency) in USERS.items():
            ensure_agency(s, agency)
            users.create_user(s, SYSTEM, name, PASSWORD, role, country, agency)
    eng.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live-store")
    shots = Path(os.environ.get("CTDATA_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{data_dir / 'ctdata.db'}"
    _create_users(db_url, data_dir)
    port = _free_port()
    env = {**os.environ, "CTDATA_DATA_DIR": str(data_dir), "CTDATA_DATABASE_URL": db_url}
    env.pop("CTDATA_CONFIG", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "ctdata.web.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, f"{url}/login")
    try:
        yield LiveServer(url, data_dir, shots)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
