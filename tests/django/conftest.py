"""Fixtures of the Django-level tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def ledger_directory(settings, tmp_path):
    """Each test its own folder outside the database (witness, pending records): the database is
    emptied between tests, and a witness that outlived it would remember seals that are gone."""
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "LEDGER_DIRECTORY": str(tmp_path / "ledger")}
    return tmp_path / "ledger"
