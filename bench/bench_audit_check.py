#!/usr/bin/env python3
"""What the audit runs' check adds to ``cookiecharter_verify`` on a large ledger (SQLite file).

One command::

    PYTHONPATH=src .venv/bin/python bench/bench_audit_check.py                 # 1,000,000 records
    PYTHONPATH=src .venv/bin/python bench/bench_audit_check.py --records 200000

It migrates a fresh SQLite file (``tests.settings``, in a temporary folder), writes ``--records``
records (random consent ids; the hashes do not matter here), then 30 audit runs of 5 findings each
through ``audits.record``. Then, alternating, median of ``--rounds``:

- ``audits.check()`` as a whole (the audit records, the runs and their findings, every digest);
- its look-up of the audit records alone, by a range of the ``consent_id`` index (what it does);
- the same look-up filtered on ``method = 'audit'`` (no index on it), as first written;
- ``ledger.verify()`` once, for scale: what the check is added to.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def setup() -> None:
    os.environ["COOKIECHARTER_TEST_DB_DIR"] = tempfile.mkdtemp(prefix="cookiecharter-bench-audit-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(n: int, runs: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from cookiecharter import audits, ledger
    from cookiecharter.core.audit import FindingFacts, RunFacts
    from cookiecharter.models import ConsentRecord
    from cookiecharter.sites import registry

    charter = registry.get("default").charter
    version = ledger.charter_version(charter).pk
    sql = (
        f"INSERT INTO {ConsentRecord._meta.db_table} (site, consent_id, created_at, charter_version_id, texts_digest, "
        "language, choices, method, user_id, record_hash) VALUES ('default', %s, %s, %s, '', 'fr', '{}', "
        "'refuse-all', NULL, '')"
    )
    now = timezone.now()
    batch = []
    for i in range(n):
        batch.append((secrets.token_urlsafe(12), (now - timedelta(seconds=n - i)).isoformat(sep=" "), version))
        if len(batch) == 50_000:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()
    if batch:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    for r in range(runs):
        finished = now - timedelta(days=runs - r)
        findings = tuple(FindingFacts("CC012", "info", f"c{k}", "accept", "/", "note") for k in range(5))
        audits.record(
            RunFacts("default", "http://x/", finished, finished, charter.digest, "", ["/"], "pass", "", findings),
            charter,
        )


def by_method() -> None:
    from cookiecharter.models import ConsentRecord

    list(ConsentRecord.objects.filter(site="default", method="audit").values_list("id", "consent_id", "texts_digest"))


def by_range() -> None:
    from cookiecharter.audits import RECORD_END, RECORD_PREFIX
    from cookiecharter.models import ConsentRecord

    rows = ConsentRecord.objects.filter(consent_id__gte=RECORD_PREFIX, consent_id__lt=RECORD_END)
    [row for row in rows.values_list("id", "consent_id", "texts_digest", "site") if row[3] == "default"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    setup()
    from cookiecharter import audits, ledger

    started = time.perf_counter()
    fill(args.records, args.runs)
    print(f"{args.records:,} records and {args.runs} audit runs written in {time.perf_counter() - started:.1f} s")
    assert audits.check("default") == []
    variants = (
        ("audits.check() (whole)", lambda: audits.check("default")),
        ("records by consent_id range", by_range),
        ("records by method", by_method),
    )
    timings: dict[str, list[float]] = {name: [] for name, _ in variants}
    for _ in range(args.rounds):
        for name, work in variants:
            t = time.perf_counter()
            work()
            timings[name].append(time.perf_counter() - t)
    for name, values in timings.items():
        print(f"{name:<28} median {statistics.median(values) * 1000:9.1f} ms  (of {args.rounds})")
    t = time.perf_counter()
    ledger.verify("default")
    print(f"{'ledger.verify() (once)':<28}        {(time.perf_counter() - t) * 1000:9.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
