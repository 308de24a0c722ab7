"""The ``cookiecharter`` command: one function per subcommand under the ``main`` group.

This module imports only the core at import time, so ``cookiecharter validate`` works without
Django; a subcommand that needs more (rendering, scanning) imports it inside its own function.
"""

from __future__ import annotations

import sys

import click

from cookiecharter import __version__
from cookiecharter.core.charter import Charter
from cookiecharter.core.loading import CharterError, load_charter

#: Exit codes: 0 valid, 1 the charter has problems, 2 usage error or unreadable file (click's own).
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cookiecharter")
def main() -> None:
    """One declared cookie charter, and everything derived from it."""


def _summary(path: str, charter: Charter) -> str:
    consent = [p.key for p in charter.consent_purposes]
    needing = (
        f"{len(consent)} need{'s' if len(consent) == 1 else ''} consent ({', '.join(consent)})"
        if consent
        else "none needs consent (no banner)"
    )
    return (
        f"{path}: valid: {len(charter.purposes)} purpose{'s' if len(charter.purposes) != 1 else ''}, "
        f"{len(charter.cookies)} cookie{'s' if len(charter.cookies) != 1 else ''}, {needing}; "
        f"digest {charter.digest[:12]}, consent version {charter.consent_version}"
    )


@main.command()
@click.argument(
    "charters", nargs=-1, required=True, metavar="CHARTER...",
    type=click.Path(exists=True, dir_okay=False, readable=True),
)  # fmt: skip
def validate(charters: tuple[str, ...]) -> None:
    """Check charter files; list every problem as FILE:LINE: FIELD: MESSAGE.

    Exit status 0 when every file is valid, 1 when any has problems, 2 when one cannot be read.
    """
    invalid = 0
    for path in charters:
        try:
            charter = load_charter(path)
        except OSError as exc:  # vanished or unreadable between click's check and the read
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_UNREADABLE)
        except CharterError as exc:
            invalid += 1
            count = len(exc.problems)
            # On stdout, like a linter's findings: they are the answer, meant for grep and editors.
            click.echo(str(exc))
            click.echo(f"{path}: invalid: {count} problem{'s' if count != 1 else ''}")
            continue
        click.echo(_summary(path, charter))
    if invalid:
        sys.exit(EXIT_INVALID)
