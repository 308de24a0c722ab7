"""Charter files written for a person to complete load back as the charter they were written from."""

from __future__ import annotations

from pathlib import Path

import pytest

from cookiecharter.core.draft import charter_toml
from cookiecharter.core.loading import load_charter, loads_charter

DEMO = Path(__file__).resolve().parents[2] / "demo"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "charters"


@pytest.mark.parametrize("path", [DEMO / "charter.toml", DEMO / "charter-seed.toml", FIXTURES / "valid.toml"])
def test_a_charter_written_out_loads_back_the_same(path):
    charter = load_charter(path)
    again = loads_charter(charter_toml(charter, heading="written by a test\n\nsecond paragraph"), "again.toml")
    assert again.digest == charter.digest and again.consent_version == charter.consent_version
