from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CookieCharterConfig(AppConfig):
    name = "cookiecharter"
    verbose_name = _("Cookie charter")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            ledger,  # noqa: F401  (SQLite WAL + busy timeout; sealing after responses)
            sites,
        )

        sites.connect_signals()
