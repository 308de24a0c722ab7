"""The summary of an audit of many sites: one line per site, as JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json
import os
from html import escape
from typing import Literal

from pydantic import BaseModel, Field

from ..model import Report
from ..report import exit_code, to_json

CHECKS = ("nothing-before-choice", "refusal-respected", "gpc-honoured", "acceptance-works")


class SiteOutcome(BaseModel):
    url: str
    status: Literal["audited", "failed"]
    attempts: int = Field(
        1, description="Audits started for this site (a crashed page, browser or worker means another)."
    )
    error: str | None = None
    report_dir: str | None = None
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    pages: int = 0
    verdicts: dict[str, str] = Field(default_factory=dict, description="check -> yes / no / not tested / not asked")
    worker: str | None = Field(None, description="Which worker audited it (distributed runs).")


def outcome_of(report: Report, attempts: int, report_dir: str | None, worker: str | None = None) -> SiteOutcome:
    s = report.summary
    return SiteOutcome(
        url=report.url, status="audited", attempts=attempts, report_dir=report_dir, errors=s.errors, warnings=s.warnings,
        infos=s.infos, pages=s.pages, verdicts={v.check: v.answer for v in report.verdicts}, worker=worker,
    )  # fmt: skip


def write_site_reports(report: Report, directory: str, formats: tuple[str, ...]) -> None:
    os.makedirs(directory, exist_ok=True)
    if "json" in formats:
        with open(os.path.join(directory, "report.json"), "w", encoding="utf-8") as fh:
            fh.write(to_json(report))
    if "html" in formats:
        from ..html import to_html

        with open(os.path.join(directory, "report.html"), "w", encoding="utf-8") as fh:
            fh.write(to_html(report))
    if "sarif" in formats:
        from ..sarif import to_sarif

        with open(os.path.join(directory, "report.sarif"), "w", encoding="utf-8") as fh:
            json.dump(to_sarif(report), fh, indent=2, ensure_ascii=False)


def fleet_exit_code(outcomes: list[SiteOutcome], reports: dict[str, Report], fail_on: str) -> int:
    """2 when a site could not be audited, else the worst of the sites' own exit codes."""
    if any(o.status == "failed" for o in outcomes):
        return 2
    return max((exit_code(r, fail_on) for r in reports.values()), default=0)


def write_summary(outcomes: list[SiteOutcome], out: str) -> list[str]:
    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, f"summary.{ext}") for ext in ("json", "csv", "html")]
    with open(paths[0], "w", encoding="utf-8") as fh:
        json.dump([o.model_dump() for o in outcomes], fh, indent=2, ensure_ascii=False)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["url", "status", "attempts", "errors", "warnings", "notes", "pages", *CHECKS, "report", "error"])
    for o in outcomes:
        writer.writerow(
            [o.url, o.status, o.attempts, o.errors, o.warnings, o.infos, o.pages, *(o.verdicts.get(c, "") for c in CHECKS),
             o.report_dir or "", o.error or ""]
        )  # fmt: skip
    with open(paths[1], "w", encoding="utf-8", newline="") as fh:
        fh.write(buffer.getvalue())
    with open(paths[2], "w", encoding="utf-8") as fh:
        fh.write(_html(outcomes, out))
    return paths


_COLOURS = {"yes": "#1b6e35", "no": "#b3261e", "not tested": "#8a5300", "not asked": "#555"}


def _html(outcomes: list[SiteOutcome], out: str) -> str:
    def cell(answer: str) -> str:
        return f"<td style='color:{_COLOURS.get(answer, '#555')};font-weight:700'>{escape(answer or '—')}</td>"

    rows = []
    for o in outcomes:
        link = (
            f"<a href='{escape(os.path.relpath(os.path.join(o.report_dir, 'report.html'), out))}'>{escape(o.url)}</a>"
            if o.report_dir
            else escape(o.url)
        )
        status = escape(o.status) + (f" ({escape(o.error or '')})" if o.error else "")
        rows.append(
            f"<tr><td>{link}</td><td>{status}</td><td>{o.attempts}</td>"
            + "".join(cell(o.verdicts.get(c, "")) for c in CHECKS)
            + f"<td>{o.errors}</td><td>{o.warnings}</td><td>{o.pages}</td></tr>"
        )
    audited = sum(o.status == "audited" for o in outcomes)
    refused_ok = sum(o.verdicts.get("refusal-respected") == "yes" for o in outcomes)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
        "<title>Cookie scan of many sites</title><style>body{font:15px/1.5 system-ui,sans-serif;margin:1.5rem}"
        "table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style></head>"
        f"<body><h1>Cookie scan of {len(outcomes)} sites</h1><p>{audited} audited, {len(outcomes) - audited} failed; "
        f"refusal respected on {refused_ok}.</p><table><thead><tr><th>Site</th><th>Status</th><th>Attempts</th>"
        "<th>Nothing before a choice</th><th>Refusal respected</th><th>GPC honoured</th><th>Acceptance works</th>"
        "<th>Errors</th><th>Warnings</th><th>Pages</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )
