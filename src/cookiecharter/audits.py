"""Audits of the site's own behaviour, kept as proof: store a run and its findings, seal it into the
ledger, check it later, compare it with the run before.

A run is two kinds of rows (``AuditRun``, ``AuditFinding``) and one ledger record of method
"audit" (``consent_id`` "audit:RUN", ``texts_digest`` the run's digest, no choices), written in
the same transaction through ``ledger.append_fields``: the record is hashed and sealed like a
visitor's choice, so the ledger shows choices and audits on one timeline, and the existing
verifier covers the record. ``check`` recomputes each run's digest from its rows and compares it
with its record, so editing or deleting a finding, or a run, shows too.

The digests and the comparison are ``core.audit``'s; running the scanner is the command's
(``cookiecharter_audit``); ``facts_from_report`` is the one place that reads a scanner report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from . import ledger
from .core import proof
from .core.audit import RECORD_PREFIX, Change, FindingFacts, RunFacts, compare, sha256_json, verdict_of
from .core.charter import Charter
from .core.consent import Method
from .core.proof import Problem, ProblemKind
from .models import AuditFinding, AuditRun, ConsentRecord, LedgerSeal

if TYPE_CHECKING:
    from .scan.model import Report

#: Just past every "audit:..." consent id (";" follows ":" in ASCII).
RECORD_END = RECORD_PREFIX[:-1] + chr(ord(RECORD_PREFIX[-1]) + 1)


def facts_from_report(report: Report, *, site: str, started_at: datetime, finished_at: datetime) -> RunFacts:
    """A scanner report as the facts a run keeps: per finding its rule, severity, subject, the phases
    its evidence comes from, the first page, the message; the whole report only as a digest."""
    from .scan.model import PHASES

    findings = []
    for finding in report.findings:
        phases = [p for p in PHASES if any(e.phase == p for e in finding.evidence)]
        page = next((e.page for e in finding.evidence if e.page), "") or ""
        findings.append(
            FindingFacts(
                rule=finding.rule,
                severity=finding.severity,
                subject=finding.subject[:500],
                phase=",".join(phases),
                page=page[:500],
                text=finding.message,
            )
        )
    return RunFacts(
        site=site,
        base_url=report.url,
        started_at=started_at,
        finished_at=finished_at,
        charter_digest=report.charter.digest if report.charter else "",
        charter_edition=report.charter.edition if report.charter else "",
        pages=list(report.pages),
        verdict=verdict_of((f.severity for f in findings), any(v.answer == "no" for v in report.verdicts)),
        report_digest=sha256_json(report.model_dump(mode="json")),
        findings=tuple(findings),
    )


def record(facts: RunFacts, charter: Charter, *, using: str | None = None) -> AuditRun:
    """Store a run and its findings and append its ledger record, all or nothing. ``charter`` is the
    charter the site was audited against (the record links to its version, as a choice does)."""
    alias = using or ledger.ledger_alias()
    counts = facts.counts
    with transaction.atomic(using=alias):
        run = AuditRun.objects.using(alias).create(
            site=facts.site,
            base_url=facts.base_url[:500],
            started_at=facts.started_at,
            finished_at=facts.finished_at,
            charter_digest=facts.charter_digest,
            charter_edition=facts.charter_edition,
            pages=list(facts.pages),
            verdict=facts.verdict,
            errors=counts["error"],
            warnings=counts["warning"],
            infos=counts["info"],
            report_digest=facts.report_digest,
            digest=facts.digest(),
        )
        AuditFinding.objects.using(alias).bulk_create(
            AuditFinding(
                run=run,
                position=i,
                rule=f.rule,
                severity=f.severity,
                subject=f.subject,
                phase=f.phase,
                page=f.page,
                text=f.text,
                digest=f.digest(),
            )
            for i, f in enumerate(facts.findings)
        )
        run.record_id = ledger.append_fields(
            proof.RecordFields(
                consent_id=f"{RECORD_PREFIX}{run.pk}",
                created_at=facts.finished_at,
                charter_digest=charter.digest,
                texts_digest=run.digest,
                language="",
                choices={},
                method=Method.AUDIT.value,
                user_id=None,
                site=facts.site,
            ),
            charter,
            using=alias,
        )
        run.save(using=alias, update_fields=["record_id"])
    return run


def facts_of(run: AuditRun, findings: list[AuditFinding] | None = None) -> RunFacts:
    """The facts of a stored run, read back from its rows (to recompute its digest)."""
    rows = findings if findings is not None else list(run.findings.order_by("position"))
    return RunFacts(
        site=run.site,
        base_url=run.base_url,
        started_at=ledger._aware(run.started_at),
        finished_at=ledger._aware(run.finished_at),
        charter_digest=run.charter_digest,
        charter_edition=run.charter_edition,
        pages=list(run.pages) if isinstance(run.pages, list) else [],
        verdict=run.verdict,
        report_digest=run.report_digest,
        findings=tuple(
            FindingFacts(f.rule, f.severity, f.subject, f.phase, f.page, f.text)
            for f in sorted(rows, key=lambda f: f.position)
        ),
    )


def check(site: str, *, using: str | None = None) -> list[Problem]:
    """Every stored run of the site against its ledger record: a run, a finding or a record edited,
    added or deleted is a problem (the record's own hash and seal are the verifier's)."""
    alias = using or ledger.ledger_alias()
    # Audit records by their consent id's prefix, as a range of the consent_id index ("audit:" up to
    # "audit;", the next character): a few rows read however long the ledger, where a filter on the
    # method (not indexed) would scan every record of the site. The site is compared here, not in
    # SQL: with it there, SQLite prefers the (site, ...) index and reads every record of the site.
    records = {
        cid: (rid, texts)
        for rid, cid, texts, where in ConsentRecord.objects.using(alias)
        .filter(consent_id__gte=RECORD_PREFIX, consent_id__lt=RECORD_END)
        .values_list("id", "consent_id", "texts_digest", "site")
        if where == site
    }
    pruned = list(
        LedgerSeal.objects.using(alias).filter(site=site, pruned_at__isnull=False).values_list("first_id", "last_id")
    )
    problems: list[Problem] = []
    runs = AuditRun.objects.using(alias).filter(site=site).order_by("id").prefetch_related("findings")
    for run in runs:
        found = records.pop(f"{RECORD_PREFIX}{run.pk}", None)
        if found is None:
            if run.record_id is not None and any(first <= run.record_id <= last for first, last in pruned):
                continue  # its record went with its seal, for retention: the run proves nothing more
            problems.append(
                Problem(
                    ProblemKind.DELETED,
                    f"audit run {run.pk} ({run.finished_at:%Y-%m-%d %H:%M}) has no ledger record "
                    f"(record {run.record_id} deleted, or the run was added afterwards)",
                    run.record_id,
                )
            )
            continue
        record_id, sealed = found
        recomputed = facts_of(run, list(run.findings.all())).digest()
        if recomputed != sealed or run.digest != sealed:
            problems.append(
                Problem(
                    ProblemKind.ALTERED,
                    f"audit run {run.pk} ({run.finished_at:%Y-%m-%d %H:%M}) does not match its ledger record "
                    f"{record_id}: the run or its findings were edited, added or deleted",
                    record_id,
                )
            )
    for cid, (record_id, _sealed) in sorted(records.items(), key=lambda item: item[1][0]):
        problems.append(
            Problem(
                ProblemKind.DELETED,
                f"audit run {cid.removeprefix(RECORD_PREFIX)}, sealed in ledger record {record_id}, is missing",
                record_id,
            )
        )
    return problems


def previous(run: AuditRun, *, using: str | None = None) -> AuditRun | None:
    """The site's run before ``run``."""
    alias = using or ledger.ledger_alias()
    return AuditRun.objects.using(alias).filter(site=run.site, id__lt=run.pk).order_by("-finished_at", "-id").first()


def _identities(run: AuditRun) -> list[tuple[tuple[str, str, str], str]]:
    return [((f.rule, f.subject, f.phase), f.severity) for f in run.findings.all()]


def change(run: AuditRun, before: AuditRun | None) -> Change:
    """What ``run`` shows against ``before``: new and gone findings, a worse verdict."""
    return compare(
        _identities(before) if before else None, before.verdict if before else None, _identities(run), run.verdict
    )


@dataclass
class TrendPoint:
    run: AuditRun
    total: int
    #: Share of the longest bar, for the chart (0-100).
    percent: int


@dataclass
class AuditSummary:
    """What the overview shows of the site's audits."""

    last: AuditRun
    previous: AuditRun | None
    new: list[AuditFinding]
    gone: list[AuditFinding]
    worse: bool
    #: The last runs, oldest first.
    trend: list[TrendPoint]


TREND_RUNS = 10


def summary(site: str, *, using: str | None = None) -> AuditSummary | None:
    """The last audit, what changed since the one before, and the findings of the last runs."""
    alias = using or ledger.ledger_alias()
    runs = list(
        AuditRun.objects.using(alias)
        .filter(site=site)
        .order_by("-finished_at", "-id")
        .prefetch_related("findings")[:TREND_RUNS]
    )
    if not runs:
        return None
    last, before = runs[0], (runs[1] if len(runs) > 1 else None)
    delta = change(last, before)
    new = set(delta.new)
    gone = set(delta.gone)
    longest = max((r.errors + r.warnings + r.infos for r in runs), default=0) or 1
    return AuditSummary(
        last=last,
        previous=before,
        new=[f for f in last.findings.all() if (f.rule, f.subject, f.phase) in new],
        gone=[f for f in before.findings.all() if (f.rule, f.subject, f.phase) in gone] if before else [],
        worse=delta.worse if before else False,
        trend=[
            TrendPoint(r, r.errors + r.warnings + r.infos, round(100 * (r.errors + r.warnings + r.infos) / longest))
            for r in reversed(runs)
        ],
    )


__all__ = ["AuditSummary", "change", "check", "facts_from_report", "facts_of", "previous", "record", "summary"]
