"""The ledger and endpoint tests again, on PostgreSQL (skipped when it is unreachable, except CI).

They run in a pytest subprocess whose settings point the default database at PostgreSQL, so the
very same tests (concurrency, tampering, the endpoint) prove both backends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    "tests/django/test_ledger_concurrency.py",
    "tests/django/test_ledger_verify.py",
    "tests/django/test_ledger_incremental.py",
    "tests/django/test_consent_endpoint.py",
]


@pytest.mark.postgres
def test_ledger_suite_on_postgresql(require_postgres):
    if os.environ.get("COOKIECHARTER_INNER_PG_RUN"):
        pytest.skip("already the PostgreSQL run")
    env = {
        **os.environ,
        "COOKIECHARTER_INNER_PG_RUN": "1",
        "COOKIECHARTER_PG_TEST_NAME": f"cookiecharter_ledger_{os.getpid()}",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds",
            "tests.django.ledger_pg_settings",
            "--create-db",
            *FILES,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "skipped" not in output, output[-3000:]
