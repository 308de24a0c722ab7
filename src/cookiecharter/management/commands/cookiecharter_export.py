"""Export one site's ledger, or part of it, to a file or to standard output, in constant memory.

    python manage.py cookiecharter_export --site default --since 2026-01-01 --until 2026-03-31 \
        --purpose statistics --format iso27560 --output ledger.jsonl

The export is recorded (``LedgerExport``) as made by "command", with the system user who ran it.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from ... import export
from ...core.export import FORMATS
from ..sites import LedgerCommand


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container without passwd entry): say so
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


class Command(LedgerCommand):
    help = "Export the consent ledger of one site (CSV, JSON Lines or ISO/IEC TS 27560 records), streamed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", default=None, help="The site to export (default: the first configured one).")
        parser.add_argument("--since", default=None, help="From this date (YYYY-MM-DD, inclusive) or date and time.")
        parser.add_argument("--until", default=None, help="Until this date (YYYY-MM-DD, inclusive) or date and time.")
        parser.add_argument("--purpose", default=None, help="Only records whose choices answer this purpose.")
        # Not argparse's ``choices``: an unknown format gets the same message as in the admin.
        parser.add_argument("--format", default="csv", help=f"One of {', '.join(FORMATS)} (default csv).")
        parser.add_argument("--output", "-o", default="-", help="The file to write, or - for standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            query = export.make_query(
                site=options["site"],
                format=options["format"],
                since=options["since"],
                until=options["until"],
                purpose=options["purpose"],
            )
        except export.ExportError as exc:
            raise CommandError(str(exc)) from exc
        output = options["output"]
        chunks = export.ExportRun(query, username="command", os_user=_os_user())
        if output == "-":
            # Each chunk ends on a record's end, so it decodes on its own.
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8"), ending="")
            self.stdout.flush()
            return
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"cannot write {output}: the folder {path.parent} does not exist")
        try:
            with path.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
        done = chunks.exporter
        self.stderr.write(
            f"{done.records} records, {done.size} bytes written to {output} ({query.format}, site {query.site}); "
            f"SHA-256 {done.sha256}"
        )
