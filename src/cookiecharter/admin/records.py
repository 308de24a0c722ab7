"""The back office: read-only views of what the site recorded.

Nothing here can be edited or added by hand: the rows are evidence (the ledger) or observations
(the enforcement), and a hand edit would make them lie.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..models import CharterVersion, ConsentRecord, LedgerExport, LedgerSeal, ObservedCookie


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ObservedCookie)
class ObservedCookieAdmin(ReadOnlyAdmin):
    """Cookies the middleware blocked, reported or capped: what the charter may be missing."""

    list_display = ("name", "site", "reason", "count", "first_seen", "last_seen", "example_path")
    list_filter = ("site", "reason")
    search_fields = ("name", "example_path")
    ordering = ("-last_seen",)
    date_hierarchy = "last_seen"


# -- the proof ledger -------------------------------------------------------------------------------


class EvidenceAdmin(ReadOnlyAdmin):
    """Evidence is never deleted by hand either: only the prune command removes whole seals."""

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PurposeChoiceFilter(admin.SimpleListFilter):
    """Filter records by the choice made for one purpose ("statistics granted", "embeds refused")."""

    title = _("purpose")
    parameter_name = "purpose"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        keys: list[str] = []
        for data in CharterVersion.objects.values_list("data", flat=True):
            for purpose in (data or {}).get("purposes", []):
                if purpose.get("exemption") is None and purpose.get("key") not in keys:
                    keys.append(purpose["key"])
        out = []
        for key in keys:
            out.append((f"{key}:1", _("%(purpose)s: granted") % {"purpose": key}))
            out.append((f"{key}:0", _("%(purpose)s: refused") % {"purpose": key}))
        return out

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value or ":" not in value:
            return queryset
        key, _sep, flag = value.rpartition(":")
        return queryset.filter(**{f"choices__{key}": flag == "1"})


@admin.register(ConsentRecord)
class ConsentRecordAdmin(EvidenceAdmin):
    list_display = (
        "consent_id",
        "site",
        "created_at",
        "method",
        "language",
        "choices_summary",
        "user_id",
        "charter_version",
    )
    list_filter = ("site", ("created_at", admin.DateFieldListFilter), "method", "language", PurposeChoiceFilter)
    search_fields = ("=consent_id",)
    date_hierarchy = "created_at"
    list_select_related = ("charter_version",)
    ordering = ("-id",)
    show_full_result_count = False  # counting a large ledger on every page is slow

    @admin.display(description=_("choices"))
    def choices_summary(self, obj: ConsentRecord) -> str:
        choices = obj.choices if isinstance(obj.choices, dict) else {}
        return ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in choices.items()) or "-"


@admin.register(CharterVersion)
class CharterVersionAdmin(EvidenceAdmin):
    list_display = ("edition", "consent_version", "short_digest", "first_shown_at")
    search_fields = ("=digest", "=consent_version", "edition")
    readonly_fields = ("edition", "consent_version", "digest", "first_shown_at", "texts", "raw_data")
    fields = readonly_fields

    @admin.display(description=_("digest"))
    def short_digest(self, obj: CharterVersion) -> str:
        return obj.digest[:12]

    @admin.display(description=_("texts shown"))
    def texts(self, obj: CharterVersion) -> str:
        """Every purpose and cookie with its texts, language by language, as the visitor read them."""
        data = obj.data or {}
        blocks = []
        for lang in data.get("languages") or [""]:
            purposes = format_html_join(
                "",
                '<tr><th scope="row">{}<br><small>{}</small></th><td>{}</td></tr>',
                (
                    (p.get("title", {}).get(lang, ""), p.get("key", ""), p.get("description", {}).get(lang, ""))
                    for p in data.get("purposes", [])
                ),
            )
            cookies = format_html_join(
                "",
                '<tr><th scope="row"><code>{}</code><br><small>{} · {}</small></th><td>{}: {}</td></tr>',
                (
                    (
                        c.get("match", ["", ""])[1],
                        c.get("provider", ""),
                        c.get("lifetime", ""),
                        c.get("service", {}).get(lang, ""),
                        c.get("description", {}).get(lang, ""),
                    )
                    for c in data.get("cookies", [])
                ),
            )
            blocks.append(
                format_html(
                    '<table lang="{}"><caption>{}</caption><tbody>{}{}</tbody></table>',
                    lang,
                    lang.upper(),
                    purposes,
                    cookies,
                )
            )
        return format_html_join("", "{}", ((b,) for b in blocks))

    @admin.display(description=_("charter data (JSON)"))
    def raw_data(self, obj: CharterVersion) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))


@admin.register(LedgerSeal)
class LedgerSealAdmin(EvidenceAdmin):
    list_display = ("site", "number", "first_id", "last_id", "count", "created_at", "pruned_at")
    list_filter = ("site",)
    ordering = ("site", "-number")


@admin.register(LedgerExport)
class LedgerExportAdmin(EvidenceAdmin):
    """Who exported what and when: the exports' own trail, as read-only as the ledger."""

    list_display = ("started_at", "site", "format", "username", "os_user", "records", "finished_at", "short_sha256")
    list_filter = ("site", "format")
    search_fields = ("=username", "=sha256")
    ordering = ("-started_at", "-id")
    date_hierarchy = "started_at"
    readonly_fields = (
        "site",
        "format",
        "since",
        "until",
        "purpose",
        "username",
        "user_id",
        "os_user",
        "records",
        "size",
        "sha256",
        "started_at",
        "finished_at",
    )
    fields = readonly_fields

    @admin.display(description=_("SHA-256"))
    def short_sha256(self, obj: LedgerExport) -> str:
        return obj.sha256[:12] if obj.sha256 else "-"
