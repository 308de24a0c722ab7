"""List the cookies the enforcement blocked, reported or capped, to complete the charter.

``cookiecharter_observed`` prints a table; ``--toml`` prints a ``[[cookies]]`` entry for each
undeclared cookie still missing from the charter, ready to paste into the file and complete.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from ...core.draft import declaration_stub
from ...models import ObservedCookie
from ...sites import registry
from ..sites import LedgerCommand, add_site_argument, chosen_sites


class Command(LedgerCommand):
    help = "List cookies the enforcement middleware blocked, reported or capped (--toml: charter entries to add)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--toml",
            action="store_true",
            help="Print a charter entry for each undeclared cookie the charter still does not declare.",
        )
        parser.add_argument(
            "--reason",
            choices=["undeclared", "not-consented", "lifetime-capped"],
            help="Only this reason (the table shows all by default).",
        )
        add_site_argument(parser, "lists")

    def handle(self, *args: Any, toml: bool = False, reason: str | None = None, **options: Any) -> None:
        for site in chosen_sites(options):
            if len(registry.names()) > 1:
                self.stdout.write(f"== site {site}")
            self.site(site, toml, reason)

    def site(self, site: str, toml: bool, reason: str | None) -> None:
        charter = registry.get(site).charter
        rows = ObservedCookie.objects.filter(site=site).order_by("-count", "name")
        if toml:
            # Names declared since they were seen are done with: only what is still missing.
            missing = [r for r in rows.filter(reason="undeclared") if not charter.declares(r.name)]
            if not missing:
                self.stderr.write("No undeclared cookie observed that the charter still lacks.")
                return
            stubs = [
                declaration_stub(r.name, r.lifetime, r.example_path, registry.get(site).declared_charter)
                for r in missing
            ]
            self.stdout.write("\n\n".join(stubs))
            return
        if reason:
            rows = rows.filter(reason=reason)
        table = [
            (
                r.name,
                r.reason,
                str(r.count),
                r.first_seen.strftime("%Y-%m-%d %H:%M"),
                r.last_seen.strftime("%Y-%m-%d %H:%M"),
                "yes" if charter.declares(r.name) else "no",
                r.example_path,
            )
            for r in rows
        ]
        if not table:
            self.stdout.write("No cookie observed.")
            return
        header = ("NAME", "REASON", "COUNT", "FIRST SEEN", "LAST SEEN", "DECLARED NOW", "EXAMPLE PATH")
        widths = [max(len(row[i]) for row in (header, *table)) for i in range(len(header))]
        for row in (header, *table):
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
