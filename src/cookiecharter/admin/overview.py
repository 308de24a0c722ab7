"""The compliance overview in the Django admin: one page that says whether the site is compliant
today and whether it can prove it.

Wiring: a ``ModelAdmin`` on the ``ComplianceOverview`` proxy model (no table). That is the least
invasive way onto the admin index: every ``AdminSite`` lists registered models under their app, so
the page shows up under "Cookie charter" on ``admin.site`` and on a site's own ``AdminSite`` (which
registers this class like any other), with the site's login, its URL namespace and its theme. No
``AdminSite`` subclass, no override of ``admin/index.html``, no URL for the project to add.

The figures come from ``cookiecharter.compliance``; this module only checks permissions and renders.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.request import split_domain_port
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _

from .. import audits, compliance, daily, export
from ..conf import SiteSettings
from ..core.export import FORMATS
from ..models import AuditRun, ComplianceOverview, LedgerExport, ObservedCookie
from ..sites import registry
from . import charter_versions, charts, proof

#: The permissions of the back office (declared on the ``ComplianceOverview`` proxy model).
VIEW = "cookiecharter.view_overview"
VERIFY = "cookiecharter.verify_ledger"
EXPORT = "cookiecharter.export_ledger"
AUDIT = "cookiecharter.run_audit"

#: How the export formats are named on the page.
FORMAT_LABELS = {"csv": "CSV", "jsonl": "JSON Lines", "iso27560": "ISO/IEC TS 27560 (JSON Lines)"}

#: Where the last verification's outcome is kept (per signed-in user, in their session), per site.
SESSION_KEY = "cookiecharter.compliance.verification.{site}"


@admin.register(ComplianceOverview)
class ComplianceOverviewAdmin(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.has_perm(VIEW)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        # The changelist's name is the one the admin index links to.
        return [
            path("", wrap(self.overview_view), name="{}_{}_changelist".format(*info)),
            path("verify/", wrap(self.verify_view), name="{}_{}_verify".format(*info)),
            path("versions/", wrap(self.versions_view), name="{}_{}_versions".format(*info)),
            # Proof for one visitor (admin/proof.py): the page, then the bundle as JSON and as PDF.
            path("proof/", wrap(partial(self.proof_view, proof.proof_view)), name="{}_{}_proof".format(*info)),
            path(
                "proof/json/",
                wrap(partial(self.proof_view, proof.proof_json_view)),
                name="{}_{}_proof_json".format(*info),
            ),
            path(
                "proof/pdf/", wrap(partial(self.proof_view, proof.proof_pdf_view)), name="{}_{}_proof_pdf".format(*info)
            ),
            path("export/", wrap(self.export_view), name="{}_{}_export".format(*info)),
            path("audit/", wrap(self.audit_view), name="{}_{}_audit".format(*info)),
        ]

    def _check(self, request: HttpRequest, permission: str = VIEW) -> None:
        """The page's own permission, and the one the action asks for (each needs both)."""
        if not (self.has_view_permission(request) and request.user.has_perm(permission)):
            raise PermissionDenied

    def _site(self, request: HttpRequest) -> str:
        """The site the page is about: ``?site=NAME``, else the site the back office is served on."""
        names = registry.names()
        asked = request.GET.get("site") or request.POST.get("site")
        if asked in names:
            return str(asked)
        own = getattr(request, "cookiecharter_site", None)
        return own.name if own is not None and own.name in names else names[0]

    def _origin(self, request: HttpRequest, site: SiteSettings) -> str:
        """Where the site's public pages are, seen from this request: nothing when on this very host
        (or the site is the default one, which answers every host), else its first host name, with
        the request's scheme and port."""
        own = getattr(request, "cookiecharter_site", None)
        if (own is not None and own.name == site.name) or not site.hosts:
            return ""
        host = site.hosts[0].lstrip(".")
        _domain, port = split_domain_port(request.get_host())
        return f"{request.scheme}://{host}{':' + port if port else ''}"

    def _switcher(self, request: HttpRequest, current: str) -> list[dict[str, Any]]:
        """Every configured site, labelled by its controller's name, for the site switcher."""
        out = []
        for name in registry.names():
            try:
                label = registry.get(name).label
            except Exception:  # noqa: BLE001 - a site whose charter does not load is still listed
                label = name
            out.append({"name": name, "label": label, "current": name == current})
        return out

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        now = timezone.now()
        site = self._site(request)
        settings = registry.settings().site(site)
        state = compliance.charter_state(site, self._origin(request, settings))
        consent_keys = [p.key for p in state.charter.consent_purposes] if state.charter else []
        verification = compliance.Verification.from_data(request.session.get(SESSION_KEY.format(site=site)))
        chosen = charts.chart_range(request.GET, daily.local_day(now))
        trend = compliance.choice_trend(site, consent_keys, chosen.first, chosen.last, now=now)
        titles = {p.key: p.title for p in state.purposes}
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Compliance overview"),
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "site_name": site,
            "sites": self._switcher(request, site),
            "charter_state": state,
            "choices": compliance.choice_counts(site, consent_keys, now=now),
            "charts": charts.charts(chosen, trend, titles),
            "ledger_state": compliance.ledger_state(site, now=now),
            "verification": verification,
            "observed": compliance.top_observed(site),
            "observed_url": self._list_url(ObservedCookie),
            "checks": compliance.checklist(state, settings, verification, now=now),
            "verify_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_verify"),
            "can_verify": request.user.has_perm(VERIFY),
            "versions_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_versions"),
            "proof_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_proof"),
            "can_export": request.user.has_perm(EXPORT),
            "export_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_export"),
            "export_formats": [(key, FORMAT_LABELS[key]) for key in FORMATS],
            "export_purposes": consent_keys,
            "exports": export.recent(site),
            "exports_url": (
                self._list_url(LedgerExport) if request.user.has_perm("cookiecharter.view_ledgerexport") else None
            ),
            "audits": audits.summary(site),
            "audit_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_audit"),
            "can_audit": request.user.has_perm(AUDIT),
            "audits_url": self._list_url(AuditRun),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookiecharter/overview.html", context)

    def versions_view(self, request: HttpRequest) -> HttpResponse:
        """The site's charter versions and what changed between two (``admin/charter_versions.py``)."""
        self._check(request)
        site = self._site(request)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "site_name": site,
            "sites": self._switcher(request, site),
        }
        request.current_app = self.admin_site.name
        return charter_versions.versions_view(self, request, site, context)

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        """POST (CSRF-checked by the admin): run the verifier on one site, keep its outcome, back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"], _("Verification is started with the button (POST)."))
        self._check(request, VERIFY)
        site = self._site(request)
        result = compliance.verify_ledger(site)
        # The outcome is shown by the page itself, from the session: no flash message, since
        # Django's default message storage is a cookie ("messages") that a site's charter may
        # not declare, and the enforcement middleware would rightly block it.
        request.session[SESSION_KEY.format(site=site)] = result.as_data()
        page = reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_changelist")
        return HttpResponseRedirect(f"{page}?{urlencode({'site': site})}#proof")

    def proof_view(
        self, view: Callable[[ComplianceOverviewAdmin, HttpRequest], HttpResponse], request: HttpRequest
    ) -> HttpResponse:
        """The proof for one visitor (``admin/proof.py``): the overview's permission and the export's,
        since the bundle holds a visitor's personal data."""
        self._check(request, EXPORT)
        return view(self, request)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """POST (CSRF-checked by the admin): stream the chosen part of the ledger as a download.

        A POST, not a GET, because each export writes its own record: a link or an image on
        another site must not be able to make a signed-in officer "export" anything."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"], _("An export is started with the form (POST)."))
        self._check(request, EXPORT)
        try:
            query = export.make_query(
                site=request.POST.get("site"),
                format=request.POST.get("format"),
                since=request.POST.get("since"),
                until=request.POST.get("until"),
                purpose=request.POST.get("purpose"),
            )
        except export.ExportError as exc:
            return HttpResponseBadRequest(
                _("The export was not started: %(reason)s.") % {"reason": exc},
                content_type="text/plain; charset=utf-8",
            )
        run = export.ExportRun(query, username=request.user.get_username(), user_id=str(request.user.pk))
        response = StreamingHttpResponse(iter(run), content_type=query.content_type)
        response["Content-Disposition"] = content_disposition_header(True, query.filename)
        # The ledger is evidence: no copy in a shared cache or proxy.
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def audit_view(self, request: HttpRequest) -> HttpResponse:
        """What "Run an audit" does: show the command that runs one, for this site, and how to
        schedule it. Not a run from the request: an audit drives a Chromium through every page
        in four phases for a minute or more, past a web server's timeout, and a web worker that
        starts browsers on demand is a door to exhausting the server."""
        self._check(request, AUDIT)
        site = self._site(request)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Run an audit"),
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "site_name": site,
            "command": f"python manage.py cookiecharter_audit --site {site}",
            "overview_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookiecharter/audit_run.html", context)

    def _list_url(self, model: type[Model]) -> str | None:
        """The admin list of ``model`` on this admin site, or None when the site does not register it."""
        try:
            return reverse(f"{self.admin_site.name}:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            return None
