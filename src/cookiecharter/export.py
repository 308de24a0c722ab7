"""Exports of the ledger, of any size: the filters, the streaming read and the export's own record.

The rows are read with ``QuerySet.iterator(chunk_size=...)``: a server-side cursor on PostgreSQL,
so however many records match, Python holds one chunk of rows and one chunk of output at a time
(``bench/bench_export.py`` measures it). Only the columns the formats need are read, as tuples, and
each charter version is read once. The formats themselves are ``cookiecharter.core.export``.

Each export writes a ``LedgerExport`` row before its first byte and completes it after its last:
who (account or command), which site and filters, which format, how many records, and the SHA-256
of the bytes sent. The admin (``admin.overview``) and ``manage.py cookiecharter_export`` both go
through :class:`ExportRun`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from .core.export import FORMATS, Exporter, ExportRecord, Notice
from .ledger import ledger_alias
from .models import CharterVersion, ConsentRecord, LedgerExport
from .sites import registry

#: Rows fetched from the database at a time (the server-side cursor's batch on PostgreSQL).
CHUNK_SIZE = 2000

_FIELDS = (
    "id",
    "site",
    "consent_id",
    "created_at",
    "method",
    "language",
    "choices",
    "user_id",
    "texts_digest",
    "record_hash",
    "charter_version_id",
)


class ExportError(ValueError):
    """A filter or format that cannot be exported; the message says why (shown to the person)."""


@dataclasses.dataclass(frozen=True)
class ExportQuery:
    """What to export: one site, an optional time range (``since`` inclusive, ``until`` exclusive)
    and purpose, and a format."""

    site: str
    format: str
    since: datetime | None = None
    until: datetime | None = None
    purpose: str = ""

    @property
    def filename(self) -> str:
        """``ledger-SITE[-from-DATE][-until-DATE][-PURPOSE].EXT``, safe in a header."""
        parts = ["ledger", self.site]
        if self.since:
            parts.append("from-" + timezone.localtime(self.since).strftime("%Y%m%d"))
        if self.until:
            # The last day included (``until`` itself is the exclusive bound: the next midnight).
            last = timezone.localtime(self.until - timedelta(microseconds=1))
            parts.append("until-" + last.strftime("%Y%m%d"))
        if self.purpose:
            parts.append(self.purpose)
        name = "-".join(parts)
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        return f"{safe}.{FORMATS[self.format][0]}"

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]


def parse_bound(value: str | None, *, end: bool, label: str) -> datetime | None:
    """``YYYY-MM-DD`` (the whole day, in the current time zone) or an ISO 8601 date and time.

    A date as the end of the range includes that day: the bound is the next midnight."""
    value = (value or "").strip()
    if not value:
        return None
    moment: datetime | None
    try:
        # The date first: ``parse_datetime`` takes a bare date for its midnight.
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise ExportError(
            _("%(label)s: %(value)r is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM")
            % {"label": label, "value": value}
        )
    try:
        if moment is None:
            assert day is not None
            moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(UTC)  # what the database will be given: 9999-12-31 ends past the year 9999
    except OverflowError:
        raise ExportError(
            _("%(label)s: %(value)r is out of the range of dates") % {"label": label, "value": value}
        ) from None
    return moment


def known_purposes(site: str) -> list[str]:
    """The purposes needing consent of the site's charter in force and of every stored charter version."""
    keys: list[str] = []
    try:
        keys = [p.key for p in registry.get(site).charter.consent_purposes]
    except Exception:  # noqa: BLE001 - a charter that does not load leaves the stored versions
        keys = []
    for data in CharterVersion.objects.using(ledger_alias()).values_list("data", flat=True):
        for purpose in (data or {}).get("purposes", []):
            if purpose.get("exemption") is None and purpose.get("key") not in keys:
                keys.append(purpose["key"])
    return keys


def make_query(
    *,
    site: str | None,
    format: str | None,
    since: str | None = None,
    until: str | None = None,
    purpose: str | None = None,
) -> ExportQuery:
    """Check what a person asked for (form fields or command options); ``ExportError`` says what is wrong."""
    fmt = (format or "").strip()
    if fmt not in FORMATS:
        raise ExportError(
            _("unknown format %(format)r: choose one of %(formats)s") % {"format": fmt, "formats": ", ".join(FORMATS)}
        )
    names = registry.names()
    site = (site or "").strip() or names[0]
    if site not in names:
        raise ExportError(
            _("unknown site %(site)r: the sites are %(sites)s") % {"site": site, "sites": ", ".join(names)}
        )
    start = parse_bound(since, end=False, label="since")
    stop = parse_bound(until, end=True, label="until")
    if start and stop and start >= stop:
        raise ExportError(_("the start of the range must come before its end"))
    purpose = (purpose or "").strip()
    if purpose:
        known = known_purposes(site)
        if purpose not in known:
            raise ExportError(
                _("unknown purpose %(purpose)r: the purposes asking for consent are %(purposes)s")
                % {"purpose": purpose, "purposes": ", ".join(known) or "-"}
            )
    return ExportQuery(site=site, format=fmt, since=start, until=stop, purpose=purpose)


def matching(query: ExportQuery, *, using: str | None = None) -> QuerySet:
    """The records the export holds, in id order (the ledger's own order)."""
    rows = ConsentRecord.objects.using(using or ledger_alias()).filter(site=query.site)
    if query.since:
        rows = rows.filter(created_at__gte=query.since)
    if query.until:
        rows = rows.filter(created_at__lt=query.until)
    if query.purpose:
        rows = rows.filter(choices__has_key=query.purpose)
    return rows.order_by("id")


def records(query: ExportQuery, *, using: str | None = None) -> Iterator[ExportRecord]:
    """The matching records, read a chunk at a time through a server-side cursor where there is one."""
    alias = using or ledger_alias()
    notices: dict[int, Notice] = {}
    for row in matching(query, using=alias).values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        (ident, site, consent_id, created_at, method, language, choices, user_id, texts, record_hash, version) = row
        notice = notices.get(version)
        if notice is None:
            cv = CharterVersion.objects.using(alias).get(pk=version)
            notice = notices[version] = Notice.from_charter_data(cv.digest, cv.consent_version, cv.edition, cv.data)
        yield ExportRecord(
            id=ident,
            site=site,
            consent_id=consent_id,
            created_at=created_at,
            method=method,
            language=language,
            choices=choices or {},
            user_id=user_id,
            texts_digest=texts,
            record_hash=record_hash,
            notice=notice,
        )


class ExportRun:
    """One export: iterate it for the bytes. Its ``LedgerExport`` row is written before the first
    chunk and completed after the last (``entry``; ``exporter`` has the counts and digest)."""

    def __init__(
        self,
        query: ExportQuery,
        *,
        username: str,
        user_id: str | None = None,
        os_user: str = "",
        using: str | None = None,
    ) -> None:
        self.query = query
        self.who = {"username": username, "user_id": user_id, "os_user": os_user}
        self.alias = using or ledger_alias()
        self.exporter = Exporter(query.format)
        self.entry: LedgerExport | None = None

    def __iter__(self) -> Iterator[bytes]:
        query = self.query
        self.entry = LedgerExport.objects.using(self.alias).create(
            site=query.site,
            format=query.format,
            since=query.since,
            until=query.until,
            purpose=query.purpose,
            started_at=timezone.now(),
            **self.who,
        )
        yield from self.exporter.chunks(records(query, using=self.alias))
        self.entry.records = self.exporter.records
        self.entry.size = self.exporter.size
        self.entry.sha256 = self.exporter.sha256
        self.entry.finished_at = timezone.now()
        self.entry.save(using=self.alias, update_fields=["records", "size", "sha256", "finished_at"])


def recent(site: str, limit: int = 5) -> list[LedgerExport]:
    """The site's last exports, newest first (for the overview)."""
    return list(LedgerExport.objects.using(ledger_alias()).filter(site=site)[:limit])
