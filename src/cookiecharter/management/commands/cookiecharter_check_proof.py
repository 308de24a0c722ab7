"""Check a visitor's proof bundle with the site's key: what ``cookiecharter check-proof`` rechecks
without it, plus each record's HMAC and each seal's hash, which only the controller can recompute.

For the controller to run in front of an inspector who doubts the bundle's "verification" part.
Exit status 0 when the bundle checks out, 1 (CommandError) when anything does not.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import ledger
from ...core import bundle as proof_bundle


class Command(BaseCommand):
    help = "Check a proof bundle (from the back office) with the site's key: digests, seals, chain and HMACs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", help="The bundle's JSON file (proof-<consent id>.json).")

    def handle(self, *args: Any, bundle: str, **options: Any) -> None:
        try:
            with open(bundle, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {bundle} as JSON: {exc}") from exc
        try:
            outcome = proof_bundle.check(data)
            keyed = proof_bundle.check_keyed(data, ledger.ledger_keys())
        except proof_bundle.BundleError as exc:
            raise CommandError(f"{bundle}: {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"{bundle}: the bundle is incomplete or malformed ({exc})") from exc
        failures = [*outcome.failures, *keyed]
        for failure in failures:
            self.stdout.write(f"FAILED   {failure}")
        if failures:
            raise CommandError(f"{bundle}: does NOT check out: {len(failures)} problem(s)")
        records, seals = len(data["records"]), len(data["seals"])
        self.stdout.write(
            f"{bundle}: checks out, HMACs included: {records} record(s) and {seals} seal(s) verified with the site's key"
        )
