#!/usr/bin/env python3
"""Choices under load while the ledger's database goes away and comes back: is anything lost?

    .venv/bin/python bench/bench_faults.py               # SQLite, then PostgreSQL when it answers
    .venv/bin/python bench/bench_faults.py --quick       # a smoke run

For each database, gunicorn (``--workers`` sync workers) serves ``bench/decisions_site`` (the demo
charter, ``LEDGER_DIRECTORY`` in a temporary folder) on 127.0.0.1, and ``--threads`` threads send
visitors for ``--seconds``: new visitors accepting all or refusing all, returning visitors who had
accepted withdrawing (refuse all, their audience cookie still in the browser), and page views with
Global Privacy Control. In the middle of the run the database fails for ``--outage`` seconds:

- SQLite: another process holds the file's write lock (``BEGIN EXCLUSIVE``);
- PostgreSQL: the run's database refuses connections (``ALLOW_CONNECTIONS false``) and its sessions
  are terminated.

Afterwards ``cookiecharter_seal`` moves what waited into the database, and the run counts, from the
responses and the ledger: choices sent, applied (the consent cookie set), refused with 503 (an
acceptance the ledger could not prove), recorded at once, recorded later (from the pending file),
**lost** (applied but in no record), **acceptances without proof**, **optional cookies after a
refusal** (a statistics cookie set by a refusal's response, or kept: not deleted on a withdrawal),
and **5xx on pages**. The four in bold must be 0. Prints one table per database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench_decisions as base

CSRF = base.CSRF
KINDS = ("accept", "refuse", "withdraw", "signal")


# -- the visitors (in a process of their own) ------------------------------------------------------


def visitors(port: int, seconds: float, threads: int, accepted_cookie: str) -> list[dict]:
    """Send visitors until ``seconds`` have passed; one result per request."""
    deadline = time.monotonic() + seconds
    results: list[dict] = []
    lock = threading.Lock()

    def one(rng: random.Random) -> dict:
        kind = rng.choices(KINDS, weights=(40, 30, 15, 15))[0]
        cookies = f"csrftoken={CSRF}"
        if kind == "withdraw":
            cookies += f"; cookies_preferences={accepted_cookie}; portal_audience=a1b2"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            if kind == "signal":
                conn.request("GET", "/fr/cookies/", headers={"Cookie": cookies, "Sec-GPC": "1"})
            else:
                choice = "accept-all" if kind == "accept" else "refuse-all"
                conn.request(
                    "POST",
                    "/fr/cookies/consent/",
                    body=f"choice={choice}&csrfmiddlewaretoken={CSRF}",
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json",
                        "Cookie": cookies,
                    },
                )
            response = conn.getresponse()
            response.read()
            set_cookies = response.headers.get_all("Set-Cookie") or []
        except OSError as exc:
            return {"kind": kind, "status": 0, "error": str(exc), "set": []}
        finally:
            conn.close()
        return {"kind": kind, "status": response.status, "set": set_cookies, "at": time.time()}

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            result = one(rng)
            with lock:
                results.append(result)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


# -- the faults ----------------------------------------------------------------------------------


def sqlite_outage(path: str, seconds: float) -> None:
    lock = sqlite3.connect(path, timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    lock.execute("ROLLBACK")
    lock.close()


def postgres_outage(name: str, seconds: float) -> None:
    import psycopg

    with psycopg.connect(
        host=os.environ.get("COOKIECHARTER_PG_HOST", "127.0.0.1"),
        port=os.environ.get("COOKIECHARTER_PG_PORT", "5432"),
        user=os.environ.get("COOKIECHARTER_PG_USER", "postgres"),
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        time.sleep(seconds)
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


# -- the count -------------------------------------------------------------------------------------


def _consent(set_cookies: list[str]) -> tuple[str, str] | None:
    """(consent id, granted purposes) of the consent cookie a response set, read off its value."""
    for header in set_cookies:
        if header.startswith("cookies_preferences="):
            value = header.split(";", 1)[0].split("=", 1)[1].strip('"')
            cid, _time, _version, granted, _sig = value.split(".")
            return cid, granted
    return None


def _sets_optional(set_cookies: list[str]) -> bool:
    """A statistics cookie set to live (not a deletion) by this response."""
    for header in set_cookies:
        if header.startswith("portal_audience=") and "Max-Age=0" not in header and "max-age=0" not in header.lower():
            return True
    return False


def _deletes_optional(set_cookies: list[str]) -> bool:
    return any(h.startswith("portal_audience=") and "max-age=0" in h.lower() for h in set_cookies)


def count(results: list[dict], records: dict[str, set[str]], waited: int) -> dict:
    kinds = dict.fromkeys(KINDS, 0)
    applied = refused_503 = lost = without_proof = optional_after_refusal = page_5xx = other_5xx = 0
    for r in results:
        kinds[r["kind"]] += 1
        status = r["status"]
        if r["kind"] == "signal" and (status >= 500 or status == 0):
            page_5xx += 1
        elif r["kind"] != "signal" and ((status >= 500 and status != 503) or status == 0):
            other_5xx += 1
        consent = _consent(r["set"])
        if status == 503:
            refused_503 += 1
            if consent is not None or r["kind"] != "accept":
                lost += 1  # a 503 must set nothing, and only an acceptance may get one
            continue
        if consent is None:
            continue
        applied += 1
        cid, granted = consent
        methods = records.get(cid, set())
        if not methods:
            lost += 1
            if granted and granted != "!":
                without_proof += 1
        kept_optional = _sets_optional(r["set"]) or (r["kind"] == "withdraw" and not _deletes_optional(r["set"]))
        if r["kind"] in ("refuse", "withdraw", "signal") and kept_optional:
            optional_after_refusal += 1
    return {
        "sent": len(results),
        "by kind": kinds,
        "applied": applied,
        "refused with 503": refused_503,
        "recorded later": waited,
        "lost": lost,
        "acceptances without proof": without_proof,
        "optional cookies after a refusal": optional_after_refusal,
        "5xx on pages": page_5xx,
        "other 5xx or errors": other_5xx,
    }


# -- orchestration ---------------------------------------------------------------------------------


def scenario(db: str, outage, args: argparse.Namespace, folder: Path) -> dict:
    env = base.site_env(db)
    env["BENCH_LEDGER_DIRECTORY"] = str(folder / "ledger")
    done = base.manage(env, "migrate", "--noinput")
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    port = base.free_port()
    server = subprocess.Popen(
        [
            str(base.VENV_BIN / "gunicorn"),
            "decisions_site.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=env,
        cwd=str(base.BENCH),
    )
    try:
        base.wait_ready(port, server)
        # A visitor who accepted before the outage: the returning visitors who withdraw send it.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            "/fr/cookies/consent/",
            body=f"choice=accept-all&csrfmiddlewaretoken={CSRF}",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Cookie": f"csrftoken={CSRF}",
            },
        )
        response = conn.getresponse()
        response.read()
        accepted = _consent(response.headers.get_all("Set-Cookie") or [])
        assert accepted, "the first acceptance did not set its cookie"
        accepted_value = next(h for h in response.headers.get_all("Set-Cookie") if h.startswith("cookies_preferences"))
        accepted_value = accepted_value.split(";", 1)[0].split("=", 1)[1]
        load = subprocess.Popen(
            [sys.executable, __file__, "--visitors", str(port), str(args.seconds), str(args.threads), accepted_value],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(base.BENCH)},
        )
        time.sleep(args.seconds / 3)
        began = time.time()
        outage(args.outage)
        ended = time.time()
        out, _ = load.communicate(timeout=args.seconds * 10 + 120)
        results = json.loads(out)
    finally:
        server.terminate()
        server.wait(timeout=30)
    pending = folder / "ledger" / "pending.jsonl"
    seal = base.manage(env, "cookiecharter_seal", "--grace", "0")
    if seal.returncode != 0:
        raise SystemExit(seal.stderr)
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from cookiecharter.models import ConsentRecord; "
            "r = {}; [r.setdefault(c, []).append([m, t.timestamp()]) for c, m, t in "
            "ConsentRecord.objects.values_list('consent_id', 'method', 'created_at')]; print(json.dumps(r))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rows = json.loads(check.stdout)
    records = {cid: {m for m, _ in found} for cid, found in rows.items()}
    # Made while the database failed, so written afterwards: from the pending file.
    waited = sum(1 for found in rows.values() for _, at in found if began + 0.5 < at < ended - 0.5)
    verify = base.manage(env, "cookiecharter_verify", "--settle", "2")
    result = count(results, records, waited)
    result["left waiting"] = len(pending.read_text().splitlines()) if pending.exists() else 0
    result["verify"] = "intact" if verify.returncode == 0 else verify.stdout[-500:]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None, help="load time per database (default 24, quick 9)")
    parser.add_argument("--outage", type=float, default=None, help="seconds the database fails (default 8, quick 3)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args(argv)
    if args.visitors:
        port, seconds, threads, cookie = args.visitors
        print(json.dumps(visitors(int(port), float(seconds), int(threads), cookie)))
        return 0
    args.seconds = args.seconds or (9 if args.quick else 24)
    args.outage = args.outage or (3 if args.quick else 8)
    tables: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cookiecharter-faults-") as tmp:
        folder = Path(tmp)
        sqlite_path = str(folder / "faults.sqlite3")
        tables["SQLite (file write-locked)"] = scenario(
            sqlite_path, lambda s: sqlite_outage(sqlite_path, s), args, folder / "sqlite"
        )
        name = f"cookiecharter_faults_{os.getpid()}"
        reason = base.postgres_database(True, name)
        if reason:
            print(f"PostgreSQL left out: {reason}")
        else:
            try:
                tables["PostgreSQL (connections refused)"] = scenario(
                    f"postgresql:{name}", lambda s: postgres_outage(name, s), args, folder / "postgres"
                )
            finally:
                base.postgres_database(False, name)
    print(
        f"{args.seconds:g} s of visitors ({args.threads} threads, gunicorn {args.workers} workers), "
        f"the database failing for {args.outage:g} s in the middle"
    )
    print()
    names = list(tables)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for key in next(iter(tables.values())):
        print(f"| {key} | " + " | ".join(str(tables[n][key]) for n in names) + " |")
    bad = [
        n
        for n in names
        for k in (
            "lost",
            "acceptances without proof",
            "optional cookies after a refusal",
            "5xx on pages",
            "left waiting",
        )
        if tables[n][k]
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
