"""The package's own gettext catalogues, read with Python's ``gettext`` module (no Django).

The French and English texts of the charter page and of the built-in cookie declarations live in
one place, ``cookiecharter/locale/<ll>/LC_MESSAGES/django.mo``. Django reads those files through its
own translation machinery (so a site can still override a string in its ``LOCALE_PATHS``); code that
runs without Django (``cookiecharter render``, a Flask or Starlette adapter) reads the very same files
through this module, so both paths say the same thing.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from typing import Protocol

#: Where the compiled catalogues live inside the installed package (shipped in the wheel).
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "django"


class Translator(Protocol):
    """What the page builder needs: ``gettext.GNUTranslations`` and ``django.utils.translation`` both fit."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


def to_locale(language: str) -> str:
    """``"pt-br"`` -> ``"pt_BR"``, ``"fr"`` -> ``"fr"`` (the folder names gettext expects)."""
    lang, _, country = language.lower().partition("-")
    if not country:
        return lang
    # Scripts ("sr-latn") keep a capital initial; countries are upper case, as Django does it.
    country = country.title() if len(country) > 2 else country.upper()
    return f"{lang}_{country}"


@lru_cache(maxsize=32)
def translator(language: str) -> gettext.NullTranslations:
    """The catalogue for ``language``; an unknown language gets the English source strings."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[to_locale(language)], fallback=True)


def available_languages() -> tuple[str, ...]:
    """Languages with a compiled catalogue in the package, e.g. ``("en", "fr")``."""
    return tuple(
        sorted(p.parent.parent.name.replace("_", "-").lower() for p in LOCALE_DIR.glob("*/LC_MESSAGES/django.mo"))
    )
