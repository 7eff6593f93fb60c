"""Load test of `ctdata serve --workers 4` on PostgreSQL beside one worker: correctness first, then latency.

For each number of workers (4, then 1 for comparison) the script:

1. makes a fresh PostgreSQL database (on 127.0.0.1:5432 as postgres unless --pg-admin says
   otherwise) and fills it with the standard importer (`--cases` generated records across
   10 offices, as benchmarks/bench_web.py), with one caseworker per client;
2. starts `ctdata serve --workers N` in a subprocess (the real command, loopback only);
3. runs `--clients` concurrent httpx clients for `--seconds`, each logged in as a caseworker
   of one office, pausing about `--think` seconds (exponential) between requests:
   reads (75 %: a case with its children, or a page of the case list) and writes (25 %:
   an assistance record whose provider is a tag unique to the client and request, or a
   PATCH of the case with its version; a 409 from a colleague's concurrent PATCH is a
   correct answer, counted apart);
4. checks: zero errors (transport errors, or any status >= 400 but 409); zero lost updates
   (every tag whose POST was answered 201 is on its case afterwards, read back through the
   API); `ctdata audit verify` intact after the server stopped.

One table compares the runs (p50/p95/p99 of reads, writes and all requests, throughput).
The load generator shares the machine with the server; the load average before and after
each run is printed with it. Exit status 1 when any check fails.

    python benchmarks/load_web.py                       # 4 workers beside 1, 50 clients, 60 s
    python benchmarks/load_web.py --workers 4 --compare 0 --seconds 20 --clients 10   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import OFFICES, _pct, wait_ready, write_records  # noqa: E402  (benchmarks/ is not a package)

PASSWORD = "load-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, url: str) -> dict[str, str]:
    env = {**os.environ, "CTDATA_DATA_DIR": str(data_dir), "CTDATA_DATABASE_URL": url}
    for k in ("CTDATA_CONFIG", "CTDATA_WEB_WORKERS"):
        env.pop(k, None)
    return env


def create_database(admin: str) -> str:
    import psycopg

    name = f"ctdata_load_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin.rsplit('/', 1)[0]}/{name}"


def drop_database(admin: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def fill(data_dir: Path, url: str, cases: int, clients: int) -> tuple[dict[str, list[int]], list[str]]:
    """Import `cases` records and make one caseworker per client (in a child: a clean configuration)."""
    code = f"""
import json
from pathlib import Path
from sqlalchemy import select
from ctdata.cases.access import SYSTEM
from ctdata.cases.tx import store_engine, transaction
from ctdata.cases.users import create_user
from ctdata.ingest.standard_import import import_standard
from ctdata.store.models import CaseRecord
import_standard(Path({str(data_dir / 'records.csv')!r}), actor="load-test")
eng = store_engine()
offices = {OFFICES!r}
users = []
with transaction(eng) as s:
    for i in range({clients}):
        create_user(s, SYSTEM, f"cw{{i:02d}}", {PASSWORD!r}, "caseworker", offices[i % len(offices)], "IOM")
        users.append(f"cw{{i:02d}}")
    ids = {{o: [] for o in offices}}
    for cid, office in s.execute(select(CaseRecord.id, CaseRecord.current_office_country)):
        ids[office].append(cid)
print(json.dumps([ids, users]))
"""
    data_dir.mkdir(parents=True, exist_ok=True)
    write_records(data_dir / "records.csv", cases)
    out = subprocess.run([sys.executable, "-c", code], env=_env(data_dir, url), text=True, capture_output=True,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"filling the store failed: {out.stderr[-2000:]}")
    ids, users = json.loads(out.stdout.strip().splitlines()[-1])
    return ids, users


def start_server(data_dir: Path, url: str, port: int, workers: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "ctdata.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(cmd, env=_env(data_dir, url), text=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def load(base: str, users: list[str], ids: dict[str, list[int]], seconds: float, think: float,
               tag: str, seed: int = 1) -> dict[str, Any]:
    """The clients' run; returns latencies, counts, and the tags each 201 answered, by case."""
    import httpx

    lat: dict[str, list[float]] = {"read": [], "write": []}
    counts = {"errors": 0, "conflicts": 0, "requests": 0}
    errors: list[str] = []
    written: dict[int, set[str]] = {}
    limits = httpx.Limits(max_connections=len(users) + 5, max_keepalive_connections=len(users) + 5)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as c:
        tokens = []
        for u in users:  # logins before the clock starts (argon2 is slow by design)
            r = await c.post("/api/v1/auth/login", json={"username": u, "password": PASSWORD})
            r.raise_for_status()
            tokens.append(r.json()["access_token"])
        _say(f"  {len(users)} clients logged in; {seconds:g} s of load")
        stop = time.monotonic() + seconds

        async def client(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            h = {"Authorization": f"Bearer {tokens[i]}"}
            mine = ids[OFFICES[i % len(OFFICES)]]
            n = 0
            await asyncio.sleep(rng.random() * max(think, 0.05))
            while time.monotonic() < stop:
                counts["requests"] += 1
                n += 1
                cid = rng.choice(mine)
                u = rng.random()
                kind = "read" if u < 0.75 else "write"
                label = f"{tag}-c{i:02d}-{n:05d}"
                t0 = time.perf_counter()
                try:
                    if u < 0.60:
                        r = await c.get(f"/api/v1/cases/{cid}", headers=h)
                    elif u < 0.75:
                        r = await c.get(f"/api/v1/cases?limit=20&offset={rng.randint(0, 100)}", headers=h)
                    elif u < 0.93:
                        r = await c.post(f"/api/v1/cases/{cid}/assistance", headers=h,
                                         json={"assistance_type": rng.choice(["medical", "legal", "psychosocial"]),
                                               "provider": label})
                        if r.status_code == 201:
                            written.setdefault(cid, set()).add(label)
                    else:
                        got = await c.get(f"/api/v1/cases/{cid}", headers=h)
                        t0 = time.perf_counter()  # the write alone
                        r = await c.patch(f"/api/v1/cases/{cid}", headers=h,
                                          json={"version": got.json()["version"],
                                                "consent": {"research": rng.random() < 0.5}})
                except httpx.HTTPError as exc:
                    counts["errors"] += 1
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                lat[kind].append((time.perf_counter() - t0) * 1000)
                if r.status_code == 409:
                    counts["conflicts"] += 1
                elif r.status_code >= 400:
                    counts["errors"] += 1
                    errors.append(f"{r.status_code} {r.text[:200]}")
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        t_start = time.monotonic()
        await asyncio.gather(*(client(i) for i in range(len(users))))
        elapsed = time.monotonic() - t_start

        # read every written case back (as a caseworker of its office) and look for each tag
        lost = 0
        by_office = {OFFICES[i % len(OFFICES)]: tokens[i] for i in range(len(users))}
        office_of = {cid: o for o, cs in ids.items() for cid in cs}
        for cid, tags in written.items():
            r = await c.get(f"/api/v1/cases/{cid}", headers={"Authorization": f"Bearer {by_office[office_of[cid]]}"})
            r.raise_for_status()
            present = {a.get("provider") for a in r.json()["assistance"]}
            lost += len(tags - present)
    return {"lat": lat, "elapsed": elapsed, "errors_list": errors, "written": sum(map(len, written.values())),
            "lost": lost, **counts}


def audit_verify(data_dir: Path, url: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "ctdata.cli", "audit", "verify", "--json"], env=_env(data_dir, url),
                         text=True, capture_output=True, check=False)
    try:
        return json.loads(out.stdout)  # type: ignore[no-any-return]
    except ValueError:
        return {"ok": False, "problems": [out.stderr.strip()[-500:]], "entries": 0}


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_one(workers: int, args: argparse.Namespace) -> dict[str, Any]:
    url = create_database(args.pg_admin)
    try:
        with tempfile.TemporaryDirectory(prefix="ctdata-load-") as tmp:
            data_dir = Path(tmp)
            t0 = time.perf_counter()
            ids, users = fill(data_dir, url, args.cases, args.clients)
            fill_s = time.perf_counter() - t0
            _say(f"  store filled in {fill_s:.0f} s")
            port = _free_port()
            proc = start_server(data_dir, url, port, workers)
            try:
                base = f"http://127.0.0.1:{port}"
                t0 = time.perf_counter()
                asyncio.run(wait_ready(base, proc, timeout=600.0))
                _say(f"  server ready in {time.perf_counter() - t0:.0f} s")
                load_before = os.getloadavg()
                res = asyncio.run(load(base, users, ids, args.seconds, args.think, tag=f"w{workers}"))
                load_after = os.getloadavg()
            finally:
                stop_server(proc)
            t0 = time.perf_counter()
            verify = audit_verify(data_dir, url)
            _say(f"  audit verify in {time.perf_counter() - t0:.0f} s: {'intact' if verify.get('ok') else 'BROKEN'}")
    finally:
        drop_database(args.pg_admin, url)
    res.update(workers=workers, fill_s=fill_s, verify=verify, load_before=load_before, load_after=load_after)
    return res


def _ms(xs: list[float], p: float) -> str:
    return f"{_pct(xs, p):.0f}" if xs else "-"


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    cols = [f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}" for r in results]
    rows: list[tuple[str, list[str]]] = []
    for kind in ("read", "write", "all"):
        for p in (50, 95, 99):
            vals = []
            for r in results:
                xs = r["lat"]["read"] + r["lat"]["write"] if kind == "all" else r["lat"][kind]
                vals.append(_ms(xs, p))
            rows.append((f"{kind} p{p} (ms)", vals))
    rows += [
        ("requests", [f"{len(r['lat']['read']) + len(r['lat']['write']):,}" for r in results]),
        ("throughput (req/s)", [f"{(len(r['lat']['read']) + len(r['lat']['write'])) / r['elapsed']:.1f}"
                                for r in results]),
        ("errors", [str(r["errors"]) for r in results]),
        ("version conflicts (correct 409s)", [str(r["conflicts"]) for r in results]),
        ("assistance records written (201)", [f"{r['written']:,}" for r in results]),
        ("lost updates", [str(r["lost"]) for r in results]),
        ("audit verify", [("intact" if r["verify"].get("ok") else "BROKEN")
                          + f" ({r['verify'].get('entries', 0):,} entries)" for r in results]),
        ("load average before / after", [f"{r['load_before'][0]:.1f} / {r['load_after'][0]:.1f}" for r in results]),
    ]
    head = (f"{args.clients} clients, {args.seconds:g} s, ~{args.think:g} s think, {args.cases:,} cases, PostgreSQL, "
            f"{os.cpu_count()} cores")
    lines = [head, "", "| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    lines += [f"| {name} | " + " | ".join(vals) + " |" for name, vals in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--compare", type=int, default=1, help="a second run with this many workers (0: none)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, default=1.0, help="mean pause between a client's requests (0: none)")
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--pg-admin", default=os.environ.get("CTDATA_TEST_PG_URL",
                                                         "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    results = []
    for w in [args.workers] + ([args.compare] if args.compare else []):
        _say(f"running {w} worker(s) ...")
        results.append(run_one(w, args))
        _say(table(results[-1:], args))  # each run's figures as soon as they are in
    print(table(results, args))
    failed = False
    for r in results:
        if r["errors_list"]:
            print(f"first errors with {r['workers']} workers:", *r["errors_list"][:5], sep="\n  ", file=sys.stderr)
        failed |= bool(r["errors"] or r["lost"] or not r["verify"].get("ok"))
        if not r["verify"].get("ok"):
            print(f"audit verify with {r['workers']} workers:", r["verify"].get("problems", [])[:5], file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k not in ("lat",)} |
                                         {"p95_ms": _pct(r["lat"]["read"] + r["lat"]["write"], 95)}
                                         for r in results], indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
