"""Recompute every ledger hash and seal; report each record altered, deleted or inserted.

Every site is verified in turn (``--site`` for one). Exit status 0 when the ledger is intact, 1 on
any problem (for cron and monitoring). After a clean run, the next one reads only the records added
since (``LEDGER_DIRECTORY/verified.jsonl``); ``--full`` reads every record again.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from ... import audits, ledger
from ...core.proof import ProblemKind, canonical_time
from ..sites import LedgerCommand, add_site_argument, chosen_sites


class Command(LedgerCommand):
    help = "Verify the consent proof ledger: every record hash, every seal and the seal chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")
        add_site_argument(parser, "verifies")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Read every record again, not only those added since the last clean verification "
            "(the seals and the number of the older records are checked either way).",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            help="Processes that read and hash the records when there are many to read (from "
            f"{ledger.PARALLEL_FROM:,}), while this one walks through them; 1: this process alone. Default: "
            f"the idle CPUs (those it may use less the load average), 1 to {ledger.DEFAULT_JOBS_MAX} (see "
            "docs/benchmarks.md, 'Verifying the ledger').",
        )
        parser.add_argument(
            "--settle",
            type=float,
            default=2.0,
            help="When ids seem missing at the unsealed end, wait this many seconds and verify once "
            "more: a decision being written right now holds its id before its row is visible.",
        )

    def handle(
        self,
        *args: Any,
        database: str | None = None,
        settle: float = 2.0,
        full: bool = False,
        jobs: int | None = None,
        **options: Any,
    ) -> None:
        if jobs is None:
            jobs = ledger.default_jobs()
        if jobs < 1:
            raise CommandError(f"--jobs must be 1 or more, not {jobs}")
        failed = []
        for site in chosen_sites(options, ledger.sites_in_ledger(using=database)):
            report = ledger.verify(site, using=database, full=full, jobs=jobs)
            if settle > 0 and any(p.kind is ProblemKind.DELETED and p.seal_number is None for p in report.problems):
                time.sleep(settle)
                report = ledger.verify(site, using=database, full=full, jobs=jobs)
            report.problems.extend(audits.check(site, using=database))  # the audit runs against their records
            for problem in report.problems:
                self.stdout.write(self.style.ERROR(f"{site}: {problem}"))
            summary = (
                f"{report.records} records, {report.seals} seals ({report.sealed_records} records sealed, "
                f"{report.pruned_seals} seals pruned), {len(report.problems)} problems"
            )
            if report.since_seal is not None and report.since_at is not None:
                summary += (
                    f"; incremental: records after seal {report.since_seal} (verified clean on "
                    f"{canonical_time(report.since_at)}) read, the {report.not_reread} before it counted, "
                    "not read again (--full reads them)"
                )
            if report.problems:
                failed.append(site)
                self.stdout.write(self.style.ERROR(f"site {site}: ledger NOT intact: {summary}"))
            else:
                self.stdout.write(self.style.SUCCESS(f"site {site}: ledger intact: {summary}"))
        if failed:
            raise CommandError(f"ledger NOT intact for {', '.join(failed)}", returncode=1)
