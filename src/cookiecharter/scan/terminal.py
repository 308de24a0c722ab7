"""The terminal summary of a scan (rich): the four verdicts, findings, counts, and what changed since the baseline."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .model import Report

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_ANSWER_STYLE = {"yes": "bold green", "no": "bold red", "not tested": "bold yellow", "not asked": "dim"}


def print_summary(console: Console, report: Report, written: list[str]) -> None:
    s = report.summary
    where = f"charter {report.charter.path}" if report.charter else "no charter (knowledge base only)"
    console.print(
        Text.assemble(
            ("Scanned ", ""),
            (report.url, "bold"),
            f": {s.pages} page(s) x 4 phases in {report.duration_ms / 1000:.1f} s, "
            f"{s.cookies} cookie name(s); {where}; knowledge base {report.knowledge_base_version}",
        )
    )
    for v in report.verdicts:
        console.print(
            Text.assemble(
                (f"{v.question}: ", "bold"), (v.answer.upper(), _ANSWER_STYLE[v.answer]), f"  {v.detail}",
            )
        )  # fmt: skip
    if report.findings:
        table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
        table.add_column("Severity")
        table.add_column("Rule")
        table.add_column("Subject", overflow="fold")
        table.add_column("Finding", overflow="fold")
        new = set(report.baseline.new) if report.baseline else None
        for f in report.findings:
            mark = " (new)" if new is not None and f.fingerprint in new else ""
            table.add_row(Text(f.severity + mark, style=_STYLE[f.severity]), f.rule, f.subject, f.message)
        console.print(table)
    console.print(
        Text.assemble(
            (f"{s.errors} error(s)", _STYLE["error"] if s.errors else "green"),
            ", ",
            (f"{s.warnings} warning(s)", _STYLE["warning"] if s.warnings else "green"),
            ", ",
            f"{s.infos} note(s)",
            f", {s.failed_pages} page(s) failed" if s.failed_pages else "",
        )
    )
    if report.baseline:
        b = report.baseline
        console.print(f"Compared with {b.path}: {len(b.new)} new, {len(b.fixed)} fixed, {len(b.unchanged)} unchanged.")
        for fp in b.fixed:
            console.print(Text(f"  fixed: {fp}", style="green"))
    for path in written:
        console.print(f"wrote {path}")
