"""Audit the site's own pages with the scanner, in its four phases, and keep the run as proof.

Fit for cron: the run, its findings and their digests go to the database, the run is sealed into the
ledger, and the exit status says whether anything got worse since the site's previous run:

- 0: nothing new (no new error or warning, the verdict no worse);
- 1: new findings (errors or warnings) or a worse verdict than the previous run (or, on a first run,
  any error or warning);
- 2: the audit could not run (the ``scan`` extra or a Chromium missing, the site not answering, bad
  options); nothing is stored.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError

from ... import audits, ledger
from ...models import AuditRun
from ...sites import registry
from ..sites import LedgerCommand

EXIT_WORSE = 1
EXIT_FAILED = 2


class Command(LedgerCommand):
    help = (
        "Audit the site's own pages in a headless Chromium (arrival, refuse, accept, GPC), store the run "
        "and its findings, seal it into the ledger. Exit 0: nothing new; 1: worse than the previous run; "
        "2: could not run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", default=None, metavar="NAME", help="The site to audit (default: the first).")
        parser.add_argument(
            "--url",
            default=None,
            help="The site's base URL (default: https:// and the site's first name in HOSTS).",
        )
        parser.add_argument("--pages", type=int, default=5, help="At most this many pages per phase (default 5).")
        parser.add_argument("--browser", default=None, help="The Chromium to drive (default: as the scanner finds it).")
        parser.add_argument("--timeout", type=float, default=20.0, help="Seconds per page load (default 20).")
        parser.add_argument("--out", default=None, metavar="DIR", help="Also write the scanner's report.json there.")
        parser.add_argument("--database", default=None, help="Database alias (default: LEDGER_DATABASE).")

    def handle(self, *args: Any, **options: Any) -> None:
        site_name, url = self._target(options)
        if options["pages"] < 1:
            raise CommandError("--pages must be at least 1", returncode=EXIT_FAILED)
        site = registry.get(site_name)
        database = options["database"]
        try:  # before a minute of browsing, not after: the run must have somewhere to go
            AuditRun.objects.using(database or ledger.ledger_alias()).exists()
        except DatabaseError as exc:
            raise CommandError(
                f"the database could not be used ({exc}): is it reachable, and has `python manage.py migrate` been run?",
                returncode=EXIT_FAILED,
            ) from exc
        report, started, finished = self._scan(url, site.charter, options)
        facts = audits.facts_from_report(report, site=site_name, started_at=started, finished_at=finished)
        try:
            run = audits.record(facts, site.charter, using=database)
        except DatabaseError as exc:
            raise CommandError(f"the run could not be stored: {exc}", returncode=EXIT_FAILED) from exc
        self._seal(site_name, database)
        if options["out"]:
            from ...scan.report import to_json

            os.makedirs(options["out"], exist_ok=True)
            with open(os.path.join(options["out"], "report.json"), "w", encoding="utf-8") as fh:
                fh.write(to_json(report))

        before = audits.previous(run, using=database)
        delta = audits.change(run, before)
        self.stdout.write(
            f"audit run {run.pk} of site {site_name}: {url}, {len(facts.pages)} page(s), verdict {run.verdict}, "
            f"{run.errors} error(s), {run.warnings} warning(s), {run.infos} note(s); ledger record {run.record_id}"
        )
        for rule, subject, phase in delta.new:
            self.stdout.write(f"  new: {rule} {subject} ({phase or '-'})")
        for rule, subject, phase in delta.gone:
            self.stdout.write(f"  gone: {rule} {subject} ({phase or '-'})")
        if delta.worse:
            why = []
            if delta.new_counted:
                why.append(f"{delta.new_counted} new error(s) or warning(s)")
            if delta.verdict_worse and before is not None:
                why.append(f"verdict {before.verdict} -> {run.verdict}")
            since = f"since run {before.pk}" if before else "on a first run"
            raise CommandError(f"the audit got worse {since}: {', '.join(why)}", returncode=EXIT_WORSE)
        self.stdout.write(self.style.SUCCESS("nothing new" + (f" since run {before.pk}" if before else "")))

    def _target(self, options: dict[str, Any]) -> tuple[str, str]:
        names = registry.names()
        name = options["site"] or names[0]
        if name not in names:
            raise CommandError(f"unknown site {name!r}: the sites are {', '.join(names)}", returncode=EXIT_FAILED)
        url = options["url"]
        if not url:
            hosts = [h.lstrip(".") for h in registry.settings().site(name).hosts if "*" not in h]
            if not hosts:
                raise CommandError(
                    f"site {name!r} names no host in HOSTS: give its base URL with --url", returncode=EXIT_FAILED
                )
            url = f"https://{hosts[0]}/"
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"{url!r} is not an http(s) URL", returncode=EXIT_FAILED)
        return name, url

    def _scan(self, url: str, charter: Any, options: dict[str, Any]) -> tuple[Any, datetime, datetime]:
        """The scanner's four phases on the site, judged against its charter: the very audit of
        ``cookiecharter scan`` (``scan.command.scan_site``), without a progress bar for cron."""
        from ...scan.command import ExtraMissing, ScanFailed, ScanRequest, require_extra, scan_site

        request = ScanRequest(url=url, pages=options["pages"], browser=options["browser"], timeout=options["timeout"])
        started = datetime.now(timezone.utc)
        try:
            require_extra()
            from ...scan.knowledge import default_knowledge_base

            report = scan_site(request, charter, None, default_knowledge_base(), None)
        except (ExtraMissing, ScanFailed) as exc:
            raise CommandError(str(exc), returncode=EXIT_FAILED) from None
        return report, started, datetime.now(timezone.utc)

    def _seal(self, site: str, database: str | None) -> None:
        """Seal the run's record now (a cron job has no request after which to seal), once the
        ledger's grace period is over, so a choice still being written is never skipped."""
        time.sleep(registry.settings().seal_grace)
        ledger.seal_pending(site, using=database, partial=True)
