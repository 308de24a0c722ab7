"""A Django site's own view of its cookies, read from its settings module (``--django-settings``).

The scan imports Django only here, and only when asked: it reads the settings the way the site's
server does (``DJANGO_SETTINGS_MODULE``), then asks cookiecharter's Django layer which cookies
those settings make Django and cookiecharter set (names, lifetimes) and where the charter file
is. No app is loaded and no database is touched: settings are plain module attributes.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass

from ..core.framework_cookies import FrameworkCookies


class DjangoSiteError(RuntimeError):
    """The settings module cannot be used: the message says why and what to do."""


@dataclass(frozen=True)
class DjangoSite:
    framework: FrameworkCookies
    charter_path: str | None


def read_site(settings_module: str) -> DjangoSite:
    """The framework cookies and charter path of the Django project whose settings are
    ``settings_module`` (importable from the current directory, as ``manage.py`` runs)."""
    try:
        import django  # noqa: F401
    except ImportError as exc:
        raise DjangoSiteError(f"--django-settings needs the 'django' extra: pip install 'cookiecharter[django]' ({exc})") from None
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        importlib.import_module(settings_module)
    except ImportError as exc:
        raise DjangoSiteError(
            f"cannot import the settings module {settings_module!r} ({exc}); run from the project's directory "
            "(where manage.py is), or put it on PYTHONPATH"
        ) from None
    from django.conf import settings

    if settings.configured:
        current = getattr(settings, "SETTINGS_MODULE", None)
        if current != settings_module:
            raise DjangoSiteError(f"Django is already configured in this process (with {current or 'settings.configure()'})")
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    from ..charter import framework_cookies
    from ..conf import config

    path = config()["CHARTER"]
    return DjangoSite(framework=framework_cookies(), charter_path=os.fspath(path) if path else None)
