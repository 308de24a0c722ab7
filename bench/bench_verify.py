#!/usr/bin/env python3
"""How long ``cookiecharter_verify`` takes on a large ledger: full and incremental, SQLite and PostgreSQL.

One command::

    .venv/bin/python bench/bench_verify.py                      # 1,000,000 records, both databases
    .venv/bin/python bench/bench_verify.py --records 200000 --no-postgres

It migrates a fresh SQLite file and a fresh PostgreSQL database (``cookiecharter_bench_verify`` on
the server the tests use; skipped when none answers), writes ``--records`` records with real HMACs
(the mix of methods and choices visitors make) straight into each, seals them in batches of 1000
through ``ledger.seal_pending`` (so the seals and the witness file are the real ones), then, in one
run, side by side on each database:

- ``reference``: the verifier as it was (``ledger.verify_reference``: the ORM row by row, the record
  dataclasses, ``core.verify``), once, only with ``--reference`` (it takes about 30 s a million);
- ``full``: ``ledger.verify(site, full=True)`` in one process, then with ``jobs=--jobs`` (forked
  processes read and hash the records, this one walks through what they send back: what
  ``cookiecharter_verify --full`` does by default, with as many processes as CPUs up to 4), median
  of ``--rounds`` each;
- ``incremental``: after a full run left its checkpoint and ``--new`` more records were added and
  sealed: ``ledger.verify(site)``, median of ``--rounds``;
- with ``--floors``, what a full run in one process is made of, in turns in each round: reading
  the rows alone, then with one HMAC-SHA256 per row over the consent id only (the hashing's
  floor), then with each record's message built and hashed (``RecordHasher.check``).

Each run must find the ledger intact (and the reference and the fast path the same report).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

PG_NAME = "cookiecharter_bench_verify"


def postgres_answers() -> bool:
    from tests.conftest import postgres_reachable

    return postgres_reachable() is None


def setup(with_postgres: bool) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="cookiecharter-bench-verify-"))
    os.environ["COOKIECHARTER_TEST_DB_DIR"] = str(folder)
    from django.conf import settings

    import tests.settings as base

    values = {name: getattr(base, name) for name in dir(base) if name.isupper()}
    databases = dict(values["DATABASES"])
    if with_postgres:
        from tests.conftest import POSTGRES, postgres_admin

        postgres_admin(f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}")
        databases["postgresql"] = {**POSTGRES, "NAME": PG_NAME}
    values["DATABASES"] = databases
    settings.configure(**values)
    import django

    django.setup()
    from django.core.management import call_command

    for alias in databases:
        call_command("migrate", database=alias, verbosity=0)
    return folder


PLANS = [
    ("accept-all", {"statistics": True, "embeds": True}),
    ("refuse-all", {"statistics": False, "embeds": False}),
    ("custom", {"statistics": True, "embeds": False}),
    ("withdraw", {"statistics": False, "embeds": False}),
    ("browser-signal", {"embeds": False}),
]
WEIGHTS = [45, 35, 12, 3, 5]


def fill(aliases: list[str], first: int, n: int, *, days: float = 730.0) -> None:
    """Records ``first`` .. ``first + n - 1`` (that id, consent ids from it) with real hashes, in
    every database of ``aliases``, then their seals of 1000 (``core.make_seal``, as the sealer makes
    them) and a witness line for each seal (the file's real format, flushed once at the end rather
    than after each line as the site does)."""
    from django.db import connections, transaction
    from django.utils import timezone

    from cookiecharter import ledger
    from cookiecharter.core import proof as core
    from cookiecharter.core.witness import Checkpoint
    from cookiecharter.models import ConsentRecord, LedgerSeal
    from cookiecharter.sites import registry

    charter = registry.get("default").charter
    key = ledger.ledger_keys()[0]
    texts = core.texts_digest(charter, "fr")
    rng = random.Random(first)
    now = timezone.now() - timedelta(minutes=1)
    step = timedelta(days=days) / max(n, 1)
    start = now - timedelta(days=days)
    table = ConsentRecord._meta.db_table
    columns = "id, site, consent_id, created_at, charter_version_id, texts_digest, language, choices, method, user_id, record_hash"
    versions = {alias: ledger.charter_version(charter, using=alias).pk for alias in aliases}
    last = LedgerSeal.objects.using(aliases[0]).filter(site="default").order_by("-number").first()
    number, previous = (last.number, last.seal_hash) if last else (0, "")
    sealed = sum(LedgerSeal.objects.using(aliases[0]).values_list("count", flat=True))
    witness = ledger.witness_file()
    lines = []
    for chunk_start in range(first, first + n, 50_000):
        rows = []
        for i in range(chunk_start, min(chunk_start + 50_000, first + n)):
            method, choices = rng.choices(PLANS, WEIGHTS)[0]
            when = start + step * (i - first)
            cid = f"{i:016x}"
            fields = core.RecordFields(cid, when, charter.digest, texts, "fr", choices, method, None)
            rows.append((i, cid, when, json.dumps(choices), method, core.record_hash(key, fields)))
        seals = []
        for b in range(0, len(rows), 1000):
            batch = rows[b : b + 1000]
            number += 1
            fields, seal_hash = core.make_seal(
                key, number=number, records=[(r[0], r[5]) for r in batch], previous_hash=previous, created_at=now
            )
            previous = seal_hash
            sealed += fields.count
            seals.append(LedgerSeal(**dataclasses.asdict(fields), seal_hash=seal_hash))
            checkpoint = Checkpoint("default", number, seal_hash, fields.last_id, sealed, now)
            data = json.loads(checkpoint.canonical())
            data["mac"] = checkpoint.mac(key)
            lines.append(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n")
        for alias in aliases:
            connection = connections[alias]
            connection.ensure_connection()
            version = versions[alias]
            if connection.vendor == "postgresql":
                with (
                    connection.connection.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for i, cid, when, choices, method, rhash in rows:
                        copy.write_row((i, "default", cid, when, version, texts, "fr", choices, method, None, rhash))
            else:
                sql = f"INSERT INTO {table} ({columns}) VALUES (%s, 'default', %s, %s, %s, %s, 'fr', %s, %s, NULL, %s)"
                stored = [
                    (
                        i,
                        cid,
                        when.astimezone(dt_timezone.utc).replace(tzinfo=None).isoformat(sep=" "),
                        version,
                        texts,
                        ch,
                        m,
                        h,
                    )
                    for i, cid, when, ch, m, h in rows
                ]
                # One transaction: in autocommit each row would be a commit of its own (gigabytes of WAL).
                with transaction.atomic(using=alias), connection.cursor() as cursor:
                    cursor.executemany(sql, stored)
            LedgerSeal.objects.using(alias).bulk_create(seals)
            for seal in seals:
                seal.pk = None
    if witness is not None:
        witness.path.parent.mkdir(parents=True, exist_ok=True)
        with witness.path.open("a") as handle:
            handle.writelines(lines)
    for alias in aliases:
        with connections[alias].cursor() as cursor:
            if connections[alias].vendor == "postgresql":
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [first + n - 1])
                cursor.execute(f"VACUUM ANALYZE {table}")
            else:
                cursor.execute("ANALYZE")


def timed(func) -> tuple[float, object]:
    t = time.perf_counter()
    result = func()
    return time.perf_counter() - t, result


def same(a, b) -> bool:
    return (a.records, a.seals, a.sealed_records, a.pruned_seals, [str(p) for p in a.problems]) == (
        b.records,
        b.seals,
        b.sealed_records,
        b.pruned_seals,
        [str(p) for p in b.problems],
    )


def measure(alias: str, args: argparse.Namespace) -> dict:
    from cookiecharter import ledger

    result: dict = {"database": alias}
    fulls = []
    for _ in range(args.rounds):
        seconds, report = timed(lambda: ledger.verify("default", using=alias, full=True))
        assert report.ok and report.records == args.records, report.problems[:3]
        fulls.append(seconds)
    result["full"] = statistics.median(fulls)
    parallel = []
    for _ in range(args.rounds):
        seconds, report = timed(lambda: ledger.verify("default", using=alias, full=True, jobs=args.jobs))
        assert report.ok and report.records == args.records, report.problems[:3]
        parallel.append(seconds)
    result["parallel"] = statistics.median(parallel)
    if args.reference:
        seconds, reference = timed(lambda: ledger.verify_reference("default", using=alias))
        assert same(reference, report), (reference, report)
        result["reference"] = seconds
    return result


def floors(alias: str, args: argparse.Namespace) -> dict:
    """Reading the rows, with one HMAC each, with the real check: medians of ``--rounds``, in turns."""
    from cookiecharter import ledger
    from cookiecharter.core.mac import HmacSha256

    keys = ledger.ledger_keys()

    def read() -> None:
        for _ in ledger._record_rows(alias, "default", 0) or ():
            pass

    def read_hmac() -> None:
        mac = HmacSha256(keys[0])
        for batch in ledger._record_rows(alias, "default", 0) or ():
            for row in batch:
                mac.hexdigest(row[1].encode()) == row[9]  # noqa: B015 - the comparison is part of the cost

    def read_check() -> None:
        hasher = ledger._hasher(alias, "default", keys)
        for batch in ledger._record_rows(alias, "default", 0) or ():
            hasher.check(batch)

    steps = {"read": read, "hmac": read_hmac, "check": read_check}
    times: dict[str, list[float]] = {name: [] for name in steps}
    with ledger._collector_paused():  # as in a verification
        for _ in range(args.rounds):
            for name, step in steps.items():
                times[name].append(timed(step)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def measure_incremental(alias: str, args: argparse.Namespace, path: Path, kept: bytes) -> float:
    from cookiecharter import ledger

    incrementals = []
    for _ in range(args.rounds):
        path.write_bytes(kept)
        seconds, report = timed(lambda: ledger.verify("default", using=alias))
        assert report.ok and report.since_seal is not None and report.records == args.new, (
            report.since_seal,
            report.records,
        )
        incrementals.append(seconds)
    seconds, report = timed(lambda: ledger.verify("default", using=alias, full=True))
    assert report.ok and report.records == args.records + args.new
    return statistics.median(incrementals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--new", type=int, default=10_000, help="Records added between the full and the incremental run."
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", action="store_true", help="Also time the verifier as it was, once.")
    parser.add_argument("--jobs", type=int, default=2, help="Processes for the parallel full run (--jobs).")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--floors", action="store_true", help="Also time what a full run is made of (see above).")
    args = parser.parse_args()
    with_postgres = not args.no_postgres and postgres_answers()
    folder = setup(with_postgres)
    aliases = ["default", "postgresql"] if with_postgres else ["default"]
    try:
        from cookiecharter import ledger

        t = time.perf_counter()
        fill(aliases, 1, args.records)
        print(f"{args.records} records written and sealed in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        rows = [measure(alias, args) for alias in aliases]
        if args.floors:
            for row in rows:
                row["floors"] = floors(row["database"], args)
        # The full runs left their checkpoint (the same seal in both databases, filled alike); each
        # incremental round starts from it again, after --new more records and their seals.
        checkpoints = ledger.verified_file()
        assert checkpoints is not None
        kept = checkpoints.path.read_bytes()
        fill(aliases, args.records + 1, args.new)
        for row in rows:
            row["incremental"] = measure_incremental(row["database"], args, checkpoints.path, kept)
    finally:
        import shutil

        from django.db import connections

        connections.close_all()
        shutil.rmtree(folder, ignore_errors=True)
        if with_postgres:
            from tests.conftest import postgres_admin

            postgres_admin(f"DROP DATABASE IF EXISTS {PG_NAME}")
    print(
        f"\n{args.records:,} records sealed by 1000, then {args.new:,} more; median of {args.rounds} rounds, {os.cpu_count()} cores\n"
    )
    print(
        f"| Database | verifier as it was (s) | full, 1 process (s) | full, --jobs {args.jobs} (s) | incremental, after a full run (s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    names = {"default": "SQLite file", "postgresql": "PostgreSQL"}
    for r in rows:
        ref = f"{r['reference']:.1f}" if "reference" in r else "not run"
        print(f"| {names[r['database']]} | {ref} | {r['full']:.2f} | {r['parallel']:.2f} | {r['incremental']:.2f} |")
    if args.floors:
        print(
            "\nWhat a full run in one process is made of (the three steps in turns, medians; the full run as above):\n"
        )
        print(
            "| Database | reading the rows (s) | + one HMAC per row (s) | + the real check (s) | full, 1 process (s) |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for r in rows:
            f = r["floors"]
            print(
                f"| {names[r['database']]} | {f['read']:.2f} | {f['hmac']:.2f} | {f['check']:.2f} | {r['full']:.2f} |"
            )


if __name__ == "__main__":
    main()
