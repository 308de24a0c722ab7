"""The ledger and endpoint tests again, on PostgreSQL (skipped when it is unreachable, except CI).

They run in a pytest subprocess whose settings point the default database at PostgreSQL, so the
very same tests (concurrency, tampering, the endpoint) prove both backends.
"""

from __future__ import annotations

import pytest

from tests.django.postgres_rerun import ROOT, rerun_on_postgresql

FILES = [
    "tests/django/test_ledger_concurrency.py",
    "tests/django/test_ledger_verify.py",
    "tests/django/test_ledger_incremental.py",
    "tests/django/test_consent_endpoint.py",
]


@pytest.mark.postgres
def test_ledger_suite_on_postgresql(require_postgres):
    output = rerun_on_postgresql("ledger", *(ROOT / f for f in FILES))
    assert "skipped" not in output, output[-3000:]
