#!/usr/bin/env python3
"""How long the back office's charter versions page takes on a large ledger, beside the naive way.

One command::

    .venv/bin/python bench/bench_charter_versions.py                  # 200,000 records
    .venv/bin/python bench/bench_charter_versions.py --records 1000000
    .venv/bin/python bench/bench_charter_versions.py --postgres      # on 127.0.0.1:5432 (COOKIECHARTER_PG_*)

It migrates a fresh database (``tests.settings``: an SQLite file in a temporary folder, or a
PostgreSQL database made for the run and dropped after), writes ``--records`` ledger records spread
over two years on three charter versions (a third of the records each, in time order), and as many
again for a second site, so the page must pick its site's records. The records' hashes are not real
(nothing here verifies them). Then, alternating, median of ``--rounds``:

- ``site_versions()``: one aggregate query, the site's records grouped by charter version (first,
  last choice, count);
- ``naive``: the same figures computed in Python from every record of the site (what the page avoids);
- the whole page through Django's handler (``Client.get``, signed-in superuser): the list and the
  comparison of the two latest versions;
- ``compare()`` alone, on the demo's two charters.
"""

from __future__ import annotations

import argparse
import json
import os
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


def setup(postgres: bool) -> None:
    os.environ["COOKIECHARTER_TEST_DB_DIR"] = tempfile.mkdtemp(prefix="cookiecharter-bench-versions-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django.ledger_pg_settings" if postgres else "tests.settings"
    import django

    django.setup()


def fill(n: int) -> list[int]:
    """``n`` records per site over two years, on three versions of the demo's charter; their pks."""
    from dataclasses import replace

    from django.db import connection, transaction
    from django.utils import timezone

    from cookiecharter import ledger
    from cookiecharter.core.lifetime import Lifetime
    from cookiecharter.models import ConsentRecord
    from cookiecharter.sites import registry

    charter = registry.get("default").charter
    editions = [
        replace(
            charter,
            edition=f"2026-0{i + 1}",
            cookies=tuple(
                replace(c, lifetime=Lifetime.parse(f"{25 - 6 * i} months")) if c.name.value == "portal_audience" else c
                for c in charter.cookies
            ),
        )
        for i in range(2)
    ] + [charter]
    versions = [ledger.charter_version(c).pk for c in editions]
    now = timezone.now()
    start = now - timedelta(days=730)
    step = timedelta(days=730) / n
    table = ConsentRecord._meta.db_table
    sql = (
        f"INSERT INTO {table} (site, consent_id, created_at, charter_version_id, texts_digest, language, "
        "choices, method, user_id, record_hash) VALUES (%s, %s, %s, %s, '', 'fr', %s, 'refuse-all', NULL, '')"
    )
    choices = json.dumps({"statistics": False, "embeds": False})
    batch = []
    with transaction.atomic():  # one commit, not one per row
        _insert(n, start, step, versions, sql, choices, batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return versions


def _insert(n: int, start, step, versions: list[int], sql: str, choices: str, batch: list) -> None:
    from django.db import connection

    for i in range(n):
        when = (start + step * i).astimezone(dt_timezone.utc)
        stored = when if connection.vendor == "postgresql" else when.replace(tzinfo=None).isoformat(sep=" ")
        version = versions[min(2, i * 3 // n)]
        for site in ("default", "other"):
            batch.append((site, f"{i:016x}", stored, version, choices))
        if len(batch) >= 20_000:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()
    if batch:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)


def naive(site: str) -> dict[int, tuple]:
    from cookiecharter.models import ConsentRecord

    out: dict[int, list] = {}
    for version, created in (
        ConsentRecord.objects.filter(site=site).values_list("charter_version", "created_at").iterator(chunk_size=5000)
    ):
        line = out.setdefault(version, [created, created, 0])
        line[0] = min(line[0], created)
        line[1] = max(line[1], created)
        line[2] += 1
    return {k: tuple(v) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="Records per site (two sites).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    setup(args.postgres)

    from django.conf import settings
    from django.test.utils import get_runner

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        run(args)
    finally:
        runner.teardown_databases(old)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from cookiecharter.admin.charter_versions import site_versions
    from cookiecharter.core.changes import compare
    from cookiecharter.core.loading import load_charter

    t = time.perf_counter()
    versions = fill(args.records)
    filled = time.perf_counter() - t

    # The two ways must agree before their times are compared.
    fast = {line.version.pk: (line.first_used, line.last_used, line.records) for line in site_versions("default")}
    assert fast == naive("default"), (fast, naive("default"))
    assert set(fast) == set(versions)

    user = get_user_model().objects.create_superuser("bench", "b@example.org", "pw")
    client = Client()
    client.force_login(user)
    page = "/admin/cookiecharter/complianceoverview/versions/"
    response = client.get(page)
    assert response.status_code == 200 and b'id="changes"' in response.content

    older = load_charter(ROOT / "demo" / "charter-sister.toml").as_data()
    newer = load_charter(ROOT / "demo" / "charter.toml").as_data()
    times: dict[str, list[float]] = {"site_versions": [], "naive": [], "page": [], "compare": []}
    for _ in range(args.rounds):
        for name, func in (
            ("site_versions", lambda: site_versions("default")),
            ("naive", lambda: naive("default")),
            ("page", lambda: client.get(page)),
            ("compare", lambda: compare(older, newer)),
        ):
            t = time.perf_counter()
            func()
            times[name].append((time.perf_counter() - t) * 1000)
    medians = {name: statistics.median(v) for name, v in times.items()}
    print(
        f"{connection.vendor}, {args.records:,} records per site (2 sites, 3 versions), filled in {filled:.0f} s; "
        f"median of {args.rounds}:"
    )
    print(f"  site_versions()   {medians['site_versions']:10.1f} ms   (one grouped aggregate)")
    print(f"  naive             {medians['naive']:10.1f} ms   (every record into Python)")
    print(f"  versions page     {medians['page']:10.1f} ms   (list + comparison of the two latest, Client.get)")
    print(f"  compare() alone   {medians['compare']:10.3f} ms   (demo's two charters)")


if __name__ == "__main__":
    main()
