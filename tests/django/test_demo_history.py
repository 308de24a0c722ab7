"""The demo's seeded history (``manage.py demo_history``, run by ``make demo``): six weeks of choices on
both portals written through the real ledger, sealed, verified clean, and written once only.

The demo is its own Django project (``demo/portal``), so it runs here as ``make demo`` runs it: its
``manage.py`` in a subprocess, on a fresh SQLite file, then on a fresh PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "demo" / "manage.py"

pytestmark = pytest.mark.django_db(databases=[])

#: What the demo's database holds, read through its own ORM.
FIGURES = """
import json
from datetime import datetime, time
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone
from cookiecharter.models import CharterVersion, ConsentRecord, LedgerSeal
out = {}
for site in ("default", "sainte-victoire"):
    records = ConsentRecord.objects.filter(site=site)
    span = records.aggregate(first=Min("created_at"), last=Max("created_at"))
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time()))
    out[site] = {
        "records": records.count(),
        "methods": dict(records.values_list("method").annotate(n=Count("id")).order_by()),
        "versions": records.values("charter_version").distinct().count(),
        "sealed": LedgerSeal.objects.filter(site=site).aggregate(n=Sum("count"))["n"] or 0,
        "days": (span["last"] - span["first"]).days if span["first"] else 0,
        "today": records.filter(created_at__gte=midnight).count(),
        "first_shown_in_past": all(
            v.first_shown_at < midnight
            for v in CharterVersion.objects.filter(pk__in=records.values("charter_version"))
        ),
    }
print(json.dumps(out))
"""


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, str(MANAGE), *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT / "demo"
    )
    assert done.returncode == 0 or args[0] == "cookiecharter_verify", done.stdout + done.stderr
    return done


def demo_env(tmp_path: Path, database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEMO_DATABASE=database,
        DEMO_LEDGER_DIRECTORY=str(tmp_path / "ledger"),
        DEMO_DEBUG="0",
    )
    return env


def seeded_twice(env: dict[str, str]) -> dict:
    manage(env, "migrate", "--noinput", "-v", "0")
    first = manage(env, "demo_history")
    assert "Site default:" in first.stdout and "Site sainte-victoire:" in first.stdout
    figures = json.loads(manage(env, "shell", "-c", FIGURES).stdout.strip().splitlines()[-1])

    # Twice: nothing more is written, and the command says why.
    again = manage(env, "demo_history")
    assert again.stdout.count("left as it is") == 2, again.stdout
    assert json.loads(manage(env, "shell", "-c", FIGURES).stdout.strip().splitlines()[-1]) == figures

    # The ledger verifies clean, hashes, seals and the witness outside the database included.
    verify = manage(env, "cookiecharter_verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.count("ledger intact") == 2, verify.stdout
    return figures


def check(figures: dict) -> None:
    main, sister = figures["default"], figures["sainte-victoire"]
    # Six weeks of plausible daily traffic on the main portal, fewer visitors on the small one.
    assert 1500 < main["records"] < 4000
    assert 200 < sister["records"] < main["records"]
    assert main["days"] >= 40
    # The sister portal dropped its only purpose needing consent two weeks ago: no choice since.
    assert 25 <= sister["days"] <= 29
    # More refusals than acceptances, and every kind of choice on the main portal.
    for site in (main, sister):
        assert site["methods"]["refuse-all"] > site["methods"]["accept-all"] > 0
        assert site["methods"]["custom"] > 0 and site["methods"]["withdraw"] > 0
    assert main["methods"]["browser-signal"] > 0
    # Two charter versions on the main portal, so the back office has a comparison to show; the
    # sister's records are all on its older edition (the one in force has no banner), which the
    # back office compares with the charter in force.
    assert main["versions"] == 2 and sister["versions"] == 1
    # Every record sealed, none dated today (today's are the visitors'), versions dated as first shown.
    for site in (main, sister):
        assert site["sealed"] == site["records"]
        assert site["today"] == 0
        assert site["first_shown_in_past"]


def test_seeds_six_weeks_once_and_the_ledger_verifies_clean_on_sqlite(tmp_path):
    check(seeded_twice(demo_env(tmp_path, str(tmp_path / "demo.sqlite3"))))


@pytest.mark.postgres
def test_the_same_on_postgresql(tmp_path, require_postgres):
    import psycopg

    name = f"cookiecharter_demo_history_{uuid.uuid4().hex[:8]}"
    server = {"host": require_postgres["HOST"], "port": require_postgres["PORT"], "user": require_postgres["USER"]}
    with psycopg.connect(**server, dbname=require_postgres["NAME"], autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}"
        check(seeded_twice(demo_env(tmp_path, url)))
    finally:
        with psycopg.connect(**server, dbname=require_postgres["NAME"], autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
