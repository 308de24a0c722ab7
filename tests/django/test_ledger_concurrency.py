"""N decisions at once, each thread with its own database connection: exactly N records, and the
ledger verifies (SQLite file in WAL mode here; PostgreSQL through test_ledger_postgres.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from cookiecharter.models import CharterVersion, ConsentRecord, LedgerSeal

N = 24
URL = "/fr/cookies/consent/"


def decide_in_threads(n: int, choice_of=lambda i: "accept-all") -> list[int]:
    barrier = threading.Barrier(n)
    statuses: list[int] = [0] * n
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)  # all start together: real contention
            response = client.post(
                URL, {"choice": choice_of(i), "purpose": "statistics"}, HTTP_ACCEPT="application/json"
            )
            statuses[i] = response.status_code
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connections

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_give_exactly_n_records_and_verify(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_SEAL_BATCH": 5}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    statuses = decide_in_threads(N, lambda i: ["accept-all", "refuse-all", "custom"][i % 3])
    assert statuses == [200] * N
    assert ConsentRecord.objects.count() == N
    assert ConsentRecord.objects.values("consent_id").distinct().count() == N
    assert CharterVersion.objects.count() == 1  # first shown by 24 racing requests, stored once
    call_command("cookiecharter_seal", "--grace", "0", stdout=io.StringIO())
    assert sum(LedgerSeal.objects.values_list("count", flat=True)) == N
    out = io.StringIO()
    call_command("cookiecharter_verify", "--settle", "0", stdout=out)
    assert f"{N} records" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_never_double_seal(settings):
    decide_in_threads(12)
    made: list[int] = []

    def seal() -> None:
        from cookiecharter import ledger

        try:
            made.extend(s.number for s in ledger.seal_pending("default", batch=4, grace_seconds=0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(made) == [1, 2, 3]  # each seal made by exactly one of the racing sealers
    out = io.StringIO()
    call_command("cookiecharter_verify", "--settle", "0", stdout=out)
    assert "3 seals (12 records sealed" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_give_exactly_n_records_and_verify():
    """Several OS processes, each its own Django and connection, writing at the same moment."""
    processes, per_process = 4, 8
    db = {
        k: v for k, v in connection.settings_dict.items() if k in ("ENGINE", "NAME", "HOST", "PORT", "USER", "PASSWORD")
    }

    env = {
        **os.environ,
        "COOKIECHARTER_WORKER_DB": json.dumps(db),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
    }
    worker = Path(__file__).with_name("ledger_worker.py")
    start_at = time.time() + 6  # time for every interpreter to import Django first
    procs = [
        subprocess.Popen(
            [sys.executable, str(worker), str(per_process), str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err[-3000:]
        assert json.loads(out.strip().splitlines()[-1]) == [200] * per_process
    assert ConsentRecord.objects.count() == processes * per_process
    call_command("cookiecharter_seal", "--grace", "0", stdout=io.StringIO())
    out = io.StringIO()
    call_command("cookiecharter_verify", "--settle", "0", stdout=out)
    assert f"{processes * per_process} records" in out.getvalue()
