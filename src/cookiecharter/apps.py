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
        from django.apps import apps

        if apps.is_installed("django.contrib.auth"):
            from django.conf import settings
            from django.db.models.signals import post_delete

            from .accounts import forget

            # A deleted account's choices go with it (the ledger keeps its records: they are proof).
            post_delete.connect(forget, sender=settings.AUTH_USER_MODEL, dispatch_uid="cookiecharter.accounts.forget")
