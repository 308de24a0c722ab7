"""Recompute every ledger hash and seal; report each record altered, deleted or inserted.

Exit status 0 when the ledger is intact, 1 on any problem (for cron and monitoring).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import ledger
from ...core.ledger import ProblemKind


class Command(BaseCommand):
    help = "Verify the consent proof ledger: every record hash, every seal and the seal chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")
        parser.add_argument(
            "--settle",
            type=float,
            default=2.0,
            help="When ids seem missing at the unsealed end, wait this many seconds and verify once "
            "more: a decision being written right now holds its id before its row is visible.",
        )

    def handle(self, *args: Any, database: str | None = None, settle: float = 2.0, **options: Any) -> None:
        report = ledger.verify(using=database)
        if settle > 0 and any(p.kind is ProblemKind.DELETED and p.seal_number is None for p in report.problems):
            time.sleep(settle)
            report = ledger.verify(using=database)
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(str(problem)))
        summary = (
            f"{report.records} records, {report.seals} seals ({report.sealed_records} records sealed, "
            f"{report.pruned_seals} seals pruned), {len(report.problems)} problems"
        )
        if report.problems:
            raise CommandError(f"ledger NOT intact: {summary}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"ledger intact: {summary}"))
