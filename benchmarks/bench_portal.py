"""The public portal under 50 concurrent clients: p50/p95 latency, errors and CPU per request (goal: p95 < 100 ms).

Server: a uvicorn subprocess on 127.0.0.1 serving ``ctdata.web.app:create_app`` as ``ctdata serve``
runs it: one worker process (the in-process login rate limit and SQLite locking assume one),
30 s keep-alive, no access log; uvicorn's default loop and HTTP parser (uvloop and httptools
when installed, else asyncio and h11). It serves one approved k-anonymised release of
~100,000 records (20,000 with --quick).

Client model: 50 httpx async clients request the dashboard (HTML) and the indicators API (JSON),
half each, with 0-2 filters drawn from the release's own values (0-3 in the ``cold`` phase).
Each client pauses (exponential, mean ``THINK`` = 0.5 s, so about 1.5-2 requests a second
each) between a response and its next request, and the clients arrive over the first second,
as people reading dashboards do. Phases:

- ``mixed``: requests drawn from a fixed set of 300 combinations, as visitors would (the first
  request of each is computed, repeats come from the response cache);
- ``cold``: every request a filter combination not asked before (nothing cached: aggregation,
  suppression of every table and rendering all run). The goal applies to this phase too: a
  visitor's new combination must be as fast as a popular one;
- ``saturation``: the mixed set again with no pause at all (throughput; informative).

Measures: p50/p95 latency, requests per second, and the server's CPU time per request
(user + system of the server process from /proc, divided by the requests of the phase): the
figure that does not depend on what else runs on the machine. Latency does: with each phase
go the 1-minute load average at its start and the cores other processes kept busy during it
(machine CPU from /proc/stat minus this server's and these clients'); on 2 cores with two
CPU-bound neighbours, p95 measures the scheduler more than the portal.

Baseline: the same 50 clients fetching ``/api/v1/health`` (a trivial JSON route of the
same server) in the same run, so the ratio says what the portal's own work adds.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
CLIENTS = 50
#: Mean pause of a client between pages (seconds): people read a dashboard before changing a filter.
THINK = 0.5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_release(root: Path, n: int) -> str:
    sys.path.insert(0, str(HERE))
    from bench_publish import make_rows

    from ctdata.publish.api import release_kanon
    from ctdata.publish.kanon import KAnonSettings
    from ctdata.publish.releases import ReleaseRegistry

    reg = ReleaseRegistry(root / "releases")
    entry, _ = release_kanon(make_rows(n, seed=11), KAnonSettings(), reg, created_by="bench-maker")
    reg.approve(entry.release_id, by="bench-checker")
    return entry.release_id


def _serve(root: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {
        **os.environ,
        "CTDATA_DATA_DIR": str(root),
        "CTDATA_RELEASES_DIR": str(root / "releases"),
        "CTDATA_DATABASE_URL": f"sqlite:///{root / 'ctdata.db'}",
    }
    env.pop("CTDATA_CONFIG", None)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "ctdata.web.app:create_app", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "30"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the portal server exited early")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the portal server did not start within 60 s")


def _server_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> float | None:
    """CPU seconds the whole machine has been busy (all cores; Linux /proc/stat), None where it is missing."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _combinations(options: dict[str, list[dict[str, str]]], count: int, seed: int, max_filters: int = 2) -> list[str]:
    """Distinct dashboard/API URLs with 0-``max_filters`` filters drawn from the release's own values."""
    rng = random.Random(seed)
    names = [n for n, v in options.items() if v]
    sizes = [0, 1, 1, 2, 2] + [3, 3] * (max_filters >= 3)  # with 2, the same draws as before 3 existed
    seen: set[str] = set()
    out: list[str] = []
    for _ in range(count * 50):
        if len(out) >= count:
            break
        chosen = rng.sample(names, min(len(names), rng.choice(sizes)))
        query = "&".join(f"{n}={rng.choice(options[n])['value']}" for n in sorted(chosen))
        path = rng.choice(["/portal/dashboard", "/portal/api/indicators"])
        url = f"{path}?{query}" if query else path
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


async def _load(
    base: str, urls: list[str], *, pid: int, seconds: float, max_requests: int, unique: bool, think: float
) -> dict[str, Any]:
    """CLIENTS concurrent clients; each request picks the next unique URL or a random one.

    ``think``: mean pause (exponential) of a client between a response and its next request,
    as a person reading a page; 0 sends back-to-back (saturation).
    """
    latencies: list[float] = []
    errors = 0
    kinds: Counter[str] = Counter()
    queue = list(reversed(urls))
    stop = time.monotonic() + seconds
    rng = random.Random(5)
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        if think:  # people arrive over a moment, not in one synchronised burst
            await asyncio.sleep(rng.uniform(0, 2 * think))
        while time.monotonic() < stop and len(latencies) + errors < max_requests:
            if unique:
                if not queue:
                    return
                url = queue.pop()
            else:
                url = rng.choice(urls)
            t0 = time.perf_counter()
            try:
                r = await http.get(url)
                ok = r.status_code == 200 and len(r.content) > 0
                kind = str(r.status_code)
            except httpx.HTTPError as exc:
                ok, kind = False, type(exc).__name__
            if ok:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1
                kinds[kind] += 1
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        cpu0, client0, all0 = _server_cpu(pid), time.process_time(), _machine_cpu()
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - t0
        cpu1, client1, all1 = _server_cpu(pid), time.process_time(), _machine_cpu()
    lat = sorted(latencies)
    done = max(1, len(lat) + errors)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "requests": len(lat),
        "errors": errors,
        "error_kinds": dict(kinds),
        "p50": pct(0.50),
        "p95": pct(0.95),
        "mean": statistics.fmean(lat) * 1000 if lat else float("nan"),
        "rps": len(lat) / elapsed if elapsed else 0.0,
        "cpu_ms": (cpu1 - cpu0) / done * 1000 if cpu0 is not None and cpu1 is not None else float("nan"),
        "client_cpu_ms": (client1 - client0) / done * 1000,
        "load": load,
        # cores kept busy by everything but this benchmark's server and clients (other people's work)
        "others": (
            max(0.0, (all1 - all0) - (cpu1 - cpu0) - (client1 - client0)) / elapsed
            if None not in (all0, all1, cpu0, cpu1) and elapsed
            else float("nan")
        ),
    }


def _row(
    measure: str, value: float, unit: str, goal: str, ok: bool | None, base: float | None = None
) -> dict[str, Any]:
    return {
        "benchmark": "portal",
        "measure": measure,
        "value": round(value, 2),
        "unit": unit,
        "baseline": "GET /api/v1/health, same clients" if base is not None else "",
        "baseline_value": round(base, 2) if base is not None else None,
        "ratio": round(value / base, 2) if base else None,
        "goal": goal,
        "ok": ok,
    }


def _busy(phase: dict[str, Any]) -> str:
    return f"load {phase['load']:.1f}, other processes {phase['others']:.1f} of {os.cpu_count()} cores"


def run(quick: bool = False) -> list[dict]:
    n = 20_000 if quick else 100_000
    seconds = 10.0 if quick else 30.0
    max_requests = 1_500 if quick else 6_000
    with tempfile.TemporaryDirectory(prefix="ctdata-bench-portal-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        _make_release(root, n)
        build_s = time.perf_counter() - t0
        proc, base = _serve(root)
        try:
            options = httpx.get(f"{base}/portal/api/indicators", timeout=60).json()["filter_options"]
            httpx.get(f"{base}/portal/dashboard", timeout=60)  # load the release once (not timed)
            common = {"pid": proc.pid, "seconds": seconds, "max_requests": max_requests, "think": THINK}
            baseline = asyncio.run(_load(base, ["/api/v1/health"], unique=False, **common))
            mixed_urls = _combinations(options, 300, seed=2)
            mixed = asyncio.run(_load(base, mixed_urls, unique=False, **common))
            cold_urls = _combinations(options, 400 if quick else 1500, seed=1, max_filters=3)
            cold_urls = [u for u in cold_urls if u not in set(mixed_urls)]
            cold = asyncio.run(_load(base, cold_urls, unique=True, **common | {"max_requests": len(cold_urls)}))
            sat_base = asyncio.run(_load(base, ["/api/v1/health"], unique=False, **common | {"think": 0.0}))
            sat = asyncio.run(_load(base, mixed_urls, unique=False, **common | {"think": 0.0}))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    goal = "p95 < 100 ms, no errors"
    who = f"{CLIENTS} clients, {THINK:g} s think"
    cpu_note = "server process CPU / request"
    return [
        _row(f"release of {n:,} records: k-anonymise + write + approve", build_s, "s", "", None),
        _row(
            f"mixed filters, {who}: p95 ({mixed['requests']} req, {mixed['errors']} errors, {_busy(mixed)})",
            mixed["p95"],
            "ms",
            goal,
            mixed["p95"] < 100 and mixed["errors"] == 0,
            baseline["p95"],
        ),
        _row("mixed filters: p50", mixed["p50"], "ms", "", None, baseline["p50"]),
        _row("mixed filters: throughput", mixed["rps"], "req/s", "", None, baseline["rps"]),
        _row(f"mixed filters: {cpu_note}", mixed["cpu_ms"], "ms", "", None, baseline["cpu_ms"]),
        _row(
            f"cold (every combination new, 0-3 filters), {who}: p95 ({cold['requests']} req, {cold['errors']} errors, "
            f"{_busy(cold)})",
            cold["p95"],
            "ms",
            goal,
            cold["p95"] < 100 and cold["errors"] == 0,
            baseline["p95"],
        ),
        _row("cold: p50", cold["p50"], "ms", "", None, baseline["p50"]),
        _row("cold: throughput", cold["rps"], "req/s", "", None, baseline["rps"]),
        _row(f"cold: {cpu_note}", cold["cpu_ms"], "ms", "the figure to optimise", None, baseline["cpu_ms"]),
        _row("cold: load generator CPU / request (informative)", cold["client_cpu_ms"], "ms", "", None),
        _row(
            f"saturation, {CLIENTS} clients back-to-back: throughput ({sat['errors']} errors, {_busy(sat)})",
            sat["rps"],
            "req/s",
            "informative",
            sat["errors"] == 0,
            sat_base["rps"],
        ),
        _row("saturation: p95", sat["p95"], "ms", "informative", None, sat_base["p95"]),
        _row(f"saturation: {cpu_note}", sat["cpu_ms"], "ms", "informative", None, sat_base["cpu_ms"]),
    ]


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
