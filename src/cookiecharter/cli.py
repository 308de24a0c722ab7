"""The ``cookiecharter`` command: one function per subcommand under the ``main`` group.

This module imports only the core at import time, so ``cookiecharter validate`` works without
Django; a subcommand that needs more (rendering, scanning) imports it inside its own function.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, NoReturn

import click

from cookiecharter import __version__
from cookiecharter.core.charter import Charter
from cookiecharter.core.loading import CharterError, load_charter

#: Exit codes: 0 valid, 1 the charter has problems, 2 usage error or unreadable file (click's own).
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cookiecharter")
def main() -> None:
    """One declared cookie charter, and everything derived from it."""


def _summary(path: str, charter: Charter) -> str:
    consent = [p.key for p in charter.consent_purposes]
    needing = (
        f"{len(consent)} need{'s' if len(consent) == 1 else ''} consent ({', '.join(consent)})"
        if consent
        else "none needs consent (no banner)"
    )
    return (
        f"{path}: valid: {len(charter.purposes)} purpose{'s' if len(charter.purposes) != 1 else ''}, "
        f"{len(charter.cookies)} cookie{'s' if len(charter.cookies) != 1 else ''}, {needing}; "
        f"digest {charter.digest[:12]}, consent version {charter.consent_version}"
    )


@main.command()
@click.argument(
    "charters", nargs=-1, required=True, metavar="CHARTER...",
    type=click.Path(exists=True, dir_okay=False, readable=True),
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: one object per file with its problems or its summary, for editors and CI.",
)  # fmt: skip
def validate(charters: tuple[str, ...], fmt: str) -> None:
    """Check charter files; list every problem as FILE:LINE: FIELD: MESSAGE.

    Exit status 0 when every file is valid, 1 when any has problems, 2 when one cannot be read.
    """
    invalid = 0
    report: list[dict[str, Any]] = []
    for path in charters:
        try:
            charter = load_charter(path)
        except OSError as exc:  # vanished or unreadable between click's check and the read
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_UNREADABLE)
        except CharterError as exc:
            invalid += 1
            count = len(exc.problems)
            report.append({"file": path, "valid": False, "problems": [asdict(p) for p in exc.problems]})
            if fmt == "text":
                # On stdout, like a linter's findings: they are the answer, meant for grep and editors.
                click.echo(str(exc))
                click.echo(f"{path}: invalid: {count} problem{'s' if count != 1 else ''}")
            continue
        report.append(
            {
                "file": path, "valid": True, "problems": [], "purposes": [p.key for p in charter.purposes],
                "consent_purposes": [p.key for p in charter.consent_purposes], "cookies": len(charter.cookies),
                "digest": charter.digest, "consent_version": charter.consent_version,
            }
        )  # fmt: skip
        if fmt == "text":
            click.echo(_summary(path, charter))
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    if invalid:
        sys.exit(EXIT_INVALID)


@main.command()
@click.argument("charter_file", metavar="CHARTER", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--lang", default=None, help="Page language (default: the charter's first language).")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "pdf"]), default="html", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--django-cookies",
    is_flag=True,
    help="Also declare Django's own cookies with Django's default names and lifetimes.",
)
@click.option(
    "--stylesheet", default=None, metavar="URL", help="HTML only: link this stylesheet instead of embedding the CSS."
)
@click.option(
    "--pdf-href", default=None, metavar="URL", help="HTML and Markdown: where the PDF version is, to link to it."
)
def render(
    charter_file: str,
    lang: str | None,
    fmt: str,
    output: str | None,
    django_cookies: bool,
    stylesheet: str | None,
    pdf_href: str | None,
) -> None:
    """Write the charter page (HTML, Markdown or PDF) without a Django project.

    Markdown and PDF do not import Django; HTML renders the Django app's own template in-process.
    """
    from cookiecharter.page import standalone  # rendering stays out of `validate`'s import path

    try:
        charter = standalone.prepare(load_charter(charter_file), django_cookies=django_cookies)
    except OSError as exc:
        click.echo(f"Error: cannot read {charter_file}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    except CharterError as exc:
        click.echo(str(exc), err=True)
        click.echo(f"{charter_file}: invalid: fix it first (cookiecharter validate {charter_file})", err=True)
        sys.exit(EXIT_INVALID)
    lang = lang or charter.languages[0]
    if lang not in charter.languages:
        # A page in a language the charter has no texts in would mix languages: refuse it.
        raise click.BadParameter(
            f"the charter has texts in {', '.join(charter.languages)}, not in {lang!r}", param_hint="--lang"
        )
    try:
        if fmt == "md":
            body = standalone.render_markdown(charter, lang, pdf_href=pdf_href).encode("utf-8")
        elif fmt == "pdf":
            body = standalone.render_pdf_bytes(charter, lang)
        else:  # html: the Django app's own template, so the Django layer renders it
            from cookiecharter.standalone_html import render_html

            body = render_html(charter, lang, stylesheet=stylesheet, pdf_href=pdf_href).encode("utf-8")
    except ImportError as exc:
        extra = {"pdf": "pdf", "html": "django"}.get(fmt, "")
        raise click.ClickException(
            f"--format {fmt} needs the {extra!r} extra: pip install 'cookiecharter[{extra}]' ({exc})"
        ) from exc
    if output:
        with open(output, "wb") as fh:
            fh.write(body)
        click.echo(f"wrote {output} ({len(body)} bytes, {fmt}, {lang})", err=True)
    elif fmt == "pdf" and sys.stdout.isatty():
        raise click.UsageError("refusing to write a PDF to a terminal: use -o FILE or redirect")
    else:
        click.echo(body, nl=False)  # bytes go to the binary stream untouched


@main.command()
@click.argument("url", required=False)
@click.option(
    "--sites",
    "sites_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Audit every site of this file (one URL per line) instead of URL: one report per site under --out, and summary.html/json/csv.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="With --sites: sites audited at once in this process (one browser).",
)
@click.option(
    "--broker",
    default=None,
    metavar="URL",
    help="With --sites: a Celery broker (redis://..., amqp://...); the sites go to workers started with `celery -A cookiecharter.scan.fleet.tasks worker --pool threads`.",
)
@click.option(
    "--charter",
    "charter_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="The charter to audit against (without it: classify by the knowledge base).",
)
@click.option(
    "--pages",
    type=click.IntRange(1, 500),
    default=5,
    show_default=True,
    help="Pages to audit: the start page, its links, the sitemap's, then links of the pages visited.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="cookiecharter-scan",
    show_default=True,
    help="Directory for the reports.",
)
@click.option(
    "--format",
    "formats",
    default="json,html",
    show_default=True,
    help="Reports to write, comma-separated: json, html, sarif.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at least this severe (with --baseline: a new one).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False),
    default=None,
    help="An earlier JSON report: show what is new, fixed, unchanged.",
)
@click.option(
    "--suggest", is_flag=True, help="Also write charter-suggestions.toml: draft entries for undeclared cookies."
)
@click.option(
    "--browser",
    default=None,
    metavar="PATH",
    help="Chromium to drive (default: $COOKIECHARTER_CHROMIUM, then chromium on the PATH).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=20.0,
    show_default=True,
    help="Seconds allowed for one page to load.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Pages open at once (over all phases).",
)
@click.option(
    "--settle",
    type=click.FloatRange(0, 60),
    default=1.0,
    show_default=True,
    help="Longest wait, in seconds, for a page to settle after it loads (pending timers, late scripts); it ends sooner once the page is calm.",
)
@click.option(
    "--django-cookies",
    is_flag=True,
    help="Add Django's own cookies and the consent cookie to the charter, with Django's default names and lifetimes (as `render --django-cookies`).",
)
@click.option(
    "--django-settings",
    default=None,
    metavar="MODULE",
    help="The site's Django settings module (e.g. mysite.settings): its cookie names and lifetimes, and its charter when --charter is not given: the charter exactly as the site uses it.",
)
def scan(
    url: str | None,
    sites_file: str | None,
    jobs: int,
    broker: str | None,
    charter_file: str | None,
    pages: int,
    out_dir: str,
    formats: str,
    fail_on: str,
    baseline: str | None,
    suggest: bool,
    browser: str | None,
    timeout: float,
    concurrency: int,
    settle: float,
    django_cookies: bool,
    django_settings: str | None,
) -> None:
    """Audit URL in Chromium in four phases (arrival, refuse all, accept all, Global Privacy Control).

    Exit status: 0 clean, 1 findings at or above --fail-on, 2 bad options, unreadable charter or
    baseline, no browser, or a site that cannot be loaded.
    """
    from cookiecharter.scan.command import (  # Playwright stays out of `validate`
        ExtraMissing,
        ScanFailed,
        ScanRequest,
        execute,
        parse_formats,
    )

    try:
        wanted = parse_formats(formats)
    except ScanFailed as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    framework = None
    if django_settings:
        if django_cookies:
            click.echo(
                "Error: --django-cookies and --django-settings are exclusive: the settings already say which cookies Django sets",
                err=True,
            )
            sys.exit(EXIT_UNREADABLE)
        framework, site_charter = _django_site(django_settings, url)
        charter_file = charter_file or site_charter
    request = ScanRequest(
        url=url, charter=charter_file, pages=pages, out=out_dir, formats=wanted, fail_on=fail_on,
        baseline=baseline, suggest=suggest, browser=browser, timeout=timeout, concurrency=concurrency, settle=settle,
        django_cookies=django_cookies, framework=framework, sites=sites_file, jobs=jobs, broker=broker,
    )  # fmt: skip
    try:
        status, _ = execute(request)  # rich writes to sys.stdout / sys.stderr as they are at print time
    except ExtraMissing as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    sys.exit(status)


@main.command("check-proof")
@click.argument("bundle_file", metavar="BUNDLE", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--charter", "charter_file", type=click.Path(exists=True, dir_okay=False, readable=True), default=None,
    help="The public charter file (TOML): one of the bundle's charter versions must be it.",
)  # fmt: skip
@click.option(
    "--digest", "digests", multiple=True, metavar="HEX",
    help="The charter digest the public charter page shows (the title of its edition line); repeatable.",
)  # fmt: skip
def check_proof(bundle_file: str, charter_file: str | None, digests: tuple[str, ...]) -> None:
    """Check a visitor's proof bundle (from the back office) with nothing but its content and,
    optionally, the public charter.

    Recomputes the charter digests, the banner texts digests, each record against what its hash
    covers, each record's place in its seal, the seals' records digests and their chain; and says
    what needs the site's secret key. Exit status 0 when it checks out, 1 when anything does not,
    2 when the file is not a readable bundle.
    """
    from cookiecharter.core import bundle as proof_bundle
    from cookiecharter.core.framework_cookies import FrameworkCookies, declare_framework_cookies

    try:
        with open(bundle_file, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"Error: cannot read {bundle_file} as JSON: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    public = [d.strip().lower() for d in digests]
    if charter_file:
        try:
            declared = load_charter(charter_file)
        except CharterError as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_UNREADABLE)
        # The file as written, and as a Django site serves it (its own cookies declared with Django's
        # default names, as `cookiecharter render --django-cookies` does).
        public += [declared.digest, declare_framework_cookies(declared, FrameworkCookies()).digest]
    render_text = None
    try:
        from cookiecharter.page import Honoured, build_page, to_markdown

        def render_text(charter: Charter, language: str, options: Any) -> str:
            return to_markdown(build_page(charter, language, honoured=Honoured(**options)))
    except ImportError:  # pragma: no cover - the page package ships with the core
        pass
    try:
        outcome = proof_bundle.check(data, public_digests=public, render_text=render_text)
    except proof_bundle.BundleError as exc:
        click.echo(f"Error: {bundle_file}: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    click.echo(f"Proof for consent id {data.get('consent_id')} on site {data.get('site')}, made {data.get('made_at')}")
    for line in outcome.held:
        click.echo(f"  ok       {line}")
    for line in outcome.not_rechecked:
        click.echo(f"  not rechecked: {line}")
    for failure in outcome.failures:
        click.echo(f"  FAILED   {failure}")
    if outcome.ok:
        click.echo(f"{bundle_file}: checks out")
    else:
        click.echo(f"{bundle_file}: does NOT check out: {len(outcome.failures)} problem(s)")
        sys.exit(EXIT_INVALID)


def _django_site(settings_module: str, url: str | None) -> tuple[Any, str]:
    """The cookies a Django project's settings make Django and cookiecharter set, and the charter
    file, for the site of that project serving ``url`` (one installation may serve several).

    Read here rather than in the scanner, which stands beside the Django layer and never imports
    it (an import contract): the settings are imported as the project's server would, through
    the Django layer's own reading of them, and no app is loaded, no database touched.
    """
    import importlib
    import os
    from urllib.parse import urlsplit

    def fail(message: str) -> NoReturn:
        click.echo(f"Error: {message}", err=True)
        sys.exit(EXIT_UNREADABLE)

    try:
        import django  # noqa: F401
    except ImportError as exc:
        fail(f"--django-settings needs the 'django' extra: pip install 'cookiecharter[django]' ({exc})")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as manage.py runs, from the project's directory
    try:
        importlib.import_module(settings_module)
    except ImportError as exc:
        fail(f"cannot import the settings module {settings_module!r} ({exc}); run from the project's directory "
             "(where manage.py is), or put it on PYTHONPATH")  # fmt: skip
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if settings.configured:
        if getattr(settings, "SETTINGS_MODULE", None) != settings_module:
            fail(
                f"Django is already configured in this process (with {getattr(settings, 'SETTINGS_MODULE', None) or 'settings.configure()'})"
            )
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    from cookiecharter.conf import read_settings
    from cookiecharter.sites import framework_cookies

    try:
        config = read_settings(getattr(settings, "COOKIECHARTER", None))
    except ImproperlyConfigured as exc:
        fail(f"{settings_module}: {exc}")
    host = (urlsplit(url).hostname or "").lower() if url else ""
    by_host = [s for s in config.sites if any(h == host or (h.startswith(".") and host.endswith(h)) for h in s.hosts)]
    site = by_host[0] if by_host else config.default or (config.sites[0] if len(config.sites) == 1 else None)
    if site is None:
        names = ", ".join(s.name for s in config.sites)
        fail(f"{settings_module} configures several sites ({names}) and none serves {host or 'the URL'}: "
             "scan one of their hosts")  # fmt: skip
    return framework_cookies(site), os.fspath(site.charter)
