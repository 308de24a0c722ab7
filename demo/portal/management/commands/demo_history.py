"""Seed the demo's ledger with six weeks of visitors' choices on both portals, so that a first look at
the back office shows what it is for: figures per day, two charter versions to compare, a ledger
that verifies clean.

Everything goes through the real ledger: ``cookiecharter.ledger.append`` with the choice's time in
the past, then ``ledger.seal_pending`` at the end of each day, as the nightly ``cookiecharter_seal``
would have done. Nothing is written behind the ledger's back, so ``cookiecharter_verify`` finds
every hash, seal and checkpoint in order.

The story it tells (a fixed random seed, so every run tells the same one):

- the main portal (Aix-en-Provence) showed its previous charter, edition 2026-09, until three weeks
  ago: audience cookie kept 25 months, a second cookie of the map widget, the old DPO address.
  Edition 2026-11 (``demo/charter.toml``) shortened and cleaned that, which changed the consent
  version, so every visitor was asked again;
- the sister portal (Sainte-Victoire) asked consent for its audience measurement until two weeks
  ago, then dropped it (``demo/charter-sister.toml``: no purpose needs consent, no banner), so its
  choices stop there;
- more refusals than acceptances, as French sites see, some custom choices, some withdrawals by
  visitors who had accepted, and Global Privacy Control signals; fewer visitors at the weekend.

Idempotent: a site whose ledger already holds a record is left alone, so ``make demo`` can run it
every time. To start again: ``make clean-demo``.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from cookiecharter import ledger
from cookiecharter.conf import DEFAULT_SITE
from cookiecharter.core.charter import Charter, Cookie, CookieName, Party, Purpose
from cookiecharter.core.consent import Consent, Method, new_consent_id
from cookiecharter.core.lifetime import Lifetime
from cookiecharter.models import CharterVersion, ConsentRecord, LedgerSeal
from cookiecharter.sites import registry

SISTER = "sainte-victoire"
DAYS = 42
SEED = 2026


def previous_main(charter: Charter) -> Charter:
    """The main portal's edition 2026-09, made from the one in force by undoing what 2026-11 changed."""
    purposes = tuple(
        replace(
            p,
            title={"fr": "Statistiques de fréquentation", "en": "Visit statistics"},
            description={
                "fr": "Compter les visites et les pages consultées. Le script de mesure est celui du portail.",
                "en": "Count visits and pages viewed. The measurement script is the portal's own.",
            },
        )
        if p.key == "statistics"
        else p
        for p in charter.purposes
    )
    cookies: list[Cookie] = []
    for cookie in charter.cookies:
        if cookie.name.value == "portal_audience":
            cookie = replace(
                cookie,
                lifetime=Lifetime.parse("25 months"),
                description={
                    "fr": "Identifiant aléatoire pour compter les visiteurs uniques.",
                    "en": "A random identifier to count unique visitors.",
                },
            )
        elif cookie.name.value == "mapwidget_session":
            cookie = replace(cookie, lifetime=Lifetime.parse("2 years"))
        cookies.append(cookie)
        if cookie.name.value == "mapwidget_session":
            cookies.append(
                replace(
                    cookie,
                    name=CookieName.exact("mapwidget_prefs"),
                    service={"fr": "Carte interactive (préférences)", "en": "Interactive map (preferences)"},
                    description={
                        "fr": "Préférences d'affichage de la carte (fond, zoom).",
                        "en": "The map's display preferences (background, zoom).",
                    },
                    lifetime=Lifetime.parse("1 year"),
                )
            )
    return replace(
        charter,
        edition="2026-09",
        controller=replace(charter.controller, contact="cil@mairie-aixenprovence.fr"),
        purposes=purposes,
        cookies=tuple(cookies),
    )


def previous_sister(charter: Charter) -> Charter:
    """The sister portal's edition 2026-09: the one in force plus an audience measurement needing consent."""
    statistics = Purpose(
        key="statistics",
        title={"fr": "Mesure d'audience", "en": "Audience measurement"},
        description={
            "fr": "Compter les visites avec un outil de mesure hébergé par la commune.",
            "en": "Count visits with a measurement tool hosted by the town.",
        },
        consent_mode=("analytics_storage",),
    )
    audience = Cookie(
        name=CookieName.exact("sv_audience"),
        provider="Matomo (hébergé par la commune)",
        purpose="statistics",
        service={"fr": "Mesure d'audience (toutes les pages)", "en": "Audience measurement (every page)"},
        description={"fr": "Identifiant aléatoire d'un visiteur.", "en": "A random identifier of a visitor."},
        lifetime=Lifetime.parse("13 months"),
        party=Party.FIRST,
    )
    return replace(
        charter,
        edition="2026-09",
        purposes=(*charter.purposes, statistics),
        cookies=(*charter.cookies, audience),
    )


#: Of a hundred visitors who answer the banner (before browser signals and withdrawals).
MIX = {Method.REFUSE_ALL: 50, Method.ACCEPT_ALL: 30, Method.CUSTOM: 12, Method.BROWSER_SIGNAL: 8}
#: A visitor who had granted something withdraws it, per choice of the day.
WITHDRAWALS = 0.04


class Command(BaseCommand):
    help = "Seed six weeks of choices on both demo portals through the real ledger (once; idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(SEED)  # noqa: S311 - a plausible story, not a secret
        today = timezone.localdate()
        start = today - timedelta(days=DAYS)
        main, sister = registry.get(DEFAULT_SITE), registry.get(SISTER)
        plans = []
        for site, previous, switch, weekday_volume in (
            (main, previous_main(main.charter), today - timedelta(days=21), 70),
            (sister, previous_sister(sister.charter), today - timedelta(days=14), 22),
        ):
            if ConsentRecord.objects.using(ledger.ledger_alias()).filter(site=site.name).exists():
                self.stdout.write(f"Site {site.name}: the ledger already has choices, left as it is.")
                continue
            shown = copy.copy(site)
            shown.charter = previous
            plans.append({"site": site, "previous": shown, "switch": switch, "volume": weekday_volume, "granted": []})
        if not plans:
            return
        written = {plan["site"].name: 0 for plan in plans}
        for offset in range(DAYS):
            day = start + timedelta(days=offset)
            for plan in plans:
                written[plan["site"].name] += self._day(rng, plan, day)
        for plan in plans:
            self._first_shown(plan["site"].name)
            seals = LedgerSeal.objects.using(ledger.ledger_alias()).filter(site=plan["site"].name).count()
            self.stdout.write(f"Site {plan['site'].name}: {written[plan['site'].name]} choices, {seals} seals.")

    def _day(self, rng: random.Random, plan: dict[str, Any], day: Any) -> int:
        """One day of one site's choices, appended in time order, then sealed at 00:05 the next day."""
        site = plan["site"]
        before_switch = day < plan["switch"]
        shown = plan["previous"] if before_switch else site
        if not shown.charter.consent_purposes:
            return 0  # no purpose needs consent, so no banner and nothing to choose
        weekend = day.weekday() >= 5
        volume = max(0, round(rng.gauss(plan["volume"] * (0.5 if weekend else 1.0), plan["volume"] * 0.15)))
        if not before_switch and day < plan["switch"] + timedelta(days=3):
            volume = round(volume * 1.6)  # a new consent version asks every returning visitor again
        midnight = timezone.make_aware(datetime.combine(day, time()))
        times = sorted(midnight + timedelta(seconds=_daytime(rng)) for _ in range(volume))
        charter = shown.charter
        asked = [p.key for p in charter.consent_purposes]
        gpc = [p.key for p in charter.consent_purposes if p.refused_by_gpc]
        with transaction.atomic(using=ledger.ledger_alias()):
            for when in times:
                method = rng.choices(list(MIX), weights=list(MIX.values()))[0]
                consent_id = new_consent_id()
                granted: frozenset[str] = frozenset()
                only = None
                if plan["granted"] and rng.random() < WITHDRAWALS:
                    method = Method.WITHDRAW
                    consent_id = plan["granted"].pop(rng.randrange(len(plan["granted"])))
                elif method is Method.ACCEPT_ALL:
                    granted = frozenset(asked)
                elif method is Method.CUSTOM:
                    granted = frozenset(k for k in asked if rng.random() < (0.6 if k == "statistics" else 0.3))
                elif method is Method.BROWSER_SIGNAL:
                    if not gpc:
                        method = Method.REFUSE_ALL
                    only = gpc
                if granted:
                    plan["granted"].append(consent_id)
                ledger.append(
                    shown,
                    consent=Consent(
                        consent_id,
                        when.replace(microsecond=0),
                        charter.consent_version,
                        granted,
                        browser_signal=method is Method.BROWSER_SIGNAL,
                    ),
                    method=method,
                    language="en" if rng.random() < 0.15 else "fr",
                    choices=ledger.choices_for(
                        charter, granted, only=only if method is Method.BROWSER_SIGNAL else None
                    ),
                    created_at=when,
                )
            # The nightly sealing, at 00:05 (never later than now).
            sealed_at = min(midnight + timedelta(days=1, minutes=5), timezone.now())
            ledger.seal_pending(site.name, partial=True, grace_seconds=0, now=sealed_at)
        return volume

    def _first_shown(self, site: str) -> None:
        """A version's row says when it was first shown: the first seeded choice on it, not today."""
        alias = ledger.ledger_alias()
        firsts = (
            ConsentRecord.objects.using(alias)
            .filter(site=site)
            .values("charter_version")
            .order_by()
            .annotate(first=Min("created_at"))
        )
        for row in firsts:
            CharterVersion.objects.using(alias).filter(
                pk=row["charter_version"], first_shown_at__gt=row["first"]
            ).update(first_shown_at=row["first"])


def _daytime(rng: random.Random) -> float:
    """Seconds after midnight: most visits in office hours, some in the evening, few at night."""
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 3, 6, 9, 10, 10, 9, 8, 9, 10, 10, 9, 8, 7, 7, 6, 5, 3, 2])[
        0
    ]
    return hour * 3600 + rng.random() * 3600
