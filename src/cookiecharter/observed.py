"""Cookies seen by the enforcement but not let through as asked, counted per name and reason.

The middleware calls :func:`record` at most once per request, with one sighting per offending
(name, reason); each becomes one UPDATE with an ``F()`` increment (an INSERT the first time).
Nothing is read back, and a database error never turns a page into a 500: observation is a
diagnostic, not part of serving the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

logger = logging.getLogger("cookiecharter.enforcement")

_NAME_MAX = 255
_PATH_MAX = 500


@dataclass(frozen=True)
class Sighting:
    name: str
    reason: str
    path: str
    lifetime: int | None = None


def record(sightings: Iterable[Sighting]) -> None:
    from .models import ObservedCookie

    now = timezone.now()
    seen: set[tuple[str, str]] = set()
    try:
        for s in sightings:
            key = (s.name[:_NAME_MAX], s.reason)
            if key in seen:
                continue
            seen.add(key)
            rows = ObservedCookie.objects.filter(name=key[0], reason=s.reason)
            if rows.update(count=F("count") + 1, last_seen=now):
                continue
            try:
                with transaction.atomic():
                    ObservedCookie.objects.create(
                        name=key[0],
                        reason=s.reason,
                        first_seen=now,
                        last_seen=now,
                        count=1,
                        example_path=s.path[:_PATH_MAX],
                        lifetime=s.lifetime,
                    )
            except IntegrityError:
                # Another request created it between our UPDATE and INSERT: count this one too.
                rows.update(count=F("count") + 1, last_seen=now)
    except DatabaseError:
        logger.exception("could not record observed cookies (is the cookiecharter migration applied?)")
