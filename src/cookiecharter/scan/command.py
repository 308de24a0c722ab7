"""What ``cookiecharter scan`` does, apart from parsing its options (that stays in ``cli.py``).

Progress goes to standard error, the summary to standard output; reports go to ``--out``.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TextIO

from ..core.charter import Charter
from ..core.loading import CharterError, load_charter
from .knowledge import default_knowledge_base
from .model import Report
from .report import (
    EXIT_USAGE,
    BaselineError,
    build_report,
    compare,
    exit_code,
    load_baseline,
    to_json,
)

FORMATS = ("json", "html", "sarif")


@dataclass
class ScanRequest:
    url: str
    charter: str | None = None
    pages: int = 5
    out: str = "cookiecharter-scan"
    formats: tuple[str, ...] = ("json", "html")
    fail_on: str = "error"
    baseline: str | None = None
    suggest: bool = False
    browser: str | None = None
    timeout: float = 20.0
    concurrency: int = 4
    settle: float = 1.0


class ScanFailed(Exception):
    """A problem that stops the scan before any finding: ``code`` is the exit status."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def parse_formats(text: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ScanFailed(f"unknown format {', '.join(unknown) or '(none)'}; choose among {', '.join(FORMATS)}")
    return wanted


def execute(request: ScanRequest, out: TextIO | None = None, err: TextIO | None = None) -> tuple[int, Report | None]:
    """Run the whole scan; returns (exit status, report). Raises nothing for expected failures."""
    from rich.console import Console

    console = Console(file=out, highlight=False, soft_wrap=True)
    errors = Console(file=err, stderr=err is None, highlight=False, soft_wrap=True)
    try:
        return _execute(request, console, errors)
    except ScanFailed as exc:
        errors.print(f"[bold red]Error:[/] {exc}", markup=True)
        return exc.code, None


def _execute(request: ScanRequest, console, errors) -> tuple[int, Report | None]:  # noqa: ANN001
    if not request.url.startswith(("http://", "https://")):
        raise ScanFailed(f"{request.url!r} is not an http(s) URL")
    charter: Charter | None = None
    if request.charter:
        try:
            charter = load_charter(request.charter)
        except OSError as exc:
            raise ScanFailed(f"cannot read the charter {request.charter}: {exc.strerror or exc}") from None
        except CharterError as exc:
            raise ScanFailed(f"the charter is invalid (cookiecharter validate {request.charter}):\n{exc}") from None
    baseline = None
    if request.baseline:
        try:
            baseline = load_baseline(request.baseline)
        except BaselineError as exc:
            raise ScanFailed(str(exc)) from None
    kb = default_knowledge_base()
    try:
        from .browser import BrowserNotFound
        from .runner import ScanOptions, SiteUnreachable, scan
    except ImportError as exc:  # pragma: no cover - the "scan" extra is missing
        raise ScanFailed(f"scanning needs the 'scan' extra: pip install 'cookiecharter[scan]' ({exc})") from None

    options = ScanOptions(
        url=request.url,
        pages=request.pages,
        browser=request.browser,
        timeout_s=request.timeout,
        concurrency=request.concurrency,
        settle_s=request.settle,
    )
    started = datetime.now(timezone.utc)
    try:
        raw = _with_progress(errors, lambda progress: scan(options, progress, kb.vendor_of_host))
    except BrowserNotFound as exc:
        raise ScanFailed(str(exc)) from None
    except SiteUnreachable as exc:
        raise ScanFailed(str(exc)) from None
    except Exception as exc:  # a browser that would not start, mostly
        if type(exc).__module__.startswith("playwright"):
            raise ScanFailed(f"the browser failed: {str(exc).splitlines()[0]}") from None
        raise
    report = build_report(raw, charter, request.charter, kb, started)
    if baseline is not None and request.baseline:
        report.baseline = compare(report, baseline, request.baseline)
    try:
        written = write_outputs(report, charter, request, kb)
    except OSError as exc:
        raise ScanFailed(f"cannot write the reports into {request.out}: {exc.strerror or exc}") from None
    from .terminal import print_summary

    print_summary(console, report, written)
    return exit_code(report, request.fail_on), report


def _with_progress(errors, start):  # noqa: ANN001, ANN202
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]Scanning[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=errors, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("starting Chromium", total=4)

        def progress(event: str, phase: str, detail: object) -> None:
            if event == "pages":
                bar.update(task, total=4 * int(detail), description=f"{detail} page(s) x 4 phases")  # type: ignore[call-overload]
            elif event == "page":
                bar.advance(task)
                bar.update(task, description=f"{phase}: {detail}")

        return asyncio.run(start(progress))


def write_outputs(report: Report, charter: Charter | None, request: ScanRequest, kb) -> list[str]:  # noqa: ANN001
    os.makedirs(request.out, exist_ok=True)
    written: list[str] = []

    def write(name: str, text: str) -> None:
        path = os.path.join(request.out, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        written.append(path)

    if "json" in request.formats:
        write("report.json", to_json(report))
    if "html" in request.formats:
        from .html import to_html

        write("report.html", to_html(report))
    if "sarif" in request.formats:
        from .sarif import to_sarif

        write("report.sarif", json.dumps(to_sarif(report, charter), indent=2, ensure_ascii=False))
    if request.suggest:
        from .suggest import suggest

        write("charter-suggestions.toml", suggest(report, charter, kb))
    return written
