"""What the compliance overview shows: the charter in force, the visitors' choices, the proof, the enforcement
and a checklist. Queries and aggregates only; no request handling (the admin view is
``cookiecharter.admin.overview``).

The figures over the ledger come from its daily counts (``cookiecharter.daily``): closed days are
a few rows each, and only today's records (and a range's partial first day) are read, through the
``(site, created_at)`` index, so the page costs the same whether the ledger holds ten records or
ten million.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max, Min
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import daily
from .checks import MIDDLEWARE_PATH
from .conf import SiteSettings
from .core.charter import AUDIENCE_MAX_LIFETIME, Charter, Exemption
from .core.consent import SIX_MONTHS, Method
from .core.loading import CharterError, load_charter
from .core.proof import ProblemKind, Report
from .models import METHOD_CHOICES, AuditRun, CharterVersion, ConsentRecord, LedgerSeal, ObservedCookie
from .sites import registry

#: The windows the choice counts cover, in days.
WINDOWS = (7, 30)


# -- 1. the charter in force --------------------------------------------------------------------


@dataclass
class PurposeLine:
    key: str
    title: str
    needs_consent: bool
    exemption: str
    cookies: int
    refused_by_gpc: bool


@dataclass
class CharterState:
    path: str
    valid: bool
    #: ``file:line: field: message`` for each problem the loader found (or the read error).
    problems: list[str] = field(default_factory=list)
    charter: Charter | None = None
    purposes: list[PurposeLine] = field(default_factory=list)
    #: When a choice on this consent version was first recorded (None: never shown yet).
    first_shown_at: datetime | None = None
    #: The file on disk no longer matches what this process serves (it needs a restart).
    stale: bool = False
    links: list[dict[str, str]] = field(default_factory=list)

    @property
    def short_digest(self) -> str:
        return self.charter.digest[:12] if self.charter else ""


def charter_state(site: str, origin: str = "") -> CharterState:
    """Run the loader on the site's file (as ``cookiecharter validate`` does) and describe the
    charter the site serves. ``origin`` (``https://host:port``) prefixes the links to the site's
    public pages when they are on another host than the page showing them."""
    path = registry.settings().site(site).charter
    state = CharterState(path=path, valid=True)
    try:
        on_disk = load_charter(path)
    except CharterError as exc:
        state.valid = False
        state.problems = [str(p) for p in exc.problems]
        on_disk = None
    except OSError as exc:
        state.valid = False
        state.problems = [f"{path}: {exc.strerror or exc}"]
        on_disk = None
    try:
        served = registry.get(site)
    except (CharterError, OSError, ImproperlyConfigured):
        return state  # nothing is served: the problems above say why
    charter = served.charter
    state.charter = charter
    state.stale = on_disk is not None and on_disk.digest != served.declared_charter.digest
    lang = translation.get_language() or charter.languages[0]
    for purpose in charter.purposes:
        state.purposes.append(
            PurposeLine(
                key=purpose.key,
                title=purpose.text("title", lang),
                needs_consent=purpose.needs_consent,
                exemption=purpose.exemption.value if purpose.exemption else "",
                cookies=len(charter.cookies_for(purpose.key)),
                refused_by_gpc=purpose.refused_by_gpc,
            )
        )
    versions = CharterVersion.objects.using(registry.settings().database)
    state.first_shown_at = versions.filter(consent_version=charter.consent_version).aggregate(
        first=Min("first_shown_at")
    )["first"]
    state.links = [
        {**link, "page": origin + link["page"], "pdf": origin + link["pdf"]}
        for link in _charter_links(charter, served.charter_url_name)
    ]
    return state


def _charter_links(charter: Charter, name: str) -> list[dict[str, str]]:
    """The public charter page and PDF in each language the site and the charter both have."""
    links: list[dict[str, str]] = []
    site_languages = {code for code, _name in getattr(settings, "LANGUAGES", ())}
    for lang in charter.languages:
        if site_languages and lang not in site_languages:
            continue
        with translation.override(lang):
            try:
                links.append({"lang": lang, "page": reverse(name), "pdf": reverse("cookiecharter:charter-pdf")})
            except NoReverseMatch:
                continue
    return links


# -- 2. choices ---------------------------------------------------------------------------------


@dataclass
class MethodLine:
    method: str
    label: str
    counts: dict[int, int]


@dataclass
class PurposeShare:
    key: str
    decided: int
    granted: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.granted / self.decided) if self.decided else None


@dataclass
class ChoiceCounts:
    windows: tuple[int, ...]
    methods: list[MethodLine]
    totals: dict[int, int]
    #: Per consent purpose, over the longest window.
    shares: list[PurposeShare]


def choice_counts(
    site: str, purposes: list[str], *, now: datetime | None = None, using: str | None = None
) -> ChoiceCounts:
    """Counts of the site's choices per method over each window, and per purpose the share granted
    over the longest. A window of N days is today and the N - 1 days before (local dates), so the
    closed days come from the daily counts (``cookiecharter.daily``) and only today from the records."""
    now = now or timezone.now()
    alias = using or registry.settings().database
    today = daily.local_day(now)
    longest = max(WINDOWS)
    counted = daily.tally(
        site, daily.day_start(today - timedelta(days=longest - 1)), now + _INSTANT, now=now, using=alias
    )
    first_day = {days: today - timedelta(days=days - 1) for days in WINDOWS}
    per_method: dict[str, dict[int, int]] = {}
    for (day, method, _choices), n in counted.items():
        for days in WINDOWS:
            if day >= first_day[days]:
                per_method.setdefault(method, {}).setdefault(days, 0)
                per_method[method][days] += n
    methods = [
        MethodLine(
            method=value,
            label=str(label),
            counts={days: per_method.get(value, {}).get(days, 0) for days in WINDOWS},
        )
        for value, label in METHOD_CHOICES
        if value != Method.AUDIT.value
    ]
    totals = {days: sum(m.counts[days] for m in methods) for days in WINDOWS}
    return ChoiceCounts(windows=WINDOWS, methods=methods, totals=totals, shares=_shares(counted, purposes))


#: ``created_at <= now`` as a half-open range.
_INSTANT = timedelta(microseconds=1)


def _shares(counted: daily.Tally, purposes: list[str]) -> list[PurposeShare]:
    """Per purpose, how many records answered it and how many granted it. A record lists only the
    purposes decided in it (a browser signal: the refused ones)."""
    decided = dict.fromkeys(purposes, 0)
    granted = dict.fromkeys(purposes, 0)
    parsed: dict[str, Any] = {}
    for (_day, method, choices), n in counted.items():
        if method == Method.AUDIT.value:  # an audit run is sealed in the ledger, but it is no choice
            continue
        values = parsed.setdefault(choices, json.loads(choices))
        if not isinstance(values, dict):
            continue
        for key in purposes:
            if key in values:
                decided[key] += n
                if values[key] is True:
                    granted[key] += n
    return [PurposeShare(key=key, decided=decided[key], granted=granted[key]) for key in purposes]


# -- 2b. choices over time (the charts) ---------------------------------------------------------

#: The methods a chart is always drawn for; the others only when the range holds some.
CHARTED = ("accept-all", "refuse-all", "custom", "withdraw", "browser-signal")

#: The longest range the charts draw (days).
LONGEST_RANGE = 366


@dataclass
class DayCounts:
    day: date
    #: method -> records of that day
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rate(self, method: str) -> float | None:
        """The share of the day's choices made with ``method`` (0..1); None on a day without any."""
        return self.counts.get(method, 0) / self.total if self.total else None


@dataclass
class ChoiceTrend:
    """Per day of a range (every day, those without any choice too), the choices per method; and
    per purpose, the share granted over the whole range."""

    first: date
    last: date
    #: (method, label) of each method charted.
    methods: list[tuple[str, str]]
    days: list[DayCounts]
    shares: list[PurposeShare]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.days)


def choice_trend(
    site: str,
    purposes: list[str],
    first: date,
    last: date,
    *,
    now: datetime | None = None,
    using: str | None = None,
) -> ChoiceTrend:
    """The site's choices per day from ``first`` to ``last`` (local dates, both included)."""
    now = now or timezone.now()
    alias = using or registry.settings().database
    end = min(daily.day_start(last + timedelta(days=1)), now + _INSTANT)
    start = daily.day_start(first)
    counted = daily.tally(site, start, max(start, end), now=now, using=alias)
    by_day: dict[date, dict[str, int]] = {}
    for (day, method, _choices), n in counted.items():
        if method == Method.AUDIT.value:
            continue
        by_day.setdefault(day, {}).setdefault(method, 0)
        by_day[day][method] += n
    days = [
        DayCounts(day=first + timedelta(days=i), counts=by_day.get(first + timedelta(days=i), {}))
        for i in range((last - first).days + 1)
    ]
    seen = {method for counts in by_day.values() for method in counts}
    methods = [(value, str(label)) for value, label in METHOD_CHOICES if value in CHARTED or value in seen]
    return ChoiceTrend(first=first, last=last, methods=methods, days=days, shares=_shares(counted, purposes))


# -- 3. proof -----------------------------------------------------------------------------------


@dataclass
class LedgerState:
    records: int
    seals: int
    last_seal: LedgerSeal | None
    unsealed: int
    oldest: datetime | None
    retention_days: int
    #: Records older than the retention period (the prune command's work).
    past_retention: bool


def ledger_state(site: str, *, now: datetime | None = None, using: str | None = None) -> LedgerState:
    now = now or timezone.now()
    alias = using or registry.settings().database
    records = ConsentRecord.objects.using(alias).filter(site=site)
    seals = LedgerSeal.objects.using(alias).filter(site=site)
    last_seal = seals.order_by("-number").first()
    oldest = records.aggregate(oldest=Min("created_at"))["oldest"]
    retention = registry.settings().site(site).retention_days
    return LedgerState(
        # The counted days' sum plus today's records: a COUNT(*) of ten million rows is most of a second.
        records=daily.total(site, now=now, using=alias),
        seals=seals.count(),
        last_seal=last_seal,
        # Records above the last seal's range: a primary-key range, cheap however long the ledger.
        unsealed=records.filter(id__gt=last_seal.last_id if last_seal else 0).count(),
        oldest=oldest,
        retention_days=retention,
        past_retention=bool(oldest and retention and oldest < now - timedelta(days=retention)),
    )


@dataclass
class Verification:
    """The outcome of one run of the verifier, small enough to keep in the session."""

    at: str
    records: int
    seals: int
    sealed_records: int
    altered: int
    deleted: int
    inserted: int
    #: The first problems, as the verify command prints them.
    problems: list[str]
    #: Witness checkpoints compared with the chain, and proof records waiting for the database.
    witnessed: int = 0
    pending: int = 0
    #: Problems of the chain of seals itself (a seal edited, missing, or unlike the witness's).
    broken_seals: int = 0
    #: An incremental run: the seal of the clean verification it started after, when that was
    #: (ISO), and how many older records were counted but not read again. None: a full run.
    since_seal: int | None = None
    since_at: str = ""
    not_reread: int = 0

    #: How many problem lines are kept (the command line tool lists them all).
    KEEP = 20

    @property
    def ok(self) -> bool:
        return not (self.altered or self.deleted or self.inserted or self.broken_seals)

    @property
    def more(self) -> int:
        return self.altered + self.deleted + self.inserted + self.broken_seals - len(self.problems)

    @classmethod
    def of(cls, report: Report, at: datetime) -> Verification:
        kinds = [p.kind for p in report.problems]
        return cls(
            at=at.isoformat(),
            records=report.records,
            seals=report.seals,
            sealed_records=report.sealed_records,
            altered=kinds.count(ProblemKind.ALTERED),
            deleted=kinds.count(ProblemKind.DELETED),
            inserted=kinds.count(ProblemKind.INSERTED),
            problems=[str(p) for p in report.problems[: cls.KEEP]],
            witnessed=report.witnessed,
            pending=report.pending,
            broken_seals=kinds.count(ProblemKind.SEAL),
            since_seal=report.since_seal,
            since_at=report.since_at.isoformat() if report.since_at else "",
            not_reread=report.not_reread,
        )

    _FIELDS = (
        "at",
        "records",
        "seals",
        "sealed_records",
        "altered",
        "deleted",
        "inserted",
        "problems",
        "witnessed",
        "pending",
        "broken_seals",
        "since_seal",
        "since_at",
        "not_reread",
    )

    def as_data(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._FIELDS}

    @classmethod
    def from_data(cls, data: Any) -> Verification | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: data[k] for k in cls._FIELDS if k in data})
        except TypeError:
            return None

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)

    @property
    def incremental_since(self) -> datetime | None:
        """When the clean verification this run started after was made (None: a full run)."""
        return datetime.fromisoformat(self.since_at) if self.since_seal is not None and self.since_at else None


def verify_ledger(site: str, *, using: str | None = None, full: bool = False) -> Verification:
    """The very check ``manage.py cookiecharter_verify`` runs (``--full`` with ``full``): the
    records added since the last clean verification, or every record, and the whole seal chain;
    then each audit run against its record."""
    from . import audits, ledger

    report = ledger.verify(site, using=using, full=full)
    report.problems.extend(audits.check(site, using=using))
    return Verification.of(report, timezone.now())


# -- 4. enforcement -----------------------------------------------------------------------------


def top_observed(site: str, limit: int = 10) -> list[ObservedCookie]:
    """The cookies the middleware stopped or reported most often on the site."""
    return list(ObservedCookie.objects.filter(site=site).order_by("-count", "name")[:limit])


# -- 5. checklist -------------------------------------------------------------------------------


class Status(str, enum.Enum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass
class Check:
    title: str
    status: Status
    reason: str

    @property
    def status_label(self) -> str:
        return {Status.GREEN: _("OK"), Status.AMBER: _("To watch"), Status.RED: _("To fix")}[self.status]


def _duration(seconds: int) -> str:
    days = seconds / 86400
    return _("%(days)s days") % {"days": f"{days:.0f}"}


def checklist(
    state: CharterState, site: SiteSettings, verification: Verification | None, *, now: datetime | None = None
) -> list[Check]:
    """The rules of the compliance brief that the configuration alone can answer, for one site."""
    now = now or timezone.now()
    checks: list[Check] = []

    # The charter itself: everything below reads it.
    if state.valid and state.charter is not None:
        checks.append(Check(_("The charter file is valid"), Status.GREEN, _("The loader finds no problem.")))
    else:
        checks.append(
            Check(
                _("The charter file is valid"),
                Status.RED,
                _("%(count)s problem(s): fix the file, then reload the site.") % {"count": len(state.problems)},
            )
        )

    # Rule 16: a remembered choice lasts at most six months.
    age = site.consent_cookie.age
    if age <= SIX_MONTHS:
        checks.append(
            Check(
                _("Consent cookie lifetime at most 6 months"),
                Status.GREEN,
                _("CONSENT_COOKIE_AGE is %(age)s.") % {"age": _duration(age)},
            )
        )
    else:
        checks.append(
            Check(
                _("Consent cookie lifetime at most 6 months"),
                Status.RED,
                _("CONSENT_COOKIE_AGE is %(age)s: the recommended maximum is 6 months.") % {"age": _duration(age)},
            )
        )

    # CNIL's exemption: audience measurement cookies live at most 13 months.
    if state.charter is not None:
        audience = [
            c
            for c in state.charter.cookies
            if state.charter.has_purpose(c.purpose)
            and state.charter.purpose(c.purpose).exemption is Exemption.AUDIENCE_MEASUREMENT
        ]
        too_long = [c for c in audience if c.lifetime.exceeds(AUDIENCE_MAX_LIFETIME)]
        if too_long:
            checks.append(
                Check(
                    _("Audience measurement cookies at most 13 months"),
                    Status.RED,
                    _("Too long: %(names)s.")
                    % {"names": ", ".join(f"{c.name.display} ({c.lifetime})" for c in too_long)},
                )
            )
        else:
            checks.append(
                Check(
                    _("Audience measurement cookies at most 13 months"),
                    Status.GREEN,
                    _("%(count)s exempt audience cookie(s), none longer than 13 months.") % {"count": len(audience)},
                )
            )

        # Global Privacy Control: honoured, and some purpose it refuses.
        gpc_purposes = [p.key for p in state.charter.consent_purposes if p.refused_by_gpc]
        if not site.honour_gpc:
            checks.append(
                Check(
                    _("Global Privacy Control honoured"),
                    Status.RED,
                    _("HONOUR_GPC is off: the browser signal is ignored."),
                )
            )
        elif state.charter.consent_purposes and not gpc_purposes:
            checks.append(
                Check(
                    _("Global Privacy Control honoured"),
                    Status.AMBER,
                    _("HONOUR_GPC is on, but no purpose of the charter is marked refused_by_gpc."),
                )
            )
        else:
            checks.append(
                Check(
                    _("Global Privacy Control honoured"),
                    Status.GREEN,
                    _("Sec-GPC: 1 refuses: %(purposes)s.") % {"purposes": ", ".join(gpc_purposes) or "-"},
                )
            )

    # The middleware must see every cookie, so it must come first.
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE_PATH not in middleware:
        checks.append(
            Check(
                _("Enforcement middleware first"),
                Status.RED,
                _("CookieCharterMiddleware is not in MIDDLEWARE: no cookie is checked."),
            )
        )
    elif middleware.index(MIDDLEWARE_PATH) != 0:
        checks.append(
            Check(
                _("Enforcement middleware first"),
                Status.AMBER,
                _("It is at position %(position)s: cookies set by the middleware before it are never checked.")
                % {"position": middleware.index(MIDDLEWARE_PATH) + 1},
            )
        )
    else:
        checks.append(
            Check(_("Enforcement middleware first"), Status.GREEN, _("First in MIDDLEWARE: it sees every cookie."))
        )

    # The proof holds.
    if verification is None:
        checks.append(
            Check(
                _("Ledger verified clean"), Status.AMBER, _("Not verified in this session: press “Verify the ledger”.")
            )
        )
    elif verification.ok:
        checks.append(
            Check(
                _("Ledger verified clean"),
                Status.GREEN,
                _("%(records)s records checked on %(when)s, no problem.")
                % {"records": verification.records, "when": _localised(verification.when)},
            )
        )
    else:
        checks.append(
            Check(
                _("Ledger verified clean"),
                Status.RED,
                _("%(altered)s altered, %(deleted)s deleted, %(inserted)s inserted (verified on %(when)s).")
                % {
                    "altered": verification.altered,
                    "deleted": verification.deleted,
                    "inserted": verification.inserted,
                    "when": _localised(verification.when),
                },
            )
        )

    checks.append(_audit_check(site.name, now))

    # Undeclared cookies seen lately: the charter is incomplete (and, when only reported, they reached visitors).
    recent = ObservedCookie.objects.filter(site=site.name, reason="undeclared", last_seen__gte=now - timedelta(days=30))
    seen = recent.aggregate(names=Count("name", distinct=True), last=Max("last_seen"))
    undeclared_policy = site.undeclared.value if site.undeclared else ("raise" if settings.DEBUG else "block")
    if not seen["names"]:
        checks.append(Check(_("No undeclared cookie in the last 30 days"), Status.GREEN, _("The middleware saw none.")))
    else:
        status = Status.RED if undeclared_policy == "report" else Status.AMBER
        reason = (
            _('%(count)s name(s) seen and let through (UNDECLARED = "report"): declare them or block them.')
            if status is Status.RED
            else _("%(count)s name(s) seen and blocked: declare them in the charter or remove the code that sets them.")
        )
        checks.append(Check(_("No undeclared cookie in the last 30 days"), status, reason % {"count": seen["names"]}))
    return checks


#: An audit older than this no longer says much about the site today.
AUDIT_STALE = timedelta(days=8)


def _audit_check(site: str, now: datetime) -> Check:
    """The site's last audit (``cookiecharter_audit``): what the site did, not only what it declares."""
    title = _("Last audit of the site passed")
    last = AuditRun.objects.filter(site=site).order_by("-finished_at", "-id").first()
    if last is None:
        return Check(title, Status.AMBER, _("No audit yet: schedule manage.py cookiecharter_audit."))
    when = _localised(last.finished_at)
    if last.verdict == "fail":
        return Check(
            title,
            Status.RED,
            _("The audit of %(when)s failed: %(errors)s error(s).") % {"when": when, "errors": last.errors},
        )
    if last.verdict == "warn":
        return Check(
            title,
            Status.AMBER,
            _("The audit of %(when)s found %(warnings)s warning(s).") % {"when": when, "warnings": last.warnings},
        )
    if last.finished_at < now - AUDIT_STALE:
        return Check(title, Status.AMBER, _("Passed, but on %(when)s: more than a week ago.") % {"when": when})
    return Check(title, Status.GREEN, _("Passed on %(when)s.") % {"when": when})


def _localised(when: datetime) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(when), "DATETIME_FORMAT")


__all__ = [
    "CHARTED",
    "LONGEST_RANGE",
    "WINDOWS",
    "CharterState",
    "Check",
    "ChoiceCounts",
    "ChoiceTrend",
    "DayCounts",
    "LedgerState",
    "Status",
    "Verification",
    "charter_state",
    "checklist",
    "choice_counts",
    "choice_trend",
    "ledger_state",
    "top_observed",
    "verify_ledger",
]
