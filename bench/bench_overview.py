#!/usr/bin/env python3
"""The compliance overview's ledger figures on a 10,000,000-record PostgreSQL ledger: straight from
the records (what the page did until the daily counts) against the daily counts, side by side.

One command (PostgreSQL at 127.0.0.1:5432, user postgres, as the tests use it)::

    .venv/bin/python bench/bench_overview.py                      # 10,000,000 records
    .venv/bin/python bench/bench_overview.py --records 1000000    # quicker

It creates (or reuses, when it already holds ``--records`` records) the database
``cookiecharter_bench_overview``, fills it with SQL ``generate_series`` (one INSERT, a minute or so
for ten million: methods and choices mixed as visitors make them, 90 % on site "default" and 10 % on
"other", spread evenly over two years, ids in time order, one seal per 1,000 records; the hashes are
placeholders: nothing here verifies), then, alternating the two ways, median of ``--rounds``:

- ``from the records``: the queries the page ran before the daily counts (counts per method over 7
  and 30 days, share granted per purpose, the ledger state with its ``COUNT(*)``), plus the charts'
  30 days counted from the records per day;
- ``daily counts``: ``compliance.choice_counts``, ``compliance.ledger_state`` and
  ``compliance.choice_trend`` as the page calls them (closed days from ``DailyChoices``, today from
  the records);
- the whole page through Django's handler (signed-in superuser), with the daily counts.

Once: counting the whole history into the daily counts the first time (``daily.refresh`` from
nothing), and one closed day (what the first page of a morning does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

DATABASE = "cookiecharter_bench_overview"


def setup() -> None:
    # Before anything reads tests.conftest.POSTGRES: the bench's own database, never the shared one.
    os.environ["COOKIECHARTER_PG_NAME"] = DATABASE
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django.ledger_pg_settings"
    import psycopg

    from tests.conftest import POSTGRES

    with psycopg.connect(
        host=POSTGRES["HOST"], port=POSTGRES["PORT"], user=POSTGRES["USER"], dbname="postgres", autocommit=True
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f"CREATE DATABASE {DATABASE}")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    assert connection.settings_dict["NAME"] == DATABASE, connection.settings_dict["NAME"]
    call_command("migrate", verbosity=0)


def fill(n: int) -> None:
    from django.db import connection

    from cookiecharter import ledger
    from cookiecharter.models import ConsentRecord, DailyChoices, DailyChoicesMark, LedgerSeal
    from cookiecharter.sites import registry

    records = ConsentRecord._meta.db_table
    seals = LedgerSeal._meta.db_table
    version = ledger.charter_version(registry.get("default").charter).pk
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {records}, {seals}, {DailyChoices._meta.db_table}, {DailyChoicesMark._meta.db_table}")
        # r picks the method (45 % accept all, 35 % refuse all, 12 % custom, 3 % withdrawal, 5 % GPC).
        cursor.execute(
            f"""
            INSERT INTO {records} (id, site, consent_id, created_at, charter_version_id, texts_digest, language,
                                   choices, method, user_id, record_hash)
            SELECT i, CASE WHEN mod(i, 10) = 0 THEN 'other' ELSE 'default' END, lpad(to_hex(i), 16, '0'),
                   now() - interval '730 days' * (1 - i::float8 / %s), %s, repeat('0', 64),
                   CASE WHEN mod(i, 3) = 0 THEN 'en' ELSE 'fr' END,
                   CASE WHEN r < 0.45 THEN '{{"statistics": true, "embeds": true}}'
                        WHEN r < 0.80 THEN '{{"statistics": false, "embeds": false}}'
                        WHEN r < 0.86 THEN '{{"statistics": true, "embeds": false}}'
                        WHEN r < 0.92 THEN '{{"statistics": false, "embeds": true}}'
                        WHEN r < 0.95 THEN '{{"statistics": false, "embeds": false}}'
                        ELSE '{{"embeds": false}}' END::jsonb,
                   CASE WHEN r < 0.45 THEN 'accept-all' WHEN r < 0.80 THEN 'refuse-all'
                        WHEN r < 0.92 THEN 'custom' WHEN r < 0.95 THEN 'withdraw' ELSE 'browser-signal' END,
                   NULL, md5(i::text) || md5(i::text)
            FROM (SELECT i, random() AS r FROM generate_series(1, %s) AS i) AS g
            """,
            [n, version, n],
        )
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{records}', 'id'), %s)", [n])
        # One seal per 1,000 records of each site (placeholders: the overview only counts them).
        cursor.execute(
            f"""
            INSERT INTO {seals} (site, number, first_id, last_id, count, ids, records_digest, previous_hash,
                                 seal_hash, created_at, pruned_hash)
            SELECT s.site, b + 1, min(id), max(id), count(*), '', repeat('0', 64), '', repeat('0', 64),
                   max(created_at), ''
            FROM (SELECT site, id, created_at, (row_number() OVER (PARTITION BY site ORDER BY id) - 1) / 1000 AS b
                  FROM {records}) AS s
            GROUP BY s.site, b
            """
        )
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def before_choices(keys: list[str]) -> None:
    """The choice counts as the page computed them before the daily counts (the same queries)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from cookiecharter.models import ConsentRecord

    now = timezone.now()
    since = {d: now - timedelta(days=d) for d in (7, 30)}
    window = ConsentRecord.objects.filter(site="default", created_at__gte=since[30], created_at__lte=now)
    list(
        window.values("method")
        .order_by()
        .annotate(**{f"d{d}": Count("id", filter=Q(created_at__gte=since[d])) for d in (7, 30)})
    )
    aggregates = {}
    for i, key in enumerate(keys):
        aggregates[f"decided{i}"] = Count("id", filter=Q(choices__has_key=key))
        aggregates[f"granted{i}"] = Count("id", filter=Q(**{f"choices__{key}": True}))
    window.aggregate(**aggregates)


def before_state() -> int:
    """The ledger state as the page computed it before (its COUNT(*) over the site's records)."""
    from django.db.models import Min

    from cookiecharter.models import ConsentRecord, LedgerSeal

    records = ConsentRecord.objects.filter(site="default")
    seals = LedgerSeal.objects.filter(site="default")
    last = seals.order_by("-number").first()
    records.aggregate(oldest=Min("created_at"))
    count = records.count()
    seals.count()
    records.filter(id__gt=last.last_id if last else 0).count()
    return count


def before_trend() -> int:
    """The charts' 30 days counted from the records (one GROUP BY day, method, choices)."""
    from django.utils import timezone

    from cookiecharter import daily

    now = timezone.now()
    start = daily.day_start(daily.local_day(now) - timedelta(days=29))
    return sum(daily.from_records("default", start, now, using="default").values())


def after_choices(keys: list[str]) -> None:
    from cookiecharter import compliance

    compliance.choice_counts("default", keys)


def after_state() -> int:
    from cookiecharter import compliance

    return compliance.ledger_state("default").records


def after_trend(keys: list[str]) -> int:
    from django.utils import timezone

    from cookiecharter import compliance, daily

    today = daily.local_day(timezone.now())
    return compliance.choice_trend("default", keys, today - timedelta(days=29), today).total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--refill", action="store_true", help="fill again even when the count matches")
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from cookiecharter import daily
    from cookiecharter.models import ConsentRecord, DailyChoices, DailyChoicesMark

    have = ConsentRecord.objects.count()
    if have != args.records or args.refill:
        print(f"filling {args.records:,} records (had {have:,}) ...", flush=True)
        t = time.perf_counter()
        fill(args.records)
        print(f"  filled in {time.perf_counter() - t:.0f} s", flush=True)
    keys = ["statistics", "embeds"]

    # Once: the whole history counted from nothing, then one more closed day.
    DailyChoices.objects.all().delete()
    DailyChoicesMark.objects.all().delete()
    t = time.perf_counter()
    through = daily.refresh("default", using="default")
    first = time.perf_counter() - t
    assert through is not None
    DailyChoices.objects.filter(site="default", day=through).delete()
    DailyChoicesMark.objects.filter(site="default").update(through=through - timedelta(days=1))
    t = time.perf_counter()
    daily.refresh("default", using="default")
    one_day = time.perf_counter() - t

    setup_test_environment()
    user_model = get_user_model()
    user_model.objects.filter(username="bench").delete()
    client = Client()
    client.force_login(user_model.objects.create_superuser("bench", "bench@example.org", "pw"))

    def page() -> int:
        response = client.get("/admin/cookiecharter/complianceoverview/")
        assert response.status_code == 200
        return 0

    ways = {
        "from the records: choice counts": lambda: before_choices(keys),
        "from the records: ledger state": before_state,
        "from the records: charts' 30 days": before_trend,
        "daily counts: choice counts": lambda: after_choices(keys),
        "daily counts: ledger state": after_state,
        "daily counts: charts' 30 days": lambda: after_trend(keys),
        "whole page (daily counts)": page,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    results = {name: way() for name, way in ways.items()}  # warm up once each
    # Both ways count the same records.
    assert results["from the records: ledger state"] == results["daily counts: ledger state"], results
    assert results["from the records: charts' 30 days"] == results["daily counts: charts' 30 days"], results
    for _ in range(args.rounds):
        for name, way in ways.items():
            t = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - t)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    total, last30 = results["daily counts: ledger state"], results["daily counts: charts' 30 days"]
    print(
        f"\n{version}, {total:,} records on site 'default' ({args.records:,} in all), {last30:,} in the "
        f"last 30 days; median of {args.rounds} rounds"
    )
    print(f"{'overview ledger figures':<36} {'median ms':>10} {'min ms':>10}")
    for prefix in ("from the records", "daily counts"):
        names = [n for n in ways if n.startswith(prefix + ":")]
        for name in names:
            print(f"{name:<36} {statistics.median(times[name]) * 1000:>10.1f} {min(times[name]) * 1000:>10.1f}")
        rounds = [sum(times[n][i] for n in names) for i in range(args.rounds)]
        print(f"{prefix + ': all three':<36} {statistics.median(rounds) * 1000:>10.1f} {min(rounds) * 1000:>10.1f}")
    name = "whole page (daily counts)"
    print(f"{name:<36} {statistics.median(times[name]) * 1000:>10.1f} {min(times[name]) * 1000:>10.1f}")
    print(f"\nonce: whole history into daily counts {first:.1f} s; one more closed day {one_day * 1000:.0f} ms")


if __name__ == "__main__":
    main()
