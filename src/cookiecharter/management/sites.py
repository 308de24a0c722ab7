"""What the ledger commands share: the ``--site`` option, and a clear error when the database
cannot be read (not migrated yet, or down) instead of a traceback."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from ..sites import registry


def add_site_argument(parser: CommandParser, what: str) -> None:
    parser.add_argument(
        "--site",
        action="append",
        dest="sites",
        metavar="NAME",
        help=f"Only this site ({what} every site by default); repeat for several. "
        '"default" is the site of the top-level CHARTER.',
    )


def chosen_sites(options: dict[str, Any], present: list[str] | None = None) -> list[str]:
    """The sites named with ``--site`` (checked), or every configured site and every site in ``present``."""
    configured = registry.names()
    asked = options.get("sites")
    if asked:
        unknown = [s for s in asked if s not in configured and s not in (present or [])]
        if unknown:
            raise CommandError(f"unknown site {unknown[0]!r}: the sites are {', '.join(configured)}")
        return list(dict.fromkeys(asked))
    # The configured sites in their order, then any other the ledger still holds records of.
    return configured + sorted(set(present or []) - set(configured))


class LedgerCommand(BaseCommand):
    """A command that reads or writes the ledger's tables."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except DatabaseError as exc:
            raise CommandError(
                f"the ledger's database could not be used ({exc}): is it reachable, and has "
                "`python manage.py migrate` been run?"
            ) from exc
