#!/usr/bin/env python3
"""How long the compliance overview takes on a large ledger (SQLite file), beside the naive way.

One command::

    .venv/bin/python bench/bench_back_office.py                 # 200,000 records
    .venv/bin/python bench/bench_back_office.py --records 1000000 --spread-only

It migrates a fresh SQLite file (``tests.settings``, in a temporary folder), writes ``--records``
ledger records with real hashes (methods and choices mixed as visitors make them), spread over two
years (``spread``) and, in a second pass, all within the last 30 days (``all recent``: the worst case
for the 30-day figures). Then, alternating, median of ``--rounds``:

- ``decisions()``: the counts per method (7 and 30 days) and the share granted per purpose, from
  the daily counts (``cookiecharter.daily``: closed days counted once, today from the records);
- ``naive``: the same figures computed in Python from the window's rows (what the page avoids);
- ``ledger_state()``: count, last seal, unsealed, oldest record;
- the whole page through Django's handler (``Client.get``, signed-in superuser);
- once: the verify button's work (``ledger.verify()`` over every record).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def setup() -> None:
    os.environ["COOKIECHARTER_TEST_DB_DIR"] = tempfile.mkdtemp(prefix="cookiecharter-bench-bo-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(n: int, days: float) -> None:
    """``n`` records with real hashes, decided over the last ``days`` days, in id order of time."""
    from django.db import connection
    from django.utils import timezone

    from cookiecharter import ledger
    from cookiecharter.core import proof as core
    from cookiecharter.models import ConsentRecord, DailyChoices, DailyChoicesMark, LedgerSeal
    from cookiecharter.sites import registry

    ConsentRecord.objects.all().delete()
    LedgerSeal.objects.all().delete()
    # A new ledger: its daily counts start over too (they follow prunes, not a wholesale DELETE).
    DailyChoices.objects.all().delete()
    DailyChoicesMark.objects.all().delete()
    witness = ledger.witness_file()
    if witness is not None:
        witness.path.unlink(missing_ok=True)  # it saw the previous ledger's seals
    site = registry.get("default")
    charter = site.charter
    version = ledger.charter_version(charter).pk
    key = ledger.ledger_keys()[0]
    texts = core.texts_digest(charter, "fr")
    rng = random.Random(7)
    now = timezone.now()
    start = now - timedelta(days=days)
    step = timedelta(days=days) / n
    plans = [
        ("accept-all", {"statistics": True, "embeds": True}),
        ("refuse-all", {"statistics": False, "embeds": False}),
        ("custom", {"statistics": True, "embeds": False}),
        ("withdraw", {"statistics": False, "embeds": False}),
        ("browser-signal", {"embeds": False}),
    ]
    weights = [45, 35, 12, 3, 5]
    table = ConsentRecord._meta.db_table
    sql = (
        f"INSERT INTO {table} (site, consent_id, created_at, charter_version_id, texts_digest, language, "
        "choices, method, user_id, record_hash) VALUES ('default', %s, %s, %s, %s, %s, %s, %s, NULL, %s)"
    )
    import json

    batch = []
    for i in range(n):
        method, choices = rng.choices(plans, weights)[0]
        when = start + step * i
        cid = f"{i:016x}"
        fields = core.RecordFields(
            consent_id=cid,
            created_at=when,
            charter_digest=charter.digest,
            texts_digest=texts,
            language="fr",
            choices=choices,
            method=method,
            user_id=None,
        )
        stored = when.astimezone(dt_timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
        batch.append((cid, stored, version, texts, "fr", json.dumps(choices), method, core.record_hash(key, fields)))
        if len(batch) == 20_000:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()
    if batch:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    ledger.seal_pending("default", partial=True, grace_seconds=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def naive(keys: list[str]) -> tuple[Counter, dict]:
    """The figures the page shows, computed in Python over the window's rows."""
    from django.utils import timezone

    from cookiecharter import daily
    from cookiecharter.models import ConsentRecord

    # The windows are calendar days in TIME_ZONE: today and the 6 (29) days before.
    now = timezone.now()
    today = daily.local_day(now)
    d7, d30 = daily.day_start(today - timedelta(days=6)), daily.day_start(today - timedelta(days=29))
    counts: Counter = Counter()
    shares = {k: [0, 0] for k in keys}
    for created, method, choices in (
        ConsentRecord.objects.filter(created_at__gte=d30)
        .values_list("created_at", "method", "choices")
        .iterator(chunk_size=5000)
    ):
        counts[(method, 30)] += 1
        if created >= d7:
            counts[(method, 7)] += 1
        for k in keys:
            if k in choices:
                shares[k][1] += 1
                shares[k][0] += bool(choices[k])
    return counts, shares


def median_ms(func, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        func()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def measure(label: str, rounds: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from cookiecharter import compliance, ledger
    from cookiecharter.models import ConsentRecord

    keys = ["statistics", "embeds"]
    # The two ways must agree before their times are compared.
    fast = compliance.choice_counts("default", keys)
    slow_counts, slow_shares = naive(keys)
    for line in fast.methods:
        for days in (7, 30):
            assert line.counts[days] == slow_counts[(line.method, days)], (line, days)
    assert {s.key: [s.granted, s.decided] for s in fast.shares} == slow_shares

    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser(
        "bench", "b@example.org", "pw"
    )
    client = Client()
    client.force_login(user)
    page = "/admin/cookiecharter/complianceoverview/"
    assert client.get(page).status_code == 200

    times: dict[str, list[float]] = {"decisions": [], "naive": [], "ledger_state": [], "page": []}
    for _ in range(rounds):
        for name, func in (
            ("decisions", lambda: compliance.choice_counts("default", keys)),
            ("naive", lambda: naive(keys)),
            ("ledger_state", lambda: compliance.ledger_state("default")),
            ("page", lambda: client.get(page)),
        ):
            t = time.perf_counter()
            func()
            times[name].append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    report = ledger.verify("default")
    verify_s = time.perf_counter() - t
    assert report.ok, report.problems[:3]
    result = {name: statistics.median(v) for name, v in times.items()}
    result["verify_s"] = verify_s
    result["window"] = fast.totals[30]
    result["records"] = ConsentRecord.objects.count()
    result["label"] = label
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--spread-only", action="store_true", help="Skip the all-recent shape (for a large --records).")
    args = parser.parse_args()
    setup()
    try:
        run(args)
    finally:
        import shutil

        from django.db import connections

        connections.close_all()
        shutil.rmtree(os.environ["COOKIECHARTER_TEST_DB_DIR"], ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    rows = []
    shapes = [("spread over 2 years", 730.0), ("all in the last 30 days", 29.5)]
    for label, days in shapes[:1] if args.spread_only else shapes:
        t = time.perf_counter()
        fill(args.records, days)
        print(f"{label}: {args.records} records written in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        rows.append(measure(label, args.rounds))
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT method, COUNT(id) FROM cookiecharter_consentrecord "
            "WHERE created_at >= '2026-01-01' GROUP BY method"
        )
        plan = " / ".join(str(r[-1]) for r in cursor.fetchall())
    print(
        f"\nSQLite {connection.Database.sqlite_version}, {args.records} records, median of {args.rounds} rounds; plan: {plan}\n"
    )
    print(
        "| Ledger | records in the 30-day window | decisions() (ms) | naive Python loop (ms) | ratio naive / decisions() | ledger_state() (ms) | whole page (ms) | verify button (s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['label']} | {r['window']:,} | {r['decisions']:.1f} | {r['naive']:.1f} | {r['naive'] / r['decisions']:.1f} | "
            f"{r['ledger_state']:.1f} | {r['page']:.1f} | {r['verify_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
