"""Seal the ledger's unsealed records now (normally done automatically, batch by batch and by time).

First moves into the database the proof records that waited for it (``LEDGER_DIRECTORY``); fit for
cron, every few minutes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ... import ledger
from ..sites import LedgerCommand, add_site_argument, chosen_sites


class Command(LedgerCommand):
    help = "Seal unsealed consent records in batches of LEDGER_SEAL_BATCH, the last batch partial."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")
        add_site_argument(parser, "seals")
        parser.add_argument("--batch", type=int, default=None, help="Records per seal (default: LEDGER_SEAL_BATCH).")
        parser.add_argument("--full-batches-only", action="store_true", help="Leave a last, incomplete batch unsealed.")
        parser.add_argument(
            "--grace",
            type=float,
            default=None,
            help="Leave records younger than this many seconds (a write may still be in flight; default: "
            "LEDGER_SEAL_GRACE).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        written = ledger.write_pending(using=options["database"])
        if written:
            self.stdout.write(f"{written} proof records that waited for the database written")
        for site in chosen_sites(options, ledger.sites_in_ledger(using=options["database"])):
            seals = ledger.seal_pending(
                site,
                using=options["database"],
                batch=options["batch"],
                partial=not options["full_batches_only"],
                grace_seconds=options["grace"],
            )
            records = sum(s.count for s in seals)
            self.stdout.write(self.style.SUCCESS(f"site {site}: {len(seals)} seals made over {records} records"))
