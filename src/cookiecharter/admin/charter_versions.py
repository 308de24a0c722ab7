"""The charter versions of a site, and what changed between any two, in the back office.

Linked from the compliance overview ("Charter in force"), under the same permission
(``view_overview``): ``ComplianceOverviewAdmin`` routes ``versions/`` here. The comparison itself is
``cookiecharter.core.changes`` (no Django); this module picks the versions, translates the field
names and values, and renders.

A site's versions are the ``CharterVersion`` rows its records point at (a version is stored when a
choice is first made on it): one aggregate query grouped by version, on the records' charter
version index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..core.changes import CharterChanges, FieldChange, compare, word_diff
from ..core.charter import Charter
from ..core.lifetime import Lifetime, LifetimeError
from ..models import CharterVersion, ConsentRecord
from ..page.model import human_lifetime
from ..sites import registry

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

#: The charter's fields as the page names them.
FIELD_LABELS = {
    "edition": gettext_lazy("Edition"),
    "languages": gettext_lazy("Languages"),
    "name": gettext_lazy("Name"),
    "contact": gettext_lazy("Contact"),
    "url": gettext_lazy("Web site"),
    "title": gettext_lazy("Title"),
    "needs_consent": gettext_lazy("Needs consent"),
    "exemption": gettext_lazy("Exemption"),
    "refused_by_gpc": gettext_lazy("Refused by Global Privacy Control"),
    "description": gettext_lazy("Description"),
    "consent_mode": gettext_lazy("Google Consent Mode"),
    "adpc": gettext_lazy("ADPC identifier"),
    "adpc_consent": gettext_lazy("Granted by an ADPC consent"),
    "purpose": gettext_lazy("Purpose"),
    "provider": gettext_lazy("Provider"),
    "lifetime": gettext_lazy("Lifetime"),
    "party": gettext_lazy("Party"),
    "domain": gettext_lazy("Domain"),
    "service": gettext_lazy("Service"),
    "reason": gettext_lazy("Why it is exempt"),
    "path": gettext_lazy("Path"),
    "cookie_domain": gettext_lazy("Cookie domain"),
    "policy_url": gettext_lazy("Provider's policy"),
}

PARTY_LABELS = {"first": gettext_lazy("first party"), "third": gettext_lazy("third party")}


@dataclass
class VersionLine:
    version: CharterVersion
    #: None for the charter in force when no choice was made on it yet.
    first_used: datetime | None
    last_used: datetime | None
    records: int
    in_force: bool

    @property
    def short_digest(self) -> str:
        return self.version.digest[:12]

    @property
    def label(self) -> str:
        return f"{self.version.edition or '-'} · {self.version.consent_version} · {self.short_digest}"

    @property
    def key(self) -> str:
        """What the comparison form sends: the full digest."""
        return self.version.digest


def site_versions(site: str, *, using: str | None = None) -> list[VersionLine]:
    """The versions the site's records were made on, most recently first used first; and the
    charter in force on top when no record was made on it yet."""
    alias = using or registry.settings().database
    rows = (
        ConsentRecord.objects.using(alias)
        .filter(site=site)
        .values("charter_version")
        .order_by()
        .annotate(first=Min("created_at"), last=Max("created_at"), records=Count("id"))
    )
    usage = {row["charter_version"]: row for row in rows}
    versions = CharterVersion.objects.using(alias).in_bulk(list(usage))
    try:
        charter: Charter | None = registry.get(site).charter
    except Exception:  # noqa: BLE001 - a site whose charter does not load still has a history
        charter = None
    current = charter.digest if charter is not None else ""
    lines = [
        VersionLine(
            version=versions[pk],
            first_used=row["first"],
            last_used=row["last"],
            records=row["records"],
            in_force=versions[pk].digest == current,
        )
        for pk, row in usage.items()
        if pk in versions
    ]
    lines.sort(key=lambda line: (line.first_used, line.version.pk), reverse=True)
    if charter is not None and not any(line.in_force for line in lines):
        # The charter in force, before anyone chose on it (or on a site without a banner, ever):
        # not stored yet, but what visitors read now, so it can be compared with what they read before.
        shown = CharterVersion(
            digest=charter.digest,
            consent_version=charter.consent_version,
            edition=charter.edition,
            data=charter.as_data(),
        )
        lines.insert(0, VersionLine(version=shown, first_used=None, last_used=None, records=0, in_force=True))
    return lines


# -- showing a comparison -----------------------------------------------------------------------


def _shown(field: str, value: Any) -> str:
    """A stored value as a person reads it, in the active language."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field == "lifetime":
        try:
            return human_lifetime(Lifetime.parse(str(value)), translation)
        except LifetimeError:
            return str(value)
    if field == "party":
        return str(PARTY_LABELS.get(str(value), value))
    return str(value)


def _line(change: FieldChange) -> dict[str, Any]:
    before, after = _shown(change.field, change.before), _shown(change.field, change.after)
    return {
        "field": change.field,
        "label": FIELD_LABELS.get(change.field, change.field),
        "language": change.language,
        # Marked word by word in the reader's language (a lifetime "13 mois" → "25 mois").
        "words": word_diff(before, after),
    }


def _shown_changes(changes: CharterChanges) -> dict[str, Any]:
    lang = translation.get_language() or "en"
    general = [c for c in (changes.edition, changes.languages) if c is not None]
    return {
        "empty": changes.empty,
        "general": [_line(c) for c in (*general, *changes.controller)],
        "purposes": [
            {"kind": item.kind, "key": item.key, "title": item.title(lang), "fields": [_line(f) for f in item.fields]}
            for item in changes.purposes
        ],
        "cookies": [
            {"kind": item.kind, "key": item.key, "title": "", "fields": [_line(f) for f in item.fields]}
            for item in changes.cookies
        ],
    }


# -- the view -----------------------------------------------------------------------------------


def versions_view(model_admin: ModelAdmin, request: HttpRequest, site: str, context: dict[str, Any]) -> HttpResponse:
    """The list, the choice of two versions (``?older=DIGEST&newer=DIGEST``) and what changed.

    Without a choice the two latest versions are compared. A digest that is not one of this site's
    versions answers 404 with the reason, on the same page; only one of the two, 400.
    """
    lines = site_versions(site)
    by_digest = {line.key: line for line in lines}
    older_digest = request.GET.get("older", "").strip()
    newer_digest = request.GET.get("newer", "").strip()
    status = 200
    error = ""
    older = newer = None
    if bool(older_digest) != bool(newer_digest):
        status = 400
        error = _("Pick two versions to compare: one to compare from and one to compare to.")
    elif older_digest:
        unknown = [d for d in (older_digest, newer_digest) if d not in by_digest]
        if unknown:
            status = 404
            error = _("No charter version “%(digest)s” on the site “%(site)s”: pick one from the list.") % {
                "digest": unknown[0][:64],
                "site": site,
            }
        else:
            older, newer = by_digest[older_digest], by_digest[newer_digest]
    elif len(lines) >= 2:
        newer, older = lines[0], lines[1]
    changes = None
    if older is not None and newer is not None:
        changes = _shown_changes(compare(older.version.data, newer.version.data))
    overview = reverse(f"{model_admin.admin_site.name}:cookiecharter_complianceoverview_changelist")
    context = {
        **context,
        "title": _("Charter versions"),
        "versions": lines,
        "older": older,
        "newer": newer,
        "same": older is not None and newer is not None and older.key == newer.key,
        "changes": changes,
        "error": error,
        "status": status,
        "overview_url": overview,
    }
    return TemplateResponse(request, "admin/cookiecharter/charter_versions.html", context, status=status)
