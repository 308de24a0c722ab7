"""Delete consent records older than the retention period, whole seals at a time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import conf, ledger


class Command(BaseCommand):
    help = (
        "Delete consent records older than --days (default: LEDGER_RETENTION_DAYS), whole seals at a "
        "time; each pruned seal is marked so cookiecharter_verify stays clean."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else int(conf.config()["LEDGER_RETENTION_DAYS"])
        if days < 1:
            raise CommandError("--days must be at least 1")
        seals, records = ledger.prune(days=days, using=options["database"])
        self.stdout.write(
            self.style.SUCCESS(f"pruned {records} records older than {days} days ({seals} seals)")
        )
