"""The back office: the audit runs and their findings, read-only.

A run is evidence: its rows hash to the digest sealed in the ledger (``cookiecharter.audits``), so
nothing here can be added, changed or deleted by hand.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from ..models import AuditFinding, AuditRun
from .records import EvidenceAdmin


class AuditFindingInline(admin.TabularInline):
    model = AuditFinding
    fields = ("rule", "severity", "subject", "phase", "page", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditRun)
class AuditRunAdmin(EvidenceAdmin):
    list_display = ("finished_at", "site", "verdict", "errors", "warnings", "infos", "base_url", "record_id")
    list_filter = ("site", "verdict")
    ordering = ("-finished_at", "-id")
    date_hierarchy = "finished_at"
    inlines = [AuditFindingInline]
