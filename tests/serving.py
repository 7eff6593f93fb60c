"""Waiting for a served ctdata process (uvicorn or `ctdata serve`) to answer, in one place.

CI runs the tests that start servers beside Spark tests, at a load of 15 on 2 cores; a server
there has taken over 30 s to answer its first request (stop 23), so every test waits as long.
"""

from __future__ import annotations

import subprocess
import time

import httpx

#: How long a served app may take to answer its first request.
STARTUP_SECONDS = 120


def wait_until_serving(proc: subprocess.Popen, url: str, timeout: float = STARTUP_SECONDS) -> None:
    """Return once `url` answers 200; raise (with the server's output) if it exits or stays silent."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            stream = proc.stdout or proc.stderr
            raise RuntimeError(f"the server exited early:\n{stream.read() if stream else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the server did not answer {url} within {timeout:.0f} s")
        time.sleep(0.2)
