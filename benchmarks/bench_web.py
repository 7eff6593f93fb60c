"""Load test of `ctdata serve`: 50 concurrent caseworkers reading and writing cases in a store of 100,000.

The store is filled with the standard importer from a generated records.csv
(names, dates of birth, offices across 10 countries), then the app runs under
uvicorn in a subprocess on 127.0.0.1 (loopback only), and 50 httpx clients, each
logged in as a caseworker of one of the offices, issue a mix of requests for a
bounded time and number of requests:

- reads (75 %): GET a case of their office (with its children), or a page of the case list;
- writes (25 %): POST a journey leg or an assistance record, or PATCH the case with its version
  (a 409 from a colleague's concurrent edit is a correct answer, counted apart, not an error).

Each client pauses about `think` seconds (exponential, mean 1 s by default) between
requests, as people read what they asked for: 50 such clients offer ~50 requests a
second, and the goals are measured under that load. A second, short phase with no
pause measures the server's capacity (requests per second at saturation) and its
latency there, reported beside the goals so the margin is visible. The load generator
shares the machine's cores with the server.
Goals (issue 4): p95 under 100 ms for reads and 200 ms for writes on 2 cores, zero errors.
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OFFICES = ["TH", "VN", "KH", "MM", "LA", "PH", "ID", "MY", "NP", "BD"]
GIVEN = "Mai Linh Anh Thu Hoa Lan Minh Nam Tuan Dara Sok Aung Thida Nimal Rina Siti Budi Arjun Maya Ana".split()
FAMILY = "Tran Nguyen Pham Le Vo Chan Sok Win Aye Perera Santos Reyes Dewi Rahman Khan Thapa Shah".split()
READ_GOAL_MS, WRITE_GOAL_MS = 100.0, 200.0


def write_records(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    cols = [
        "record_id",
        "agency",
        "office_country",
        "registration_date",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "citizenship",
        "status",
        "consent_research",
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i in range(n):
            year = rng.randint(2015, 2024)
            w.writerow(
                [
                    f"B{i:07d}",
                    "IOM",
                    OFFICES[i % len(OFFICES)],
                    f"{year}-{rng.randint(1, 12):02d}-15",
                    rng.choice(GIVEN),
                    rng.choice(FAMILY),
                    f"{year - rng.randint(8, 50)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(["female", "male"]),
                    rng.choice(OFFICES),
                    rng.choice(["victim_of_trafficking", "vulnerable_migrant", "screening"]),
                    "1",
                ]
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_store(data_dir: Path, n: int, clients: int) -> tuple[float, dict[str, list[int]], list[str]]:
    """Import n cases and create one caseworker per client; returns (seconds, case ids by office, users)."""
    os.environ["CTDATA_DATA_DIR"] = str(data_dir)
    os.environ["CTDATA_DATABASE_URL"] = f"sqlite:///{data_dir / 'ctdata.db'}"
    from sqlalchemy import select

    from ctdata.cases.access import SYSTEM
    from ctdata.cases.tx import store_engine, transaction
    from ctdata.cases.users import create_user
    from ctdata.config import reset_settings
    from ctdata.ingest.standard_import import import_standard
    from ctdata.store import crypto, db
    from ctdata.store.models import CaseRecord

    reset_settings()
    db.engine_for.cache_clear()
    crypto.keyring_for.cache_clear()
    folder = data_dir / "import"
    folder.mkdir(parents=True)
    write_records(folder / "records.csv", n)
    t0 = time.perf_counter()
    import_standard(folder / "records.csv", actor="bench")
    seconds = time.perf_counter() - t0
    eng = store_engine()
    users = []
    with transaction(eng) as s:
        for i in range(clients):
            name = f"cw{i:02d}"
            create_user(s, SYSTEM, name, "bench-password", "caseworker", OFFICES[i % len(OFFICES)], "IOM")
            users.append(name)
        ids: dict[str, list[int]] = {o: [] for o in OFFICES}
        for cid, office in s.execute(select(CaseRecord.id, CaseRecord.current_office_country)):
            ids[office].append(cid)
    eng.dispose()
    return seconds, ids, users


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CTDATA_DATA_DIR": str(data_dir), "CTDATA_DATABASE_URL": f"sqlite:///{data_dir / 'ctdata.db'}"}
    code = f"from ctdata.web.serve import serve; serve('127.0.0.1', {port}, log_level='warning')"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _tail(out: str | bytes | None) -> str:
    """The last lines a server wrote to its error stream (text or bytes)."""
    if not out:
        return ""
    return (out.decode(errors="replace") if isinstance(out, bytes) else out)[-2000:]


async def wait_ready(base: str, proc: subprocess.Popen[Any], timeout: float = 60.0) -> None:
    """Until the server answers its health check; its error stream if it exits or never answers."""
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {_tail(proc.stderr.read() if proc.stderr else None)}")
            try:
                if (await c.get("/api/v1/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"the server did not become ready in {timeout:.0f} s: {_tail(proc.communicate(timeout=60)[1])}")


async def _load(
    base: str,
    users: list[str],
    ids: dict[str, list[int]],
    seconds: float,
    max_requests: int,
    think: float,
    seed: int = 1,
) -> dict[str, object]:
    import httpx

    lat: dict[str, list[float]] = {"read": [], "write": []}
    counts = {"errors": 0, "conflicts": 0, "requests": 0}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=len(users) + 5, max_keepalive_connections=len(users) + 5)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as c:
        tokens = []
        for u in users:  # logins before the clock starts (argon2 is deliberately slow)
            r = await c.post("/api/v1/auth/login", json={"username": u, "password": "bench-password"})
            r.raise_for_status()
            tokens.append(r.json()["access_token"])
        stop = time.monotonic() + seconds

        async def client(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            h = {"Authorization": f"Bearer {tokens[i]}"}
            mine = ids[OFFICES[i % len(OFFICES)]]
            await asyncio.sleep(rng.random() * max(think, 0.05))
            while time.monotonic() < stop and counts["requests"] < max_requests:
                counts["requests"] += 1
                cid = rng.choice(mine)
                u = rng.random()
                kind = "read" if u < 0.75 else "write"
                t0 = time.perf_counter()
                try:
                    if u < 0.60:
                        r = await c.get(f"/api/v1/cases/{cid}", headers=h)
                    elif u < 0.75:
                        r = await c.get(f"/api/v1/cases?limit=20&offset={rng.randint(0, 200)}", headers=h)
                    elif u < 0.85:
                        r = await c.post(
                            f"/api/v1/cases/{cid}/assistance",
                            headers=h,
                            json={"assistance_type": rng.choice(["medical", "legal", "psychosocial"])},
                        )
                    elif u < 0.93:
                        r = await c.post(
                            f"/api/v1/cases/{cid}/journey-legs",
                            headers=h,
                            json={"from_country": rng.choice(OFFICES), "to_country": "TH"},
                        )
                    else:
                        got = await c.get(f"/api/v1/cases/{cid}", headers=h)
                        t0 = time.perf_counter()  # time the write alone
                        r = await c.patch(
                            f"/api/v1/cases/{cid}",
                            headers=h,
                            json={"version": got.json()["version"], "consent": {"research": rng.random() < 0.5}},
                        )
                except httpx.HTTPError as exc:
                    counts["errors"] += 1
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                ms = (time.perf_counter() - t0) * 1000
                if r.status_code == 409:
                    counts["conflicts"] += 1
                elif r.status_code >= 400:
                    counts["errors"] += 1
                    errors.append(f"{r.status_code} {r.text[:200]}")
                lat[kind].append(ms)
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        t_start = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(len(users))))
        elapsed = time.monotonic() - t_start
    return {"lat": lat, "elapsed": elapsed, "errors_list": errors, **counts}


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run(quick: bool = False, think: float = 1.0) -> list[dict]:
    """Fill a store, serve it, run the paced load (the goals), then a short unpaced load (capacity)."""
    n = 5_000 if quick else 100_000
    clients = 10 if quick else 50
    seconds = 8.0 if quick else 40.0
    max_requests = 2_000 if quick else 20_000
    rows: list[dict] = []

    def row(measure: str, value: float, unit: str, goal: str = "", ok: bool | None = None) -> dict:
        return {
            "benchmark": "web",
            "measure": measure,
            "value": round(value, 2),
            "unit": unit,
            "baseline": "",
            "baseline_value": None,
            "ratio": None,
            "goal": goal,
            "ok": ok,
        }

    with tempfile.TemporaryDirectory(prefix="ctdata-bench-web-") as tmp:
        data_dir = Path(tmp)
        import_s, ids, users = build_store(data_dir, n, clients)
        rows.append(row(f"import {n:,} cases (store fill)", import_s, "s"))
        port = _free_port()
        proc = start_server(data_dir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base, proc))
            paced = asyncio.run(_load(base, users, ids, seconds, max_requests, think))
            flat_out = asyncio.run(_load(base, users, ids, seconds / 4, max_requests // 4, 0.0, seed=2))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    lat = paced["lat"]
    assert isinstance(lat, dict)
    reads, writes = lat["read"], lat["write"]
    elapsed = float(paced["elapsed"])  # type: ignore[arg-type]
    label = f"{clients} clients, {n:,} cases, ~{think:g}s think"
    errors = int(paced["errors"]) + int(flat_out["errors"])  # type: ignore[call-overload]
    flat_lat = flat_out["lat"]
    assert isinstance(flat_lat, dict)
    flat_all = flat_lat["read"] + flat_lat["write"]
    rows += [
        row(f"read p50 ({label})", _pct(reads, 50), "ms"),
        row(f"read p95 ({label})", _pct(reads, 95), "ms", f"< {READ_GOAL_MS:.0f} ms", _pct(reads, 95) < READ_GOAL_MS),
        row(f"write p50 ({label})", _pct(writes, 50), "ms"),
        row(
            f"write p95 ({label})",
            _pct(writes, 95),
            "ms",
            f"< {WRITE_GOAL_MS:.0f} ms",
            _pct(writes, 95) < WRITE_GOAL_MS,
        ),
        row(f"requests ({label})", len(reads) + len(writes), "requests"),
        row(f"throughput ({label})", (len(reads) + len(writes)) / elapsed if elapsed else 0.0, "req/s"),
        row(f"capacity (no think time, {clients} clients)", len(flat_all) / float(flat_out["elapsed"]), "req/s"),  # type: ignore[arg-type]
        row(f"read p95 (no think time, {clients} clients)", _pct(flat_lat["read"], 95), "ms"),
        row(
            "version conflicts (correct 409s)",
            float(paced["conflicts"]) + float(flat_out["conflicts"]),  # type: ignore[arg-type]
            "requests",
        ),
        row("errors", float(errors), "requests", "0", errors == 0),
    ]
    for res in (paced, flat_out):
        if res["errors_list"]:
            print("first errors:", *list(res["errors_list"])[:5], sep="\n  ", file=sys.stderr)  # type: ignore[arg-type]
    return rows


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for r in run(quick=quick):
        ok = "" if r["ok"] is None else ("ok" if r["ok"] else "MISSED")
        print(f"{r['measure']:<60} {r['value']:>10} {r['unit']:<9} {r['goal']:<10} {ok}")
