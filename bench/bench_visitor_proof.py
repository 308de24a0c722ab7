#!/usr/bin/env python3
"""What the proof for one visitor costs on a large ledger (SQLite file), part by part, side by side.

One command::

    .venv/bin/python bench/bench_visitor_proof.py                       # 20,000 then 200,000 records
    .venv/bin/python bench/bench_visitor_proof.py --records 1000000

For each size it fills a fresh ledger as ``bench_back_office.py`` does (real hashes, sealed in
batches of ``LEDGER_SEAL_BATCH``), picks a visitor in the middle, and reports the median of
``--rounds`` of, alternating:

- ``records_of``: the look-up the proof page makes (the ``consent_id`` index);
- ``build``: the whole bundle (the JSON download's work), with its verification of the chain of
  seals and of the seals over the visitor's records (``visitor_proof.verify_for``);
- ``ledger.verify``: the whole ledger's verification (the verify button), which ``build`` avoids;
- ``check``: the inspector's checker on the bundle, as ``cookiecharter check-proof`` runs it
  (charter page re-rendered included).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_back_office import fill, setup


def measure(records: int, rounds: int) -> dict[str, float]:
    from cookiecharter import ledger, visitor_proof
    from cookiecharter.core import bundle as core_bundle
    from cookiecharter.page import Honoured, build_page, to_markdown

    consent_id = f"{records // 2:016x}"

    def render(charter, language, options):
        return to_markdown(build_page(charter, language, honoured=Honoured(**options)))

    bundle = visitor_proof.build("default", consent_id)
    outcome = core_bundle.check(json.loads(json.dumps(bundle)), render_text=render)
    assert outcome.ok, outcome.failures
    times: dict[str, list[float]] = {"records_of": [], "build": [], "verify": [], "check": []}
    for _ in range(rounds):
        for name, func in (
            ("records_of", lambda: visitor_proof.records_of("default", consent_id)),
            ("build", lambda: visitor_proof.build("default", consent_id)),
            ("verify", lambda: ledger.verify("default")),
            ("check", lambda: core_bundle.check(bundle, render_text=render)),
        ):
            t = time.perf_counter()
            func()
            times[name].append((time.perf_counter() - t) * 1000)
    result = {name: statistics.median(values) for name, values in times.items()}
    result["size_kb"] = len(json.dumps(bundle, ensure_ascii=False, indent=2).encode()) / 1024
    result["seal_hashes"] = sum(len(s["record_hashes"] or []) for s in bundle["seals"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup()
    rows = []
    try:
        for n in args.records:
            t = time.perf_counter()
            fill(n, 730.0)
            print(f"{n} records written in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            rows.append((n, measure(n, args.rounds)))
    finally:
        import os
        import shutil

        from django.db import connections

        connections.close_all()
        shutil.rmtree(os.environ["COOKIECHARTER_TEST_DB_DIR"], ignore_errors=True)
    print(f"\nSQLite file, one visitor's record in the middle of the ledger, median of {args.rounds} rounds\n")
    print(
        "| Ledger | records_of, the page (ms) | build, the download (ms) | ledger.verify, for comparison (ms) "
        "| check, the inspector (ms) | bundle (KiB) | hashes of other records carried |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, r in rows:
        print(
            f"| {n:,} | {r['records_of']:.1f} | {r['build']:.0f} | {r['verify']:.0f} | {r['check']:.1f} "
            f"| {r['size_kb']:.0f} | {r['seal_hashes'] - 1:,} |"
        )


if __name__ == "__main__":
    main()
