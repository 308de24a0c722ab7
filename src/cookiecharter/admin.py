"""The back office: read-only views of what the site recorded.

Nothing here can be edited or added by hand: the rows are evidence (the ledger) or observations
(the enforcement), and a hand edit would make them lie.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ObservedCookie


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ObservedCookie)
class ObservedCookieAdmin(ReadOnlyAdmin):
    """Cookies the middleware blocked, reported or capped: what the charter may be missing."""

    list_display = ("name", "reason", "count", "first_seen", "last_seen", "example_path")
    list_filter = ("reason",)
    search_fields = ("name", "example_path")
    ordering = ("-last_seen",)
    date_hierarchy = "last_seen"
