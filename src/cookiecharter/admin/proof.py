"""The back office's "Proof for one visitor": from a consent id, the visitor's records on a page, and
the bundle an inspector can check on their own (``core.bundle``) as JSON and as PDF.

Wired into the compliance overview's URLs (``ComplianceOverviewAdmin.get_urls``), which checks the
overview's permission and ``export_ledger`` before any of these runs: the bundle holds a visitor's
personal data. Nothing
is cached on the way: the responses say ``no-store``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .. import visitor_proof
from ..models import METHOD_CHOICES

if TYPE_CHECKING:
    from .overview import ComplianceOverviewAdmin

METHODS = dict(METHOD_CHOICES)


def _url(admin: ComplianceOverviewAdmin, name: str, site: str, consent_id: str) -> str:
    base = reverse(f"{admin.admin_site.name}:cookiecharter_complianceoverview_{name}")
    return f"{base}?{urlencode({'site': site, 'consent_id': consent_id})}"


def _page(
    admin: ComplianceOverviewAdmin,
    request: HttpRequest,
    site: str,
    consent_id: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The proof page: the form, and the visitor's records or why there are none."""
    records: list[dict[str, Any]] = []
    if consent_id and status not in (400, 404):
        try:
            rows = visitor_proof.records_of(site, consent_id)
        except visitor_proof.MalformedConsentId:
            error, status = _malformed(), 400
        except visitor_proof.UnknownConsentId:
            error, status = _unknown(site), 404
        else:
            sealed = visitor_proof.seals_of(site, rows)
            records = [
                {
                    "id": row.id,
                    "created_at": row.created_at,
                    "method": METHODS.get(row.method, row.method),
                    "language": row.language,
                    "choices": sorted(row.choices.items()) if isinstance(row.choices, dict) else [],
                    "charter": row.charter_version,
                    "seal": sealed.get(row.id),
                }
                for row in rows
            ]
    context = {
        **admin.admin_site.each_context(request),
        "title": _("Proof for one visitor"),
        "subtitle": None,
        "opts": admin.opts,
        "app_label": admin.opts.app_label,
        "site_name": site,
        "consent_id": consent_id,
        "error": error,
        "records": records,
        "overview_url": reverse(f"{admin.admin_site.name}:cookiecharter_complianceoverview_changelist"),
        "proof_url": reverse(f"{admin.admin_site.name}:cookiecharter_complianceoverview_proof"),
        "json_url": _url(admin, "proof_json", site, consent_id) if records else "",
        "pdf_url": _url(admin, "proof_pdf", site, consent_id) if records else "",
    }
    request.current_app = admin.admin_site.name
    response = TemplateResponse(request, "admin/cookiecharter/proof.html", context, status=status)
    add_never_cache_headers(response)
    return response


def _malformed() -> str:
    return _("This is not a consent id: it has 16 letters, digits, “-” or “_”, as on the charter page.")


def _unknown(site: str) -> str:
    return _("No record has this consent id on the site “%(site)s”.") % {"site": site}


def proof_view(admin: ComplianceOverviewAdmin, request: HttpRequest) -> HttpResponse:
    return _page(admin, request, admin._site(request), request.GET.get("consent_id", "").strip())


def _bundle(admin: ComplianceOverviewAdmin, request: HttpRequest) -> tuple[dict[str, Any] | None, HttpResponse | None]:
    site = admin._site(request)
    consent_id = request.GET.get("consent_id", "").strip()
    try:
        return visitor_proof.build(site, consent_id), None
    except visitor_proof.MalformedConsentId:
        return None, _page(admin, request, site, consent_id, error=_malformed(), status=400)
    except visitor_proof.UnknownConsentId:
        return None, _page(admin, request, site, consent_id, error=_unknown(site), status=404)


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


def proof_json_view(admin: ComplianceOverviewAdmin, request: HttpRequest) -> HttpResponse:
    bundle, refusal = _bundle(admin, request)
    if bundle is None:
        assert refusal is not None
        return refusal
    body = json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    return _attachment(body, "application/json; charset=utf-8", f"proof-{bundle['consent_id']}.json")


def proof_pdf_view(admin: ComplianceOverviewAdmin, request: HttpRequest) -> HttpResponse:
    try:
        from ..page.proof_pdf import render_proof_pdf  # reportlab is the "pdf" extra
    except ImportError:
        message = _(
            "The PDF needs reportlab: install the “pdf” extra (pip install 'cookiecharter[pdf]'). The JSON works without it."
        )
        site = admin._site(request)
        return _page(admin, request, site, request.GET.get("consent_id", "").strip(), error=message, status=501)
    bundle, refusal = _bundle(admin, request)
    if bundle is None:
        assert refusal is not None
        return refusal
    body = render_proof_pdf(bundle, translation.get_language() or "en", translation, METHODS)
    return _attachment(body, "application/pdf", f"proof-{bundle['consent_id']}.pdf")
