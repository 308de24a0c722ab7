"""The proof ledger: every charter version ever shown, and one append-only record per decision.

Tamper evidence without a global lock: each record carries an HMAC over its own fields
(``record_hash``), so an edit shows; ``LedgerSeal`` rows, made in batches after the fact, each
cover a run of record ids with their count and a hash over their hashes, chained to the previous
seal, so a deletion or an insertion inside a sealed range shows too. Writers never wait on each
other: a decision is one INSERT. The hashing itself lives in ``cookiecharter.core.proof``; the
database work (append, seal, verify, prune) in ``cookiecharter.ledger``.

Like ``django.contrib.sessions``, the record is an abstract base plus a concrete model, so a site
can keep its own table with extra indexes while reusing the fields and the hashing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .conf import DEFAULT_SITE
from .core.consent import Method

METHOD_CHOICES = [
    (Method.ACCEPT_ALL.value, _("Accept all")),
    (Method.REFUSE_ALL.value, _("Refuse all")),
    (Method.CUSTOM.value, _("Custom choice")),
    (Method.WITHDRAW.value, _("Withdrawal")),
    (Method.BROWSER_SIGNAL.value, _("Browser signal (GPC)")),
    (Method.ADPC.value, _("Browser signal (ADPC)")),
    (Method.ACCOUNT.value, _("Applied from the account")),
    (Method.AUDIT.value, _("Audit of the site")),
]


class CharterVersion(models.Model):
    """A charter exactly as it was shown, stored once (keyed by its full digest)."""

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    consent_version = models.CharField(_("consent version"), max_length=16, db_index=True)
    edition = models.CharField(_("edition"), max_length=64, blank=True)
    #: ``Charter.as_data()``: every purpose and cookie with its texts in every language.
    data = models.JSONField(_("charter data"))
    first_shown_at = models.DateTimeField(_("first shown at"))

    class Meta:
        verbose_name = _("charter version")
        verbose_name_plural = _("charter versions")
        ordering = ["-first_shown_at"]

    def __str__(self) -> str:
        return f"{self.edition or '-'} ({self.consent_version}, {self.digest[:12]})"


class AbstractConsentRecord(models.Model):
    """One decision. Never updated, never deleted except by the prune command, whole seals at a time.

    No raw IP address and no user agent: the record proves what was shown and chosen, not who
    the visitor is. ``user_id`` is a plain string (no foreign key) so deleting an account neither
    cascades into the proof nor is blocked by it.
    """

    #: The site (``COOKIECHARTER["SITES"]`` name, or "default") the choice was made on.
    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    consent_id = models.CharField(_("consent id"), max_length=16, db_index=True)
    #: Stored in UTC (USE_TZ); shown in the site's time zone.
    created_at = models.DateTimeField(_("decided at"), db_index=True)
    charter_version = models.ForeignKey(
        CharterVersion,
        verbose_name=_("charter version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: SHA-256 of the texts shown in ``language`` (see ``core.proof.texts_digest``).
    texts_digest = models.CharField(_("texts digest"), max_length=64)
    language = models.CharField(_("language"), max_length=16)
    #: ``{purpose: true/false}`` for every purpose that needs consent (undecided ones left out).
    choices = models.JSONField(_("choices"))
    method = models.CharField(_("method"), max_length=16, choices=METHOD_CHOICES)
    #: NULL (not "") when no one was signed in: "no account" is not an account with an empty id.
    user_id = models.CharField(_("user id"), max_length=150, null=True, blank=True)  # noqa: DJ001
    record_hash = models.CharField(_("record hash"), max_length=64)

    class Meta:
        abstract = True
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.consent_id} {self.method} {self.created_at:%Y-%m-%d %H:%M:%S}"


class ConsentRecord(AbstractConsentRecord):
    class Meta(AbstractConsentRecord.Meta):
        indexes = [
            # A site's records in id order (sealing, verifying) and in time order (the overview).
            models.Index(fields=["site", "id"], name="cookiecharter_record_site_id"),
            models.Index(fields=["site", "created_at"], name="cookiecharter_record_site_time"),
        ]


class LedgerSeal(models.Model):
    """A seal over a run of one site's records, chained to that site's seal before.

    ``number`` and ``first_id`` are unique per site: two processes that try to seal the same batch
    at the same time collide in the database and one of them simply gives up. That is the only
    coordination between sealers, and writers of records never see it.
    """

    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    number = models.PositiveBigIntegerField(_("number"))
    first_id = models.BigIntegerField(_("first record id"))
    last_id = models.BigIntegerField(_("last record id"))
    count = models.PositiveIntegerField(_("record count"))
    #: The exact record ids covered, as ranges ("1-500,502-1000"), so verify can name a deleted one.
    ids = models.TextField(_("record ids"))
    records_digest = models.CharField(_("records digest"), max_length=64)
    previous_hash = models.CharField(_("previous seal hash"), max_length=64, blank=True)
    seal_hash = models.CharField(_("seal hash"), max_length=64)
    created_at = models.DateTimeField(_("sealed at"))
    #: Set by the prune command when this seal's records were deleted for retention.
    pruned_at = models.DateTimeField(_("pruned at"), null=True, blank=True)
    #: HMAC over (seal_hash, pruned_at): a pruning cannot be faked to hide a deletion.
    pruned_hash = models.CharField(_("pruning hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("ledger seal")
        verbose_name_plural = _("ledger seals")
        ordering = ["site", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="cookiecharter_seal_site_number"),
            models.UniqueConstraint(fields=["site", "first_id"], name="cookiecharter_seal_site_first_id"),
        ]

    def __str__(self) -> str:
        return f"{self.site} #{self.number} ({self.first_id}-{self.last_id}, {self.count})"


class DailyChoices(models.Model):
    """How many records of one kind a site's ledger holds for one day: the overview's figures and
    charts read these few rows instead of the records themselves (``cookiecharter.daily``).

    One row per (site, day, method, choices): the choices are kept whole (canonical JSON text) since
    a day holds only a handful of distinct ones, so both the rate of each method and the share
    granted per purpose follow from the same rows. Days are local dates in ``TIME_ZONE``. Written
    after the fact, never on a visitor's request: a decision stays one INSERT.
    """

    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    day = models.DateField(_("day"))
    method = models.CharField(_("method"), max_length=16, choices=METHOD_CHOICES)
    #: The records' ``choices`` as JSON with sorted keys.
    choices = models.TextField(_("choices"))
    count = models.PositiveIntegerField(_("record count"))

    class Meta:
        verbose_name = _("daily choices")
        verbose_name_plural = _("daily choices")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "method", "choices"], name="cookiecharter_daily_site_day_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} {self.day} {self.method} {self.choices}: {self.count}"


class DailyChoicesMark(models.Model):
    """Up to which day a site's ``DailyChoices`` are complete; later days are counted from the records."""

    site = models.CharField(_("site"), max_length=64, unique=True)
    through = models.DateField(_("counted through"))

    class Meta:
        verbose_name = _("daily choices mark")
        verbose_name_plural = _("daily choices marks")

    def __str__(self) -> str:
        return f"{self.site}: {self.through}"


OBSERVED_REASON_CHOICES = [
    ("undeclared", _("Undeclared")),
    ("not-consented", _("Not consented")),
    ("lifetime-capped", _("Lifetime capped")),
    ("withheld", _("Withheld from the application")),
]


class ObservedCookie(models.Model):
    """A cookie the enforcement middleware blocked, reported or capped, counted per name and reason.

    Filled from production traffic so the charter can be completed (``cookiecharter_observed
    --toml``). One row per (site, name, reason), bumped with an ``F()`` increment: a busy site does one
    UPDATE per offending cookie name per request, and never reads the row back.
    """

    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    name = models.CharField(_("cookie name"), max_length=255)
    reason = models.CharField(_("reason"), max_length=32, choices=OBSERVED_REASON_CHOICES)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    count = models.PositiveBigIntegerField(_("count"), default=0)
    #: One path where it was seen (the first), to find the code that sets it.
    example_path = models.CharField(_("example path"), max_length=500, blank=True)
    #: The lifetime the site asked for, in seconds (None: a session cookie), for the TOML stub.
    lifetime = models.BigIntegerField(_("requested lifetime (seconds)"), null=True, blank=True)

    class Meta:
        verbose_name = _("observed cookie")
        verbose_name_plural = _("observed cookies")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name", "reason"], name="cookiecharter_observed_site_name_reason")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reason}, {self.count})"


class AccountChoice(models.Model):
    """The latest choice a signed-in person made on a site, which follows them to every browser they
    sign in on (``FOLLOW_ACCOUNT``; the rules are ``cookiecharter.core.account``'s).

    What was granted, under which consent version and when: nothing else. ``user_id`` is the
    account's primary key as text, as in the ledger; the row goes when the account is deleted.
    """

    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    user_id = models.CharField(_("user id"), max_length=150)
    #: The purposes granted, sorted.
    granted = models.JSONField(_("granted purposes"))
    consent_version = models.CharField(_("consent version"), max_length=16)
    #: When the choice was made (to the second, as the consent cookie carries it).
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("account choice")
        verbose_name_plural = _("account choices")
        constraints = [models.UniqueConstraint(fields=["site", "user_id"], name="cookiecharter_account_site_user")]

    def __str__(self) -> str:
        return f"{self.site}/{self.user_id}: {', '.join(self.granted) or '-'} ({self.decided_at:%Y-%m-%d %H:%M:%S})"


AUDIT_VERDICT_CHOICES = [
    ("pass", _("Passed")),
    ("warn", _("Warnings")),
    ("fail", _("Failed")),
]

AUDIT_SEVERITY_CHOICES = [
    ("error", _("Error")),
    ("warning", _("Warning")),
    ("info", _("Note")),
]


class AuditRun(models.Model):
    """One audit of the site's own pages by the scanner, in its four phases (``cookiecharter_audit``).

    Its ``digest`` (``core.audit.RunFacts.digest``: every field below and each finding's digest) is
    sealed into the ledger as one record of method "audit", so the run and its findings are proof:
    editing or deleting a finding, or the run, shows in ``cookiecharter_verify``. No IP address: the
    scanner records pages, cookies and hosts of the site, nothing about a visitor.
    """

    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    base_url = models.CharField(_("audited URL"), max_length=500)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    charter_digest = models.CharField(_("charter digest"), max_length=64)
    charter_edition = models.CharField(_("charter edition"), max_length=64, blank=True)
    #: The pages audited, start page first.
    pages = models.JSONField(_("pages"))
    verdict = models.CharField(_("verdict"), max_length=8, choices=AUDIT_VERDICT_CHOICES)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    infos = models.PositiveIntegerField(_("notes"), default=0)
    #: SHA-256 of the scanner's whole report as canonical JSON (everything observed, phase by phase).
    report_digest = models.CharField(_("report digest"), max_length=64)
    #: SHA-256 over the run's fields and its findings' digests: what its ledger record holds.
    digest = models.CharField(_("digest"), max_length=64)
    #: The id of the ledger record that seals the run (its ``consent_id`` is "audit:" and this run's id).
    record_id = models.BigIntegerField(_("ledger record"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit run")
        verbose_name_plural = _("audit runs")
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["site", "finished_at"], name="cookiecharter_audit_site_time")]

    def __str__(self) -> str:
        return f"{self.site} #{self.pk} {self.verdict} ({self.finished_at:%Y-%m-%d %H:%M})"


class AuditFinding(models.Model):
    """One finding of an audit run, as the scanner reported it (rule, severity, subject, phases)."""

    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="findings", verbose_name=_("audit run"))
    #: Position in the run: the run's digest takes the findings' digests in this order.
    position = models.PositiveIntegerField(_("position"))
    rule = models.CharField(_("rule"), max_length=16)
    severity = models.CharField(_("severity"), max_length=8, choices=AUDIT_SEVERITY_CHOICES)
    #: The cookie name, or the host, storage key or page the finding is about.
    subject = models.CharField(_("cookie or subject"), max_length=500)
    phase = models.CharField(_("phases"), max_length=64, blank=True)
    page = models.CharField(_("page"), max_length=500, blank=True)
    text = models.TextField(_("text"))
    digest = models.CharField(_("digest"), max_length=64)

    class Meta:
        verbose_name = _("audit finding")
        verbose_name_plural = _("audit findings")
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="cookiecharter_finding_run_position")]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject} ({self.severity})"


class ComplianceOverview(ConsentRecord):
    """No table and no data of its own: the admin's entry for the compliance overview page
    (``cookiecharter.admin.overview``), so it is listed under "Cookie charter" on the admin index of
    any ``AdminSite`` the app is registered with.

    It also carries the back office's permissions, one per thing a compliance officer does, so a role
    (a ``Group``) can be given exactly what it needs: reading the overview does not let one export the
    ledger, and exporting it does not let one start an audit."""

    class Meta:
        proxy = True
        verbose_name = _("compliance overview")
        verbose_name_plural = _("compliance overview")
        default_permissions = ()
        permissions = [
            ("view_overview", _("Can view the compliance overview")),
            ("export_ledger", _("Can export the consent ledger")),
            ("verify_ledger", _("Can verify the consent ledger")),
            ("run_audit", _("Can run an audit of the site")),
        ]


EXPORT_FORMAT_CHOICES = [
    ("csv", "CSV"),
    ("jsonl", "JSON Lines"),
    ("iso27560", "ISO/IEC TS 27560"),
]


class LedgerExport(models.Model):
    """Who exported which part of the ledger, when, and exactly what they got.

    Written when the export starts and completed when its last byte is sent, so an export cut
    short (a closed browser, a full disk) stays visible with no ``finished_at``. ``sha256`` is the
    digest of the bytes sent: a file someone hands over later can be matched to its export. No IP
    address, like the rest of the ledger.
    """

    site = models.CharField(_("site"), max_length=64, default=DEFAULT_SITE)
    format = models.CharField(_("format"), max_length=16, choices=EXPORT_FORMAT_CHOICES)
    #: The filters: None / "" when not used. ``since`` is inclusive, ``until`` exclusive.
    since = models.DateTimeField(_("from"), null=True, blank=True)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=64, blank=True)
    #: The account's primary key as text (admin exports), or NULL for the command.
    user_id = models.CharField(_("user id"), max_length=150, null=True, blank=True)  # noqa: DJ001
    #: The account's username, or "command" for ``manage.py cookiecharter_export``.
    username = models.CharField(_("exported by"), max_length=150)
    #: The operating system's user who ran the command (blank for admin exports).
    os_user = models.CharField(_("system user"), max_length=150, blank=True)
    records = models.PositiveBigIntegerField(_("records"), default=0)
    size = models.PositiveBigIntegerField(_("bytes"), default=0)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.site} {self.format} {self.username} {self.started_at:%Y-%m-%d %H:%M:%S}"
