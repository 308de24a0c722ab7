"""Delete consent records older than the retention period, whole seals at a time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from ... import ledger
from ...sites import registry
from ..sites import LedgerCommand, add_site_argument, chosen_sites


class Command(LedgerCommand):
    help = (
        "Delete consent records older than --days (default: each site's LEDGER_RETENTION_DAYS), whole "
        "seals at a time; each pruned seal is marked so cookiecharter_verify stays clean."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None)
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")
        add_site_argument(parser, "prunes")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be at least 1")
        # Only configured sites: a site no longer configured has no retention setting to apply.
        for site in chosen_sites(options):
            days = options["days"] if options["days"] is not None else registry.settings().site(site).retention_days
            seals, records = ledger.prune(site, days=days, using=options["database"])
            self.stdout.write(
                self.style.SUCCESS(f"site {site}: pruned {records} records older than {days} days ({seals} seals)")
            )
