"""Cookies the enforcement did not let through as asked, counted per site, name and reason.

The middleware calls :func:`record` at most once per response, with the filter's decisions; each
offending (name, reason) becomes one UPDATE with an ``F()`` increment (an INSERT the first time).
Nothing is read back, and a database error never turns a page into a 500: observation is a
diagnostic, not part of serving the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .core.filter import Outcome, Reason

logger = logging.getLogger("cookiecharter.enforcement")

_NAME_MAX = 255
_PATH_MAX = 500


#: The reason of a request cookie hidden from the application (its purpose is not granted).
WITHHELD = "withheld"


def record(site: str, outcome: Outcome | None, path: str, withheld: Iterable[str] = ()) -> None:
    """Count the cookies ``outcome`` blocked, capped or only reported, and the request cookies
    ``withheld`` from the application, on the site called ``site``."""
    from .models import ObservedCookie

    sightings: list[tuple[str, str, int | None]] = []
    if outcome is not None:
        sightings += [(b.name, b.reason.value, b.lifetime) for b in (*outcome.blocked, *outcome.reported)]
        sightings += [(c.name, Reason.LIFETIME_CAPPED.value, c.requested) for c in outcome.capped]
    sightings += [(name, WITHHELD, None) for name in withheld]
    if not sightings:
        return
    now = timezone.now()
    seen: set[tuple[str, str]] = set()
    try:
        for name, reason, lifetime in sightings:
            key = (name[:_NAME_MAX], reason)
            if key in seen:
                continue
            seen.add(key)
            rows = ObservedCookie.objects.filter(site=site, name=key[0], reason=reason)
            if rows.update(count=F("count") + 1, last_seen=now):
                continue
            try:
                with transaction.atomic():
                    ObservedCookie.objects.create(
                        site=site,
                        name=key[0],
                        reason=reason,
                        first_seen=now,
                        last_seen=now,
                        count=1,
                        example_path=path[:_PATH_MAX],
                        lifetime=lifetime,
                    )
            except IntegrityError:
                # Another request created it between our UPDATE and INSERT: count this one too.
                rows.update(count=F("count") + 1, last_seen=now)
    except DatabaseError:
        logger.exception("could not record observed cookies (is the cookiecharter migration applied?)")
