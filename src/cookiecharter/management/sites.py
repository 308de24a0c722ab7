"""The ``--site`` option the ledger commands share."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

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
