#!/usr/bin/env python3
"""How long ``manage.py cookiecharter_audit`` takes on the demo portal, by number of pages.

One command::

    PYTHONPATH=src .venv/bin/python bench/bench_audit.py            # --pages 2 and 5, side by side

It starts a private demo portal (as the browser tests do: its own SQLite file, the map widget on
another port), then runs the audit command as cron would, once per page limit, in the same run, and
prints the wall-clock time of each (Django's start-up, Chromium's four phases, storing the run and the
``LEDGER_SEAL_GRACE`` wait before sealing included) with its outcome line.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import conftest as harness  # noqa: E402  (the browser tests' demo server helpers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="2,5", help="Page limits to compare (comma-separated).")
    parser.add_argument("--browser", default=None, help="The Chromium to drive (default: as the scanner finds it).")
    args = parser.parse_args()
    server = harness.start_demo(harness.DEFAULT_CHARTER)
    try:
        print(f"{'--pages':>8}  {'seconds':>8}  exit  outcome")
        for pages in [int(p) for p in args.pages.split(",")]:
            command = [sys.executable, str(harness.DEMO_DIR / "manage.py"), "cookiecharter_audit"]
            command += ["--url", server.url + "/", "--pages", str(pages)]
            command += ["--browser", args.browser] if args.browser else []
            started = time.perf_counter()
            done = subprocess.run(command, env=server.env, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            first = (done.stdout.strip().splitlines() or [done.stderr.strip()])[0]
            print(f"{pages:>8}  {elapsed:>8.1f}  {done.returncode:>4}  {first}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
