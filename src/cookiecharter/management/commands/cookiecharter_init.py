"""Write a starting charter for this project, from its settings.

    python manage.py cookiecharter_init --controller "Ville de Sainte-Victoire" --contact dpo@example.org

Declares the cookies Django itself sets for this project (session, CSRF, language) and the consent
cookie, each named and timed as the settings say, with texts in each of the project's languages
(French and English are shipped; other languages get the English texts to translate), under one
strictly necessary purpose. The file validates as written; add the site's own cookies to it (the
middleware's "raise" error under DEBUG, and ``cookiecharter scan --suggest``, draft their entries).
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

    def handle(self, *args: Any, **options: Any) -> None:
        site = _default_site()
        output = Path(options["output"] or site.charter)
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} exists: keep it, or run again with --force to start it over")
        languages = _languages()
        empty = Charter(Controller(options["controller"], options["contact"], options["url"]), languages, (), ())
        charter = declare_framework_cookies(empty, framework_cookies(site), django_translate)
        text = charter_toml(
            Charter(
                charter.controller, languages, charter.purposes, charter.cookies, edition=f"{timezone.now():%Y-%m}"
            ),
            heading=(
                f"The cookie charter of this site, written by cookiecharter_init on {timezone.now():%Y-%m-%d}\n"
                "from the project's settings: Django's own cookies, named and timed as the settings say.\n"
                "Add every other cookie the site sets (docs/charter-format.md); check: cookiecharter validate."
            ),
        )
        try:
            loads_charter(text, str(output))  # what is written must load as written
        except CharterError as exc:
            raise CommandError(f"the charter drafted from these options does not validate:\n{exc}") from None
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(f"wrote {output}: {len(charter.cookies)} cookies in {', '.join(languages)}")
        )


def _default_site() -> SiteSettings:
    config = registry.settings()
    return config.default or config.sites[0]


def _languages() -> tuple[str, ...]:
    """The project's languages: LANGUAGES as set, or LANGUAGE_CODE alone while LANGUAGES is still
    Django's default list of nearly a hundred."""
    if not settings.USE_I18N or settings.LANGUAGES == global_settings.LANGUAGES:
        return (settings.LANGUAGE_CODE.split("-")[0].lower(),)
    return tuple(dict.fromkeys(code.split("-")[0].lower() for code, _name in settings.LANGUAGES))
