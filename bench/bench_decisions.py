#!/usr/bin/env python3
"""Consent decisions per second through the real endpoint, beside a bare Django view that inserts one row.

One command::

    .venv/bin/python bench/bench_decisions.py            # SQLite and PostgreSQL, ~5 minutes
    .venv/bin/python bench/bench_decisions.py --quick    # a smoke run

For each database (an SQLite file in WAL mode; PostgreSQL at 127.0.0.1:5432 when it answers, in a
database created for the run and dropped after) it starts gunicorn (``--workers`` sync workers) on
127.0.0.1 with ``bench/decisions_site`` and loads it from a second process (``--threads`` threads,
one connection per request, a fixed number of requests per round). Both views sit behind the same
middleware stack (``CookieCharterMiddleware``, sessions, locale, CSRF, auth) and both get a CSRF-
checked form POST:

- ``bare``: ``/fr/bare/`` inserts one row with the ORM and answers JSON;
- ``consent``: ``/fr/cookies/consent/`` with ``Accept: application/json``, choices rotating over
  accept-all / refuse-all / custom: validation against the charter, one ledger record (HMAC),
  the signed cookie, and the automatic sealing every ``LEDGER_SEAL_BATCH`` records.

Rounds alternate the order of the two views so the machine's noise falls on both; the table shows
the median rate of the rounds and the median of the per-round ratios consent / bare. Before the server runs, the same two requests
go through Django's handler in one process (``get_response``, no server, no client, rounds
alternating request by request): the median time per request there is the least noisy figure
on a busy machine.
Afterwards the run checks that the ledger holds exactly one record per consent request and that
``cookiecharter_verify`` passes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
CSRF = "benchCsrfToken0123456789abcdefgh"  # 32 characters: a valid unmasked CSRF secret
PATHS = {"bare": "/fr/bare/", "consent": "/fr/cookies/consent/"}
CHOICES = ("accept-all", "refuse-all", "custom")


# -- the load generator (runs in its own process) ----------------------------------------------


def load(port: int, view: str, requests: int, threads: int) -> dict:
    """Send ``requests`` POSTs from ``threads`` threads; return the wall time and the status counts."""
    path = PATHS[view]
    bodies = [f"choice={choice}&purpose=statistics&csrfmiddlewaretoken={CSRF}".encode() for choice in CHOICES]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Cookie": f"csrftoken={CSRF}",
    }
    counter = iter(range(requests))
    lock = threading.Lock()
    statuses: dict[int, int] = {}

    def worker() -> None:
        local: dict[int, int] = {}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("POST", path, body=bodies[i % 3], headers=headers)
                response = conn.getresponse()
                response.read()
                local[response.status] = local.get(response.status, 0) + 1
            except OSError:
                local[0] = local.get(0, 0) + 1
            finally:
                conn.close()
        with lock:
            for k, v in local.items():
                statuses[k] = statuses.get(k, 0) + v

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "statuses": statuses}


# -- in process: Django's handler alone, no server, no client ----------------------------------


def in_process(rounds: int, requests: int) -> dict:
    """Median time of ``get_response`` per request for each view, rounds interleaved (runs inside
    a process whose settings are decisions_site's)."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    handler = WSGIHandler()
    factory = RequestFactory(SERVER_NAME="127.0.0.1")

    def request(view: str, i: int):
        body = f"choice={CHOICES[i % 3]}&purpose=statistics&csrfmiddlewaretoken={CSRF}"
        return factory.post(
            PATHS[view],
            body,
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT="application/json",
            HTTP_COOKIE=f"csrftoken={CSRF}",
        )

    for view in PATHS:
        for i in range(20):
            assert handler.get_response(request(view, i)).status_code == 200
    times: dict[str, list[float]] = {view: [] for view in PATHS}
    # Request by request, the two views alternate (order flipped each round): a burst of load
    # from elsewhere on the machine then falls on both alike.
    for r in range(rounds):
        for i in range(requests):
            for view in PATHS if (r + i) % 2 == 0 else reversed(list(PATHS)):
                req = request(view, i)
                start = time.perf_counter()
                handler.get_response(req)
                times[view].append(time.perf_counter() - start)
    return {view: statistics.median(t) * 1e6 for view, t in times.items()}


# -- orchestration ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_env(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BENCH_DB=db,
        DJANGO_SETTINGS_MODULE="decisions_site.settings",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT / "src"), str(ROOT)]),
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "django-admin"), *args], env=env, capture_output=True, text=True, timeout=600)


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited early ({proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/fr/cookies/consent/")
            if conn.getresponse().status == 405:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def run_load(port: int, view: str, requests: int, threads: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--load", str(port), view, str(requests), str(threads)],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(out.stdout)


def postgres_database(create: bool, name: str) -> str | None:
    """Create (or drop) the run's database; None when PostgreSQL does not answer."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(
            host=os.environ.get("COOKIECHARTER_PG_HOST", "127.0.0.1"),
            port=os.environ.get("COOKIECHARTER_PG_PORT", "5432"),
            user=os.environ.get("COOKIECHARTER_PG_USER", "postgres"),
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        ) as conn:
            if create:
                conn.execute(f'CREATE DATABASE "{name}"')
            else:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001 - any failure: skip this backend, say why
        return str(exc)
    return None


def bench_backend(label: str, db: str, args: argparse.Namespace) -> dict:
    env = site_env(db)
    migrated = manage(env, "migrate", "--run-syncdb", "-v", "0")
    if migrated.returncode:
        raise SystemExit(migrated.stderr)
    measured = subprocess.run(
        [sys.executable, __file__, "--in-process", str(args.rounds), str(args.requests // 3)],
        env=env,
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if measured.returncode:
        raise SystemExit(measured.stderr)
    medians = json.loads(measured.stdout.strip().splitlines()[-1])
    consent_requests = 20 + args.rounds * (args.requests // 3)
    print(
        f"  {label:<10} in process: bare {medians['bare']:.0f} µs, consent {medians['consent']:.0f} µs "
        "(median per request)",
        flush=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "decisions_site.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=BENCH,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    rates: dict[str, list[float]] = {"bare": [], "consent": []}
    try:
        wait_ready(port, server)
        for view in PATHS:  # warm-up: imports, charter loading, connections, charter version row
            result = run_load(port, view, args.warmup, args.threads)
            consent_requests += args.warmup if view == "consent" else 0
        for r in range(args.rounds):
            order = list(PATHS) if r % 2 == 0 else list(reversed(PATHS))
            for view in order:
                result = run_load(port, view, args.requests, args.threads)
                bad = {k: v for k, v in result["statuses"].items() if k != "200"}
                if bad:
                    raise SystemExit(f"{label} {view}: non-200 answers {bad}")
                rates[view].append(args.requests / result["elapsed"])
                if view == "consent":
                    consent_requests += args.requests
                print(f"  {label:<10} round {r + 1} {view:<8} {rates[view][-1]:8.1f} req/s", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    # The ledger must hold exactly one record per decision, and verify.
    count = manage(
        env, "shell", "-c", "from cookiecharter.models import ConsentRecord; print(ConsentRecord.objects.count())"
    )
    records = int((count.stdout.strip().splitlines() or ["-1"])[-1])
    sealed = manage(env, "cookiecharter_seal", "--grace", "0")
    verified = manage(env, "cookiecharter_verify", "--settle", "0")
    print(
        f"  {label}: {records} ledger records for {consent_requests} consent requests; "
        f"{sealed.stdout.strip()}; {verified.stdout.strip() or verified.stderr.strip()}"
    )
    if records != consent_requests or verified.returncode:
        raise SystemExit(f"{label}: ledger check failed")
    return {"rates": rates, "medians": medians}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", nargs=4, metavar=("PORT", "VIEW", "N", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--in-process", nargs=2, metavar=("ROUNDS", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a smoke run (few requests, 2 rounds)")
    parser.add_argument("--requests", type=int, default=200, help="requests per view per round")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=150)
    parser.add_argument("--threads", type=int, default=8, help="client threads (one connection per request)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.load:
        port, view, n, threads = args.load
        print(json.dumps(load(int(port), view, int(n), int(threads))))
        return
    if args.in_process:
        print(json.dumps(in_process(int(args.in_process[0]), int(args.in_process[1]))))
        return
    if args.quick:
        args.requests, args.rounds, args.warmup = 150, 2, 30

    print(
        f"gunicorn {args.workers} sync workers on 127.0.0.1, load from a second process with "
        f"{args.threads} threads, {args.requests} requests per view per round, {args.rounds} rounds; "
        f"{os.cpu_count()} cores"
    )
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cookiecharter-bench-") as tmp:
        results["SQLite"] = bench_backend("SQLite", str(Path(tmp) / "bench.sqlite3"), args)
    if not args.no_postgres:
        name = f"cookiecharter_bench_{os.getpid()}"
        why = postgres_database(True, name)
        if why:
            print(f"PostgreSQL skipped: {why}")
        else:
            try:
                results["PostgreSQL"] = bench_backend("PostgreSQL", f"postgresql:{name}", args)
            finally:
                postgres_database(False, name)

    print()
    print(
        "| Database | bare insert view (req/s) | consent endpoint (decisions/s) | ratio consent / bare "
        "(median of rounds) | in process: bare / consent (µs per request) | ratio (bare time / consent time) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, result in results.items():
        rates, medians = result["rates"], result["medians"]
        bare = statistics.median(rates["bare"])
        consent = statistics.median(rates["consent"])
        # Each round measured both views back to back: the ratio within a round cancels the slow
        # drifts of a shared machine better than the ratio of the two medians.
        paired = statistics.median(c / b for b, c in zip(rates["bare"], rates["consent"]))
        print(
            f"| {label} | {bare:.0f} | {consent:.0f} | {paired:.2f} "
            f"| {medians['bare']:.0f} / {medians['consent']:.0f} | {medians['bare'] / medians['consent']:.2f} |"
        )


if __name__ == "__main__":
    main()
