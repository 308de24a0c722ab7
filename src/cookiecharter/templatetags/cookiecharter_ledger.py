"""``{% load cookiecharter_ledger %}{% cookiecharter_visitor_consent %}``: the visitor's own consent id
and the ledger record of their latest decision, on the charter page.

The id comes from the verified signed cookie only, so a visitor sees their own record and nobody
else's; they can cite the id in a request to the controller (access, withdrawal, complaint).
"""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.db import DatabaseError
from django.utils.translation import gettext

from ..models import ConsentRecord
from ..sites import site_for

register = template.Library()
logger = logging.getLogger("cookiecharter.ledger")


def _method_label(method: str) -> str:
    labels = {
        "accept-all": gettext("you accepted everything"),
        "refuse-all": gettext("you refused everything"),
        "custom": gettext("you chose purpose by purpose"),
        "withdraw": gettext("you withdrew a consent"),
        "browser-signal": gettext("your browser's Global Privacy Control signal"),
        "adpc": gettext("your browser's ADPC signal"),
        "account": gettext("your choice made while signed in on another device"),
    }
    return labels.get(method, method)


@register.inclusion_tag("cookiecharter/visitor_consent.html", takes_context=True)
def cookiecharter_visitor_consent(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    consent = getattr(request, "consent", None)
    if request is None or consent is None:
        return {"consent": None}
    request.cookiecharter_varies = True  # the section differs with the visitor's choice
    if consent.consent_id is None:
        return {"consent": None}
    site = site_for(request)
    try:
        record = (
            ConsentRecord.objects.filter(site=site.name, consent_id=consent.consent_id)
            .select_related("charter_version")
            .order_by("-id")
            .first()
        )
    except DatabaseError:
        # The page must not fail because the ledger cannot be read: the visitor still gets their id.
        logger.warning("cookiecharter: the ledger could not be read for the charter page", exc_info=True)
        return {"consent": consent, "record": None, "unavailable": True, "controller": site.charter.controller}
    charter = site.charter
    lang = (getattr(request, "LANGUAGE_CODE", None) or "").split("-")[0]
    choices = []
    if record is not None and isinstance(record.choices, dict):
        for key, granted in record.choices.items():
            title = charter.purpose(key).text("title", lang) if charter.has_purpose(key) else key
            choices.append({"key": key, "title": title, "granted": bool(granted)})
    return {
        "consent": consent,
        "record": record,
        "method": _method_label(record.method) if record else "",
        "choices": choices,
        "controller": charter.controller,
    }
