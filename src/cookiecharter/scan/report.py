"""Assembling the report, comparing it with a baseline, and the exit code it calls for."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from .. import __version__
from ..core.charter import Charter
from .findings import audit, ordered_phases
from .knowledge import KnowledgeBase
from .model import SEVERITY_RANK, BaselineDiff, CharterInfo, Finding, Report, Summary
from .verdicts import verdicts

#: Exit codes of ``cookiecharter scan``.
EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2  # bad options, unreadable charter or baseline, no browser, site unreachable


def build_report(
    raw: object,
    charter: Charter | None,
    charter_path: str | None,
    kb: KnowledgeBase,
    started_at: datetime | None = None,
) -> Report:
    from .runner import RawScan  # typed here only: the runner imports Playwright

    assert isinstance(raw, RawScan)
    phases = ordered_phases(raw.phases)
    findings = audit(phases, charter, kb)
    report = Report(
        tool_version=__version__,
        knowledge_base_version=kb.version,
        url=raw.url,
        started_at=(started_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        duration_ms=raw.duration_ms,
        browser=raw.browser,
        charter=(
            CharterInfo(
                path=charter_path or "",
                edition=charter.edition,
                digest=charter.digest,
                consent_version=charter.consent_version,
            )
            if charter is not None
            else None
        ),
        pages=raw.pages,
        not_pages=raw.not_pages,
        phases=phases,
        findings=findings,
    )
    report.summary = summarise(report)
    report.verdicts = verdicts(phases, findings)
    return report


def summarise(report: Report) -> Summary:
    count = {s: sum(1 for f in report.findings if f.severity == s) for s in ("error", "warning", "info")}
    failed = {v.url for p in report.phases for v in p.pages if v.error}
    return Summary(
        errors=count["error"],
        warnings=count["warning"],
        infos=count["info"],
        cookies=len({c.name for p in report.phases for c in p.cookies}),
        pages=len(report.pages),
        failed_pages=len(failed),
    )


class BaselineError(ValueError):
    pass


def load_baseline(path: str) -> Report:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path} is not JSON: {exc}") from None
    major = str(data.get("schema_version", "")).split(".")[0] if isinstance(data, dict) else ""
    if major != "1":
        raise BaselineError(f"{path} is not a cookiecharter scan report of schema 1.x")
    try:
        return Report.model_validate(data)
    except ValueError as exc:
        raise BaselineError(f"{path} is not a valid scan report: {exc}") from None


def compare(report: Report, baseline: Report, baseline_path: str) -> BaselineDiff:
    now = {f.fingerprint for f in report.findings}
    before = {f.fingerprint for f in baseline.findings}
    return BaselineDiff(
        path=os.fspath(baseline_path),
        new=sorted(now - before),
        fixed=sorted(before - now),
        unchanged=sorted(now & before),
    )


def counted_findings(report: Report) -> list[Finding]:
    """The findings the exit code looks at: with a baseline, only the new ones."""
    if report.baseline is None:
        return report.findings
    new = set(report.baseline.new)
    return [f for f in report.findings if f.fingerprint in new]


def exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = SEVERITY_RANK[fail_on]
    if any(SEVERITY_RANK[f.severity] >= threshold for f in counted_findings(report)):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def json_schema() -> dict:
    schema = Report.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "cookiecharter scan report"
    return schema
