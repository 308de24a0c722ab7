"""The ledger's records counted per site and day, so the overview's figures cost the same on ten
records and on ten million.

Closed days (local dates in ``TIME_ZONE``, ended more than ``GRACE`` ago) are counted once into
``DailyChoices`` and never read again from the records; the days after the site's
``DailyChoicesMark`` (today, at least) are counted from the records themselves, through the
``(site, created_at)`` index. Nothing of this runs while a visitor waits: a decision stays one
INSERT, and the counting is done by whoever reads the figures (the overview), a day at a time.

The counts follow the records wherever the ledger changes them after the fact: ``ledger.prune``
and ``ledger.write_pending`` (proof records that waited for the database, dated earlier) call
``recount`` for the days they touched.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import ConsentRecord, DailyChoices, DailyChoicesMark

#: A day is counted once it ended this long ago: a record dated 23:59:59 may be committed a moment
#: after midnight, and must not miss its day's count.
GRACE = timedelta(minutes=10)

#: (day, method, choices as canonical JSON) -> number of records.
Tally = Counter[tuple[date, str, str]]


def _zone() -> tzinfo:
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    """The first instant of ``day`` in ``TIME_ZONE``."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def local_day(when: datetime) -> date:
    return timezone.localtime(when, _zone()).date()


def canonical(choices: Any) -> str:
    return json.dumps(choices, sort_keys=True, separators=(",", ":"))


def from_records(site: str, start: datetime | None, end: datetime | None, *, using: str) -> Tally:
    """Count the records in ``[start, end)`` per day, method and choices: one GROUP BY query."""
    records = ConsentRecord.objects.using(using).filter(site=site)
    if start is not None:
        records = records.filter(created_at__gte=start)
    if end is not None:
        records = records.filter(created_at__lt=end)
    rows = (
        records.values("method", "choices", day=TruncDate("created_at", tzinfo=_zone()))
        .order_by()
        .annotate(n=Count("id"))
    )
    out: Tally = Counter()
    for row in rows:
        out[(row["day"], row["method"], canonical(row["choices"]))] += row["n"]
    return out


def _mark(site: str, using: str) -> date | None:
    through: date | None = (
        DailyChoicesMark.objects.using(using).filter(site=site).values_list("through", flat=True).first()
    )
    return through


def refresh(site: str, *, now: datetime | None = None, using: str) -> date | None:
    """Count the site's closed days not counted yet; return the last day counted (None: none yet)."""
    now = now or timezone.now()
    last_closed = local_day(now - GRACE) - timedelta(days=1)
    through = _mark(site, using)
    if through is not None and through >= last_closed:
        return through
    if through is None:
        oldest = ConsentRecord.objects.using(using).filter(site=site).aggregate(m=Min("created_at"))["m"]
        if oldest is None or local_day(oldest) > last_closed:
            return None  # nothing closed to count yet: every figure comes from the records
        first = local_day(oldest)
    else:
        first = through + timedelta(days=1)
    try:
        with transaction.atomic(using=using):
            _replace(site, first, last_closed, using)
            DailyChoicesMark.objects.using(using).update_or_create(site=site, defaults={"through": last_closed})
    except IntegrityError:
        # Another process counted the same days at the same moment: theirs stand.
        return _mark(site, using)
    return last_closed


def _replace(site: str, first: date | None, last: date, using: str) -> None:
    """Count the days ``first``..``last`` (None: from the very first) again from the records."""
    rows = DailyChoices.objects.using(using).filter(site=site, day__lte=last)
    if first is not None:
        rows = rows.filter(day__gte=first)
    rows.delete()
    counts = from_records(
        site, day_start(first) if first is not None else None, day_start(last + timedelta(days=1)), using=using
    )
    DailyChoices.objects.using(using).bulk_create(
        DailyChoices(site=site, day=day, method=method, choices=choices, count=n)
        for (day, method, choices), n in counts.items()
    )


def recount(site: str, first: date | None, last: date, *, using: str) -> None:
    """The records of the days ``first``..``last`` changed (pruned, or written late): count those of
    them already counted again. Cheap after a prune: only the records left in that range are read."""
    through = _mark(site, using)
    if through is None or (first is not None and first > through):
        return
    with transaction.atomic(using=using):
        _replace(site, first, min(last, through), using)


def tally(site: str, start: datetime, end: datetime, *, now: datetime | None = None, using: str) -> Tally:
    """The site's records in ``[start, end)`` counted per day, method and choices: whole counted days
    from ``DailyChoices``, the rest (a partial first day, the days not counted yet) from the records."""
    through = refresh(site, now=now, using=using)
    first_full = local_day(start)
    if day_start(first_full) < start:
        first_full += timedelta(days=1)
    last_full = local_day(end) - timedelta(days=1)
    if through is None or min(last_full, through) < first_full:
        return from_records(site, start, end, using=using)
    last_full = min(last_full, through)
    out: Tally = Counter()
    rows = DailyChoices.objects.using(using).filter(site=site, day__gte=first_full, day__lte=last_full)
    for day, method, choices, n in rows.values_list("day", "method", "choices", "count"):
        out[(day, method, choices)] += n
    if start < day_start(first_full):
        out.update(from_records(site, start, day_start(first_full), using=using))
    after = day_start(last_full + timedelta(days=1))
    if after < end:
        out.update(from_records(site, after, end, using=using))
    return out


def total(site: str, *, now: datetime | None = None, using: str) -> int:
    """How many records the site's ledger holds: the counted days' sum, plus the records since."""
    through = refresh(site, now=now, using=using)
    records = ConsentRecord.objects.using(using).filter(site=site)
    if through is None:
        return records.count()
    counted = DailyChoices.objects.using(using).filter(site=site).aggregate(n=Sum("count"))["n"] or 0
    return int(counted) + records.filter(created_at__gte=day_start(through + timedelta(days=1))).count()


__all__ = [
    "GRACE",
    "Tally",
    "canonical",
    "day_start",
    "from_records",
    "local_day",
    "recount",
    "refresh",
    "tally",
    "total",
]
