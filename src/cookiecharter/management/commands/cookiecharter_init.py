"""Write a starting charter for this project, from its settings.

    python manage.py cookiecharter_init --controller "Ville de Sainte-Victoire" --contact dpo@example.org

Declares the cookies Django itself sets for this project (session, CSRF, language) and the consent
cookie, each named and timed as the settings say, with texts in each of the project's languages
(French and English are shipped; other languages get the English texts to translate), under one
strictly necessary purpose. The file validates as written; add the site's own cookies to it (the
middleware's "raise" error under DEBUG, and ``cookiecharter scan --suggest``, draft their entries).

With ``--scan URL`` (the ``scan`` extra), the running site is also audited in Chromium against the
charter being drafted, and every cookie it sets that the draft does not declare gets an entry, as
``cookiecharter scan --suggest`` drafts it: a purpose, texts in each language, ``# TODO`` where a
person must check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import global_settings, settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ...conf import SiteSettings
from ...core.charter import Charter, Controller
from ...core.draft import charter_toml
from ...core.framework_cookies import declare_framework_cookies
from ...core.loading import CharterError, loads_charter
from ...sites import django_translate, framework_cookies, registry


class Command(BaseCommand):
    help = "Write a starting charter for this project from its settings (Django's own cookies, its languages)."
    # The checks would stop it for the very thing it is there to fix: no charter file yet.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--controller", required=True, help="Who sets the cookies and answers for them.")
        parser.add_argument("--contact", required=True, help="Where to write about them: an e-mail address or a URL.")
        parser.add_argument("--url", default="", help="The controller's web site (optional).")
        parser.add_argument("--output", default=None, help='The file to write (default: COOKIECHARTER["CHARTER"]).')
        parser.add_argument("--force", action="store_true", help="Overwrite the file if it exists.")
        parser.add_argument(
            "--scan",
            action="append",
            default=[],
            metavar="URL",
            help="Also audit the running site at URL in Chromium and declare every cookie it sets that the draft "
            "does not (repeatable; needs the 'scan' extra).",
        )
        parser.add_argument(
            "--scan-pages", type=int, default=5, metavar="N", help="Pages to audit on each site scanned (default: 5)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site = _default_site()
        output = Path(options["output"] or site.charter)
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} exists: keep it, or run again with --force to start it over")
        urls: list[str] = options["scan"]
        if urls:
            _can_scan(urls, options["scan_pages"])
        languages = _languages()
        empty = Charter(Controller(options["controller"], options["contact"], options["url"]), languages, (), ())
        charter = declare_framework_cookies(empty, framework_cookies(site), django_translate)
        scan_line = f"Then the cookies a scan of {', '.join(urls)} found that Django's do not account for.\n"
        text = charter_toml(
            Charter(
                charter.controller, languages, charter.purposes, charter.cookies, edition=f"{timezone.now():%Y-%m}"
            ),
            heading=(
                f"The cookie charter of this site, written by cookiecharter_init on {timezone.now():%Y-%m-%d}\n"
                "from the project's settings: Django's own cookies, named and timed as the settings say.\n"
                + (scan_line if urls else "")
                + "Add every other cookie the site sets (docs/charter-format.md); check: cookiecharter validate."
            ),
        )
        try:
            drafted = loads_charter(text, str(output))  # what is written must load as written
        except CharterError as exc:
            raise CommandError(f"the charter drafted from these options does not validate:\n{exc}") from None
        written, found = drafted, ""
        if urls:
            text, written = self._scanned(text, drafted, urls, options["scan_pages"], str(output))
            found = f" ({len(written.cookies) - len(drafted.cookies)} found by the scan)"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(f"wrote {output}: {len(written.cookies)} cookies{found} in {', '.join(languages)}")
        )

    def _scanned(self, text: str, charter: Charter, urls: list[str], pages: int, path: str) -> tuple[str, Charter]:
        """``text`` with an entry for each cookie the scans find that ``charter`` (what ``text``
        loads into) does not declare, and the charter it then loads into. Each site is audited
        against the charter as it stands, so a cookie two sites set is declared once."""
        from ...scan.command import ScanFailed, ScanRequest, scan_site
        from ...scan.knowledge import default_knowledge_base
        from ...scan.suggest import suggest

        kb = default_knowledge_base()
        for url in urls:
            self.stderr.write(
                f"scanning {url} in Chromium ({pages} page{'s' if pages > 1 else ''} at most, four phases)..."
            )
            try:
                report = scan_site(ScanRequest(url=url, pages=pages), charter, path, kb, errors=None)
            except ScanFailed as exc:
                raise CommandError(f"cannot scan {url}, so nothing was written: {exc}") from None
            text += "\n" + suggest(
                report,
                charter,
                kb,
                heading=(
                    f"Found by a scan of {report.url} (knowledge base {report.knowledge_base_version}): the cookies\n"
                    "the site set that the entries above do not declare. Check each entry, the TODO lines first."
                ),
            )
            try:
                charter = loads_charter(text, path)
            except CharterError as exc:
                raise CommandError(f"the entries drafted from the scan of {url} do not validate:\n{exc}") from None
        return text, charter


def _can_scan(urls: list[str], pages: int) -> None:
    """Before anything is drafted: the scanner is installed and each URL is one it can audit."""
    from ...scan.command import ExtraMissing, ScanFailed, check_url, require_extra

    try:
        require_extra()
    except ExtraMissing as exc:
        raise CommandError(f"--scan: {exc}") from None
    if pages < 1:
        raise CommandError("--scan-pages must be at least 1")
    for url in urls:
        try:
            check_url(url)
        except ScanFailed as exc:
            raise CommandError(f"--scan: {exc}") from None


def _default_site() -> SiteSettings:
    config = registry.settings()
    return config.default or config.sites[0]


def _languages() -> tuple[str, ...]:
    """The project's languages: LANGUAGES as set, or LANGUAGE_CODE alone while LANGUAGES is still
    Django's default list of nearly a hundred."""
    if not settings.USE_I18N or settings.LANGUAGES == global_settings.LANGUAGES:
        return (settings.LANGUAGE_CODE.split("-")[0].lower(),)
    return tuple(dict.fromkeys(code.split("-")[0].lower() for code, _name in settings.LANGUAGES))
