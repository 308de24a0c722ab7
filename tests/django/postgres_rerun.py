"""Run test files a second time on PostgreSQL, from a test of the normal (SQLite) run.

The files' own tests run on SQLite; a test calling ``rerun_on_postgresql`` runs the same files in a
fresh pytest under ``tests.django.ledger_pg_settings`` (a database of its own, named after the caller
and the process), where JSON look-ups, FILTER clauses, cursors and locks are PostgreSQL's. The inner
run skips that very test, so it does not recurse.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def rerun_on_postgresql(name: str, *files: str | Path) -> str:
    """Run ``files`` on PostgreSQL; fail with the end of their output unless they all pass. Returns
    the output, for a caller that expects some test to be skipped there (or none)."""
    if os.environ.get("COOKIECHARTER_INNER_PG_RUN"):
        pytest.skip("already the PostgreSQL run")
    env = {
        **os.environ,
        "COOKIECHARTER_INNER_PG_RUN": "1",
        "COOKIECHARTER_PG_TEST_NAME": f"cookiecharter_{name}_{os.getpid()}",
    }
    paths = [str(Path(f).resolve().relative_to(ROOT)) for f in files]
    settings = ["--ds", "tests.django.ledger_pg_settings", "--create-db"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *settings, *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output, output[-3000:]
    return output
