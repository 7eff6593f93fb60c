"""The public portal under 50 concurrent clients: p50/p95 latency and errors (goal: p95 < 100 ms).

A uvicorn subprocess on 127.0.0.1 serves the app with one approved k-anonymised release
of ~100,000 records (20,000 with --quick). 50 httpx async clients then request the
dashboard and the indicators API with varied filters (0-2 filters drawn from the
release's own values), for a bounded time and request count. Each client pauses
(exponential, mean ``THINK`` = 0.5 s) between a response and its next request, and the
clients arrive over the first second, as people reading dashboards do. Phases:

- ``cold``: every request a filter combination not asked before (nothing cached: the
  DuckDB query, the suppression of every table and the page rendering all run);
- ``mixed``: requests drawn from a fixed set of 300 combinations, as visitors would
  (the response cache serves repeats). This is the phase the goal applies to;
- ``saturation``: the mixed set again with no pause at all (throughput; informative).

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
    cmd += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
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


def _combinations(options: dict[str, list[dict[str, str]]], count: int, seed: int) -> list[str]:
    """Distinct dashboard/API URLs with 0-2 filters drawn from the release's own values."""
    rng = random.Random(seed)
    names = [n for n, v in options.items() if v]
    seen: set[str] = set()
    out: list[str] = []
    for _ in range(count * 50):
        if len(out) >= count:
            break
        chosen = rng.sample(names, rng.choice([0, 1, 1, 2, 2]))
        query = "&".join(f"{n}={rng.choice(options[n])['value']}" for n in sorted(chosen))
        path = rng.choice(["/portal/dashboard", "/portal/api/indicators"])
        url = f"{path}?{query}" if query else path
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


async def _load(
    base: str, urls: list[str], *, seconds: float, max_requests: int, unique: bool, think: float
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

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - t0
    lat = sorted(latencies)

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
            common = {"seconds": seconds, "max_requests": max_requests, "think": THINK}
            baseline = asyncio.run(_load(base, ["/api/v1/health"], unique=False, **common))
            mixed_urls = _combinations(options, 300, seed=2)
            mixed = asyncio.run(_load(base, mixed_urls, unique=False, **common))
            cold_urls = _combinations(options, 400 if quick else 1500, seed=1)
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
    return [
        _row(f"release of {n:,} records: k-anonymise + write + approve", build_s, "s", "", None),
        _row(
            f"mixed filters, {who}: p95 ({mixed['requests']} req, {mixed['errors']} errors)",
            mixed["p95"],
            "ms",
            goal,
            mixed["p95"] < 100 and mixed["errors"] == 0,
            baseline["p95"],
        ),
        _row("mixed filters: p50", mixed["p50"], "ms", "", None, baseline["p50"]),
        _row("mixed filters: throughput", mixed["rps"], "req/s", "", None, baseline["rps"]),
        _row(
            f"cold (every combination new), {who}: p95 ({cold['requests']} req, {cold['errors']} errors)",
            cold["p95"],
            "ms",
            "informative: nothing cached",
            cold["errors"] == 0,
            baseline["p95"],
        ),
        _row("cold: p50", cold["p50"], "ms", "", None, baseline["p50"]),
        _row(
            f"saturation, {CLIENTS} clients back-to-back: throughput ({sat['errors']} errors)",
            sat["rps"],
            "req/s",
            "informative",
            sat["errors"] == 0,
            sat_base["rps"],
        ),
        _row("saturation: p95", sat["p95"], "ms", "informative", None, sat_base["p95"]),
    ]


if __name__ == "__main__":
    for r in run(quick="--quick" in sys.argv):
        print(r)
