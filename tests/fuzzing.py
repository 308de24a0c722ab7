"""How much the fuzz harnesses try: a short run in ``make test``, a long one from bench/bench_fuzz.py.

Every Hypothesis harness that feeds the package untrusted input (the consent cookie, Set-Cookie
headers and dates, charters, whole requests) takes its settings from ``fuzz(n)`` and carries the
``fuzz`` marker. ``n`` is its share of a short run; ``COOKIECHARTER_FUZZ_SCALE`` multiplies every
share (the long run sets it so that the harnesses try at least 1,000,000 inputs in all).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

#: Applied to every harness (a module's ``pytestmark``, or a test's decorator).
mark = pytest.mark.fuzz


def scale() -> float:
    return float(os.environ.get("COOKIECHARTER_FUZZ_SCALE") or 1)


def fuzz(examples: int, **extra: Any) -> settings:
    """Hypothesis settings for a harness trying ``examples`` inputs in a short run."""
    return settings(
        max_examples=max(1, int(examples * scale())),
        deadline=None,
        database=None,  # a long run must not fill the project's example database
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
        **extra,
    )
