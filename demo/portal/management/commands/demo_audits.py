"""Seed two audits of the main portal, so a first look at the back office shows what audits are for.

The first, a week ago, found nothing to fix; the second, yesterday, found a cookie the charter does
not declare (``_ga``, as if someone had pasted an analytics snippet into a page). Both are stored
through ``cookiecharter.audits.record`` and sealed into the ledger like a real run of
``manage.py cookiecharter_audit``: ``cookiecharter_verify`` checks them, and editing one shows.

Idempotent: a site that already has audits is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cookiecharter import audits, ledger
from cookiecharter.core.audit import FindingFacts, RunFacts, sha256_json, verdict_of
from cookiecharter.models import AuditRun
from cookiecharter.sites import registry

PAGES = ["/fr/", "/fr/cookies/", "/fr/carte/"]


def _notes(base: str) -> list[FindingFacts]:
    """What a real audit of the portal notes: its own cookies, unknown to the scanner's knowledge base."""
    return [
        FindingFacts(
            "CC012",
            "info",
            name,
            phase,
            base + "/fr/",
            f"Cookie `{name}` is not in the knowledge base: the charter's declaration is the only description of it.",
        )
        for name, phase in (("portal_audience", "accept"), ("mapwidget_session", "accept"))
    ]


class Command(BaseCommand):
    help = "Seed two audits of the main portal (one clean, one that found an undeclared cookie), sealed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", default="default", help="The site to seed (default: default).")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The URL the seeded runs name.")

    def handle(self, *args, site: str, url: str, **options) -> None:
        if site not in registry.names():
            raise CommandError(f"unknown site {site!r}: the sites are {', '.join(registry.names())}")
        if AuditRun.objects.filter(site=site).exists():
            self.stdout.write(f"demo audits: site {site} already has audits, left as they are")
            return
        charter = registry.get(site).charter
        base = url.rstrip("/")
        now = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0)
        undeclared = FindingFacts(
            "CC001",
            "error",
            "_ga",
            "arrival,refuse,gpc",
            base + "/fr/carte/",
            "Cookie `_ga` (127.0.0.1, first party) is not declared in the charter.",
        )
        for days_ago, findings in ((8, _notes(base)), (1, [undeclared, *_notes(base)])):
            finished = now - timedelta(days=days_ago)
            run = audits.record(
                RunFacts(
                    site=site,
                    base_url=base + "/",
                    started_at=finished - timedelta(seconds=47),
                    finished_at=finished,
                    charter_digest=charter.digest,
                    charter_edition=charter.edition,
                    pages=[base + p for p in PAGES],
                    verdict=verdict_of(f.severity for f in findings),
                    # No scanner report behind a seeded run: the digest of its findings stands in.
                    report_digest=sha256_json([f.digest() for f in findings]),
                    findings=tuple(findings),
                ),
                charter,
            )
            self.stdout.write(f"demo audits: run {run.pk} of site {site}, {run.verdict}, ledger record {run.record_id}")
        ledger.seal_pending(site, partial=True)
