#!/usr/bin/env python3
"""The long fuzzing run: every Hypothesis harness over untrusted input, for at least N inputs in all.

    .venv/bin/python bench/bench_fuzz.py                    # 1,000,000 inputs (some tens of minutes)
    .venv/bin/python bench/bench_fuzz.py --inputs 20000     # a short look

The harnesses are the tests marked ``fuzz`` (the consent cookie's codec, Set-Cookie values and dates,
the enforcer on raw headers, the charter loader, whole requests through the Django stack); ``make
test`` runs each a few hundred times, this runs them all with ``COOKIECHARTER_FUZZ_SCALE`` set so
that their short-run shares add up to ``--inputs``. It prints, per harness, the inputs tried and
whether it failed (an uncaught exception or a broken property, which Hypothesis then shrinks and
pytest reports), and the totals. Exit status 1 when any harness failed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Hypothesis's statistics: a header per test, then per phase "- during PHASE phase" and its counts.
# The inputs tried are those of the generate and reuse phases (shrinking re-runs a failing one).
_LINES = re.compile(
    r"^(?P<test>\S+::\S+):\s*$|- during (?P<phase>\w+) phase|- (?P<passing>\d+) passing, (?P<failing>\d+) failing",
    re.MULTILINE,
)
_FAILED = re.compile(r"^FAILED (\S+::\S+)", re.MULTILINE)


def run(scale: float, extra: list[str]) -> tuple[dict[str, list[int]], int, float, str]:
    env = {**os.environ, "COOKIECHARTER_FUZZ_SCALE": f"{scale:.4f}"}
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "fuzz",
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-show-statistics",
            "tests",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - started
    counts: dict[str, list[int]] = {}
    current, phase = None, ""
    for match in _LINES.finditer(done.stdout):
        if match["test"]:
            current = match["test"]
            counts.setdefault(current, [0, 0])
        elif match["phase"]:
            phase = match["phase"]
        elif current is not None and phase in ("generate", "reuse"):
            counts[current][0] += int(match["passing"]) + int(match["failing"])
    for test in _FAILED.findall(done.stdout):
        counts.setdefault(test, [0, 0])[1] = 1
    return counts, done.returncode, elapsed, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs in all (default 1,000,000)")
    args, extra = parser.parse_known_args(argv)
    # The short run's total, at scale 1, sets the scale of the long one.
    base, code, _, out = run(1, extra)
    if code != 0:
        print(out[-5000:])
        print("the short run already fails: fix that first")
        return 1
    short = sum(n for n, _ in base.values())
    scale = max(1.0, args.inputs / short)
    counts, code, elapsed, out = run(scale, extra)
    tried = sum(n for n, _ in counts.values())
    failing = sum(f for _, f in counts.values())
    print(f"{len(counts)} harnesses, scale ×{scale:.1f} of the short run ({short:,} inputs), {elapsed / 60:.1f} min")
    print()
    print("| harness | inputs tried | failed |")
    print("|---|---:|---:|")
    for test, (inputs, failed) in sorted(counts.items()):
        print(f"| `{test}` | {inputs:,} | {'yes' if failed else 'no'} |")
    print(f"| **all** | **{tried:,}** | **{failing}** |")
    if code != 0:
        print()
        print(out[-8000:])
    return 0 if code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
