"""Count each site's closed days into the daily counts the compliance overview reads."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser

from ... import daily, ledger
from ..sites import LedgerCommand, add_site_argument, chosen_sites


class Command(LedgerCommand):
    help = (
        "Count every closed day of the ledger not counted yet into the daily counts the compliance "
        "overview reads. The overview does it itself when it opens; run this once after upgrading a "
        "large ledger (the first count reads every record), or nightly from cron, so no page waits for it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")
        add_site_argument(parser, "counts")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"] or ledger.ledger_alias()
        for site in chosen_sites(options, ledger.sites_in_ledger(using=alias)):
            started = time.monotonic()
            through = daily.refresh(site, using=alias)
            took = time.monotonic() - started
            if through is None:
                self.stdout.write(f"site {site}: no closed day to count yet")
            else:
                self.stdout.write(self.style.SUCCESS(f"site {site}: counted through {through} ({took:.1f} s)"))
