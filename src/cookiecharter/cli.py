"""The ``cookiecharter`` command: one function per subcommand under the ``main`` group.

This module imports only the core at import time, so ``cookiecharter validate`` works without
Django; a subcommand that needs more (rendering, scanning) imports it inside its own function.
"""

from __future__ import annotations

import sys

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
def validate(charters: tuple[str, ...]) -> None:
    """Check charter files; list every problem as FILE:LINE: FIELD: MESSAGE.

    Exit status 0 when every file is valid, 1 when any has problems, 2 when one cannot be read.
    """
    invalid = 0
    for path in charters:
        try:
            charter = load_charter(path)
        except OSError as exc:  # vanished or unreadable between click's check and the read
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_UNREADABLE)
        except CharterError as exc:
            invalid += 1
            count = len(exc.problems)
            # On stdout, like a linter's findings: they are the answer, meant for grep and editors.
            click.echo(str(exc))
            click.echo(f"{path}: invalid: {count} problem{'s' if count != 1 else ''}")
            continue
        click.echo(_summary(path, charter))
    if invalid:
        sys.exit(EXIT_INVALID)


@main.command()
@click.argument("charter_file", metavar="CHARTER", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--lang", default=None, help="Page language (default: the charter's first language).")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "pdf"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None, help="File to write (default: standard output).")
@click.option("--django-cookies", is_flag=True, help="Also declare Django's own cookies with Django's default names and lifetimes.")
@click.option("--stylesheet", default=None, metavar="URL", help="HTML only: link this stylesheet instead of embedding the CSS.")
@click.option("--pdf-href", default=None, metavar="URL", help="HTML and Markdown: where the PDF version is, to link to it.")
def render(charter_file: str, lang: str | None, fmt: str, output: str | None, django_cookies: bool, stylesheet: str | None, pdf_href: str | None) -> None:
    """Write the charter page (HTML, Markdown or PDF) without a Django project.

    Markdown and PDF do not import Django; HTML renders the Django app's own template in-process.
    """
    from cookiecharter import standalone  # rendering stays out of `validate`'s import path

    try:
        charter = standalone.prepare(load_charter(charter_file), django_cookies=django_cookies)
    except OSError as exc:
        click.echo(f"Error: cannot read {charter_file}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    except CharterError as exc:
        click.echo(str(exc), err=True)
        click.echo(f"{charter_file}: invalid: fix it first (cookiecharter validate {charter_file})", err=True)
        sys.exit(EXIT_INVALID)
    try:
        body = standalone.render(charter, lang or charter.languages[0], fmt, stylesheet=stylesheet, pdf_href=pdf_href)  # type: ignore[arg-type]
    except ImportError as exc:
        extra = {"pdf": "pdf", "html": "django"}.get(fmt, "")
        raise click.ClickException(f"--format {fmt} needs the {extra!r} extra: pip install 'cookiecharter[{extra}]' ({exc})") from exc
    if output:
        with open(output, "wb") as fh:
            fh.write(body)
        click.echo(f"wrote {output} ({len(body)} bytes, {fmt}, {lang or charter.languages[0]})", err=True)
    elif fmt == "pdf" and sys.stdout.isatty():
        raise click.UsageError("refusing to write a PDF to a terminal: use -o FILE or redirect")
    else:
        click.echo(body, nl=False)  # bytes go to the binary stream untouched
