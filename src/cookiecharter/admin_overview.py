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

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import compliance
from .models import ComplianceOverview, ObservedCookie

#: The permission the page asks for: whoever may read the ledger may read its summary.
PERMISSION = "cookiecharter.view_consentrecord"

#: Where the last verification's outcome is kept (per signed-in user, in their session).
SESSION_KEY = "cookiecharter.compliance.verification"


@admin.register(ComplianceOverview)
class ComplianceOverviewAdmin(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_active and request.user.has_perm(PERMISSION)

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
            path("", wrap(self.overview_view), name="%s_%s_changelist" % info),
            path("verify/", wrap(self.verify_view), name="%s_%s_verify" % info),
        ]

    def _check(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        now = timezone.now()
        state = compliance.charter_state()
        consent_keys = [p.key for p in state.charter.consent_purposes] if state.charter else []
        verification = compliance.Verification.from_data(request.session.get(SESSION_KEY))
        ledger_state = compliance.ledger_state(now=now)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Compliance overview"),
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "charter_state": state,
            "decisions": compliance.decisions(consent_keys, now=now),
            "ledger_state": ledger_state,
            "verification": verification,
            "observed": compliance.top_observed(),
            "observed_url": self._observed_url(),
            "checks": compliance.checklist(state, verification, now=now),
            "verify_url": reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_verify"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/cookiecharter/overview.html", context)

    def verify_view(self, request: HttpRequest) -> HttpResponse:
        """POST (CSRF-checked by the admin): run the verifier, keep its outcome, back to the page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"], _("Verification is started with the button (POST)."))
        self._check(request)
        result = compliance.verify_ledger()
        # The outcome is shown by the page itself, from the session: no flash message, since
        # Django's default message storage is a cookie ("messages") that a site's charter may
        # not declare, and the enforcement middleware would rightly block it.
        request.session[SESSION_KEY] = result.as_data()
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:cookiecharter_complianceoverview_changelist") + "#proof")

    def _observed_url(self) -> str | None:
        opts = ObservedCookie._meta
        try:
            return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:  # a custom AdminSite that does not register the observed cookies
            return None

