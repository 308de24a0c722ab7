#!/usr/bin/env python3
"""Memory and speed of the ledger export on 1,000,000 records, SQLite and PostgreSQL side by side.

One command::

    .venv/bin/python bench/bench_export.py                       # 1,000,000 records, both databases
    .venv/bin/python bench/bench_export.py --records 200000 --databases sqlite

For each database (a fresh SQLite file; a fresh PostgreSQL database on the tests' server, dropped
after), in a process of its own, it fills the ledger with ``--records`` records in one SQL statement
(methods and choices mixed as visitors make them, one every 30 s; the record hashes are filler,
the export does not check them), then exports through ``cookiecharter.export.ExportRun`` (the
admin's and the command's path, its ``LedgerExport`` row included) into a sink that only counts:

- **peak memory** (``tracemalloc``, everything Python allocates during the export) for the last
  10,000 records (a date range), 100,000 and all of them, streamed, beside the naive way
  (``list()`` of the same rows, then rendered) for the sizes it can hold;
- **throughput** (records/s, no tracemalloc) for the whole ledger in each format;
- **peak resident memory** of the process (``ru_maxrss``, which only grows) after a 10,000-record
  export, after the three whole-ledger exports, and after one naive export of 100,000 records: the
  database driver's own buffers (which tracemalloc does not see) show here.

Streaming should give the same peak whatever the size; the naive way grows with it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

#: The first record's time; each next one 30 s later.
START = "2025-01-01 00:00:00"
STEP_SECONDS = 30

CHOICES = [
    ("accept-all", '{"statistics": true, "embeds": true}'),
    ("refuse-all", '{"statistics": false, "embeds": false}'),
    ("custom", '{"statistics": true, "embeds": false}'),
    ("refuse-all", '{"statistics": false, "embeds": false}'),
    ("browser-signal", '{"embeds": false}'),
]


def setup(database: str) -> None:
    if database == "sqlite":
        os.environ["COOKIECHARTER_TEST_DB_DIR"] = tempfile.mkdtemp(prefix="cookiecharter-bench-export-")
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django.ledger_pg_settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(n: int) -> None:
    from django.db import connection

    from cookiecharter import ledger
    from cookiecharter.core import proof as core
    from cookiecharter.models import ConsentRecord
    from cookiecharter.sites import registry

    charter = registry.get("default").charter
    version = ledger.charter_version(charter).pk
    texts = core.texts_digest(charter, "fr")
    table = ConsentRecord._meta.db_table
    method = "CASE i % 5 " + " ".join(f"WHEN {k} THEN '{m}'" for k, (m, _c) in enumerate(CHOICES)) + " END"
    choices = "CASE i % 5 " + " ".join(f"WHEN {k} THEN '{c}'" for k, (_m, c) in enumerate(CHOICES)) + " END"
    columns = "site, consent_id, created_at, charter_version_id, texts_digest, language, choices, method, user_id, record_hash"
    if connection.vendor == "sqlite":
        sql = (
            f"INSERT INTO {table} ({columns}) "
            f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n - 1}) "
            f"SELECT 'default', printf('%016x', i), datetime('{START}', '+' || (i * {STEP_SECONDS}) || ' seconds'), "
            f"{version}, '{texts}', 'fr', {choices}, {method}, NULL, printf('%064x', i) FROM n"
        )
    else:
        sql = (
            f"INSERT INTO {table} ({columns}) "
            f"SELECT 'default', lpad(to_hex(i), 16, '0'), timestamptz '{START}+00' + i * interval '{STEP_SECONDS} seconds', "
            f"{version}, '{texts}', 'fr', ({choices})::jsonb, {method}, NULL, lpad(to_hex(i), 64, '0') "
            f"FROM generate_series(0, {n - 1}) AS i"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.execute("ANALYZE")


class Sink:
    """Where the bytes go: counted, then dropped (the bench measures the export, not a disk)."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)


def query_for(last: int | None, total: int, fmt: str):  # type: ignore[no-untyped-def]
    from cookiecharter import export

    since = None
    if last is not None and last < total:
        first = datetime.fromisoformat(START + "+00:00") + timedelta(seconds=(total - last) * STEP_SECONDS)
        since = first.isoformat()
    return export.make_query(site="default", format=fmt, since=since)


def streamed(query) -> int:  # type: ignore[no-untyped-def]
    from cookiecharter import export

    run = export.ExportRun(query, username="bench", os_user="bench")
    sink = Sink()
    for chunk in run:
        sink.write(chunk)
    return run.exporter.records


def naive(query) -> int:  # type: ignore[no-untyped-def]
    """Every row loaded first (``list()``), then rendered into one string: what streaming avoids."""
    from cookiecharter import export
    from cookiecharter.core.export import render

    rows = list(export.records(query))
    text = "".join(render(rows, query.format))
    Sink().write(text.encode("utf-8"))
    return len(rows)


def peak_mib(func, query) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    gc.collect()
    tracemalloc.start()
    try:
        count = func(query)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20, count


def rss_mib() -> float:
    """The process's peak resident memory so far (it only grows: read it after each step)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(database: str, records: int, naive_max: int) -> dict:
    setup(database)
    from django.db import connection

    def say(text: str) -> None:
        print(f"[{database}] {text}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    fill(records)
    filled = time.perf_counter() - t
    say(f"{records} records written in {filled:.1f} s")
    sizes = [s for s in (10_000, 100_000) if s < records] + [records]
    # Resident memory first, without tracemalloc (which costs memory of its own): the process's
    # peak after a small export, then after exporting everything in each format (timed too).
    streamed(query_for(sizes[0], records, "csv"))
    rss = {"small": rss_mib()}
    speed = []
    for fmt in ("csv", "jsonl", "iso27560"):
        query = query_for(None, records, fmt)
        gc.collect()
        t = time.perf_counter()
        count = streamed(query)
        seconds = time.perf_counter() - t
        assert count == records
        speed.append({"format": fmt, "seconds": seconds, "rate": records / seconds})
        say(f"{fmt}: {records} records in {seconds:.1f} s")
    rss["all"] = rss_mib()
    # Then what Python allocates during each export, streamed and naive, with tracemalloc.
    memory = []
    for size in sizes:
        query = query_for(size, records, "csv")
        stream_peak, count = peak_mib(streamed, query)
        assert count == size, (count, size)
        naive_peak = None
        if size <= naive_max:
            naive_peak, count = peak_mib(naive, query)
            assert count == size
        memory.append({"records": size, "streamed": stream_peak, "naive": naive_peak})
        say(f"tracemalloc at {size}: streamed {stream_peak:.1f} MiB, naive {naive_peak} MiB")
    naive(query_for(sizes[-2] if len(sizes) > 1 else sizes[0], records, "csv"))
    rss["naive"] = rss_mib()
    rss["naive_size"] = sizes[-2] if len(sizes) > 1 else sizes[0]
    version = (
        f"SQLite {connection.Database.sqlite_version}"
        if connection.vendor == "sqlite"
        else f"PostgreSQL {connection.pg_version // 10000}"
    )
    return {
        "database": version,
        "filled": filled,
        "memory": memory,
        "speed": speed,
        "rss": rss,
        "sizes": sizes,
    }


def run_child(database: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    dbname = None
    if database == "postgresql":
        from tests.conftest import postgres_admin, postgres_reachable

        reason = postgres_reachable()
        if reason:
            print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
            return {}
        dbname = f"cookiecharter_bench_export_{os.getpid()}"
        postgres_admin(f'CREATE DATABASE "{dbname}"')
        env["COOKIECHARTER_PG_NAME"] = dbname
        env["COOKIECHARTER_PG_TEST_NAME"] = dbname
    try:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                database,
                "--records",
                str(args.records),
                "--naive-max",
                str(args.naive_max),
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{database} run failed:\n{done.stdout}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if dbname:
            from tests.conftest import postgres_admin

            postgres_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql.")
    parser.add_argument(
        "--naive-max", type=int, default=100_000, help="Largest size the naive way is measured at (it holds every row)."
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        try:
            print(json.dumps(one(args.child, args.records, args.naive_max)))
        finally:
            if args.child == "sqlite":
                import shutil

                from django.db import connections

                connections.close_all()
                shutil.rmtree(os.environ["COOKIECHARTER_TEST_DB_DIR"], ignore_errors=True)
        return
    results = [r for r in (run_child(db, args) for db in args.databases.split(",")) if r]
    print(f"\n{args.records:,} records; peak memory = tracemalloc peak during the export (CSV)\n")
    print("| Database | Records exported | Streamed: peak (MiB) | Naive list(): peak (MiB) |")
    print("| --- | ---: | ---: | ---: |")
    for r in results:
        for m in r["memory"]:
            naive_cell = f"{m['naive']:.1f}" if m["naive"] is not None else "not run"
            print(f"| {r['database']} | {m['records']:,} | {m['streamed']:.1f} | {naive_cell} |")
    naive_size = results[0]["rss"]["naive_size"] if results else 0
    print(
        f"\n| Database | Peak RSS after a 10,000-record export (MiB) | after three exports of all {args.records:,} (MiB) "
        f"| after one naive export of {naive_size:,} (MiB) |"
    )
    print("| --- | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['database']} | {r['rss']['small']:.0f} | {r['rss']['all']:.0f} | {r['rss']['naive']:.0f} |")
    print("\n| Database | Format | Whole ledger (s) | Records/s |")
    print("| --- | --- | ---: | ---: |")
    for r in results:
        for s in r["speed"]:
            print(f"| {r['database']} | {s['format']} | {s['seconds']:.1f} | {s['rate']:,.0f} |")
    for r in results:
        print(f"\n{r['database']}: {args.records:,} records written in {r['filled']:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
