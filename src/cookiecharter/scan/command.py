"""What ``cookiecharter scan`` does, apart from parsing its options (that stays in ``cli.py``).

Progress goes to standard error, the summary to standard output; reports go to ``--out``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TextIO

from ..core.charter import Charter
from ..core.framework_cookies import FrameworkCookies, declare_framework_cookies
from ..core.loading import CharterError, load_charter
from .knowledge import KnowledgeBase, default_knowledge_base
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

if TYPE_CHECKING:  # rich and the runner (Playwright) are imported once require_extra() found them
    from rich.console import Console

    from .runner import Progress, RawScan

FORMATS = ("json", "html", "sarif")


@dataclass
class ScanRequest:
    url: str | None
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
    #: Declare Django's own cookies and the consent cookie with Django's default names and lifetimes.
    django_cookies: bool = False
    #: The cookies the site's framework sets by itself (names, lifetimes), added to the charter as
    #: the site's framework layer adds them. The command fills it from a Django project's settings
    #: (``--django-settings``); the scanner itself never imports Django.
    framework: FrameworkCookies | None = None
    #: A file of sites (one URL per line) instead of ``url``: one report per site and a summary.
    sites: str | None = None
    #: Sites audited at once in this process (one browser shared by them).
    jobs: int = 2
    #: A Celery broker URL: the sites go to workers (``cookiecharter.scan.fleet.tasks``) instead.
    broker: str | None = None


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


class ExtraMissing(ImportError):
    """The ``scan`` extra is not installed: the message says what to install."""


def require_extra() -> None:
    """Import what the scan needs now, so a missing extra is one clear sentence, not a traceback."""
    try:
        import playwright.async_api  # noqa: F401
        import rich  # noqa: F401
    except ImportError as exc:
        raise ExtraMissing(f"scanning needs the 'scan' extra: pip install 'cookiecharter[scan]' ({exc})") from exc


def execute(request: ScanRequest, out: TextIO | None = None, err: TextIO | None = None) -> tuple[int, Report | None]:
    """Run the whole scan; returns (exit status, report). Raises nothing for expected failures,
    except ``ExtraMissing`` (there is no rich to print with)."""
    require_extra()
    from rich.console import Console

    console = Console(file=out, highlight=False, soft_wrap=True)
    errors = Console(file=err, stderr=err is None, highlight=False, soft_wrap=True)
    try:
        return _execute(request, console, errors)
    except ScanFailed as exc:
        errors.print(f"[bold red]Error:[/] {exc}", markup=True)
        return exc.code, None


def _execute(request: ScanRequest, console: Console, errors: Console) -> tuple[int, Report | None]:
    if request.sites:
        return _execute_fleet(request, console, errors), None
    if not request.url:
        raise ScanFailed("give a URL to audit, or --sites FILE")
    check_url(request.url)
    charter, charter_path = _site_charter(request)
    baseline = None
    if request.baseline:
        try:
            baseline = load_baseline(request.baseline)
        except BaselineError as exc:
            raise ScanFailed(str(exc)) from None
    kb = default_knowledge_base()
    report = scan_site(request, charter, charter_path, kb, errors)
    if baseline is not None and request.baseline:
        report.baseline = compare(report, baseline, request.baseline)
    try:
        written = write_outputs(report, charter, request, kb)
    except OSError as exc:
        raise ScanFailed(f"cannot write the reports into {request.out}: {exc.strerror or exc}") from None
    from .terminal import print_summary

    print_summary(console, report, written)
    return exit_code(report, request.fail_on), report


def check_url(url: str) -> None:
    """Raises ``ScanFailed`` unless ``url`` is one the scanner can audit."""
    if not url.startswith(("http://", "https://")):
        raise ScanFailed(f"{url!r} is not an http(s) URL")


def scan_site(
    request: ScanRequest, charter: Charter | None, charter_path: str | None, kb: KnowledgeBase, errors: Console | None
) -> Report:
    """Audit ``request.url`` (checked by ``check_url``) in Chromium and judge what was seen against
    ``charter``; the progress bar goes to ``errors``, if given. Needs the extra (``require_extra``).

    Raises ``ScanFailed`` when there is nothing to judge: no browser, one that would not start, a
    site that cannot be loaded. ``cookiecharter_init --scan`` drafts a charter's entries with it."""
    from .browser import BrowserNotFound
    from .runner import ScanOptions, SiteUnreachable, scan

    assert request.url, "a URL to audit"
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
        if errors is None:
            raw = asyncio.run(scan(options, None, kb.vendor_of_host, kb.category_of))
        else:
            raw = _with_progress(errors, lambda progress: scan(options, progress, kb.vendor_of_host, kb.category_of))
    except BrowserNotFound as exc:
        raise ScanFailed(str(exc)) from None
    except SiteUnreachable as exc:
        raise ScanFailed(f"the site does not answer: {exc}") from None
    except Exception as exc:  # a browser that would not start, mostly
        if type(exc).__module__.startswith("playwright"):
            raise ScanFailed(f"the browser failed: {str(exc).splitlines()[0]}") from None
        raise
    return build_report(raw, charter, charter_path, kb, started)


def _site_charter(request: ScanRequest) -> tuple[Charter | None, str | None]:
    """The charter to audit against, as the site uses it: the file, plus the framework's cookies
    (session, CSRF, language) and the consent cookie when the site's framework declares them
    itself, as cookiecharter's Django layer does. Without this a site that relies on that layer
    would see its own CSRF and consent cookies reported as undeclared."""
    if request.django_cookies and request.framework is not None:
        raise ScanFailed(
            "--django-cookies and --django-settings are exclusive: the settings already say which cookies Django sets"
        )
    framework = request.framework
    path = request.charter
    if request.django_cookies:
        framework = FrameworkCookies()
        if not path:
            raise ScanFailed("--django-cookies needs --charter FILE (the cookies are added to that charter)")
    if not path:
        return None, None
    try:
        charter = load_charter(path)
    except OSError as exc:
        raise ScanFailed(f"cannot read the charter {path}: {exc.strerror or exc}") from None
    except CharterError as exc:
        raise ScanFailed(f"the charter is invalid (cookiecharter validate {path}):\n{exc}") from None
    if framework is not None:
        charter = declare_framework_cookies(charter, framework)
    return charter, os.fspath(path)


def _execute_fleet(request: ScanRequest, console: Console, errors: Console) -> int:
    """Many sites: locally on a bounded pool in one browser, or on Celery workers with --broker."""
    from .fleet.jobs import SiteJob, read_sites, slug
    from .fleet.summary import SiteOutcome, fleet_exit_code, outcome_of, write_site_reports, write_summary

    if request.url:
        raise ScanFailed("give either a URL or --sites FILE, not both")
    if request.framework is not None or request.baseline or request.suggest:
        raise ScanFailed("--sites audits with --charter (and --django-cookies) only; --django-settings, --baseline "
                         "and --suggest are for one site")  # fmt: skip
    try:
        urls = read_sites(request.sites or "")
    except OSError as exc:
        raise ScanFailed(f"cannot read the sites file {request.sites}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ScanFailed(str(exc)) from None
    if not urls:
        raise ScanFailed(f"{request.sites} lists no site")
    _charter, charter_path = _site_charter(request)  # validates it here, once, before any worker does
    text = None
    if charter_path:
        with open(charter_path, encoding="utf-8") as fh:
            text = fh.read()
    jobs = [
        SiteJob(url=u, pages=request.pages, timeout=request.timeout, concurrency=request.concurrency, settle=request.settle,
                charter_text=text, charter_path=charter_path, django_cookies=request.django_cookies)
        for u in urls
    ]  # fmt: skip

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]Scanning sites[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=errors, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("starting", total=len(jobs))

        def progress(done: int, total: int, url: str, word: str) -> None:
            bar.update(task, completed=done, description=f"{word}: {url}")

        if request.broker:
            try:
                from .fleet import tasks  # noqa: F401 - Celery itself
                from .fleet.distributed import BrokerUnavailable, run_distributed
            except ImportError as exc:
                raise ScanFailed(
                    f"--broker needs the 'fleet' extra: pip install 'cookiecharter[fleet]' ({exc})"
                ) from None

            try:
                results = [
                    (job, report, attempts, error, worker)
                    for job, report, attempts, error, worker in run_distributed(jobs, request.broker, progress)
                ]
            except BrokerUnavailable as exc:
                raise ScanFailed(str(exc)) from None
        else:
            from .browser import BrowserNotFound, find_chromium
            from .fleet.local import run_local

            try:
                executable = find_chromium(request.browser)
            except BrowserNotFound as exc:
                raise ScanFailed(str(exc)) from None
            results = [
                (job, report, attempts, error, None)
                for job, report, attempts, error in asyncio.run(run_local(jobs, executable, request.jobs, 2, progress))
            ]
    outcomes: list[SiteOutcome] = []
    reports: dict[str, Report] = {}
    for job, report, attempts, error, worker in results:
        if report is None:
            outcomes.append(SiteOutcome(url=job.url, status="failed", attempts=attempts, error=error, worker=worker))
            continue
        directory = os.path.join(request.out, slug(job.url))
        write_site_reports(report, directory, request.formats)
        reports[job.url] = report
        outcomes.append(outcome_of(report, attempts, directory, worker))
    written = write_summary(outcomes, request.out)
    failed = sum(o.status == "failed" for o in outcomes)
    console.print(f"Scanned {len(outcomes)} site(s): {len(outcomes) - failed} audited, {failed} failed.")
    for o in outcomes:
        answers = ", ".join(f"{k}: {v}" for k, v in o.verdicts.items()) or (o.error or "")
        console.print(f"  {o.url}  {o.status}{f' after {o.attempts} attempts' if o.attempts > 1 else ''}  {answers}")
    for path in written:
        console.print(f"wrote {path}")
    return fleet_exit_code(outcomes, reports, request.fail_on)


def _with_progress(errors: Console, start: Callable[[Progress], Coroutine[Any, Any, RawScan]]) -> RawScan:
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


def write_outputs(report: Report, charter: Charter | None, request: ScanRequest, kb: KnowledgeBase) -> list[str]:
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
