"""Consent that follows a signed-in person across their devices (``FOLLOW_ACCOUNT``, per site).

A choice made while signed in is kept against the account (``AccountChoice``) as well as in the
browser. On each request of a signed-in person, the middleware (``follow``, from ``process_view``,
once ``request.user`` is known) compares the browser's choice with the account's under the rules
of ``core.account``, and when the account's is to apply here it is recorded in the ledger with the
method ``account``, written into the browser's cookie on the way out, and announced by a notice on
the next page drawn with the banner tag. A signed-out visitor costs nothing more than before: the
user is not even looked at unless the site turned the setting on, and an anonymous visitor has no
row to read.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone

from . import ledger
from .core.account import AccountChoice as Stored
from .core.account import Step, reconcile
from .core.consent import Consent, Method, new_consent_id
from .sites import Site

logger = logging.getLogger("cookiecharter.accounts")

#: The session key that holds the notice until a page shows it.
NOTICE_KEY = "cookiecharter_notice"
#: Where the request keeps the choice to write into the browser's cookie on the way out.
NEXT_COOKIE = "cookiecharter_next_cookie"


def user_id(request: HttpRequest) -> str | None:
    """The signed-in person's account id (the primary key as text), or None.

    A request without Django's session cookie, or whose session holds no signed-in user, cannot be
    signed in: it is answered without looking at ``request.user``, which would load the session and
    ask the authentication backends for nothing (a signed-out visitor's page pays no more than a
    dictionary look-up in a session the page has most often loaded anyway).
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    session = getattr(request, "session", None)
    if session is None or auth.SESSION_KEY not in session:
        return None
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return None


def stored(site: Site, account: str) -> Stored | None:
    from .models import AccountChoice

    row = AccountChoice.objects.filter(site=site.name, user_id=account).first()
    if row is None or not isinstance(row.granted, list):
        return None
    return Stored(frozenset(str(k) for k in row.granted), row.decided_at, row.consent_version)


def store(site: Site, account: str, granted: frozenset[str], decided_at: Any) -> None:
    """Keep ``granted`` as the account's choice (one row per person and site)."""
    from .models import AccountChoice

    AccountChoice.objects.update_or_create(
        site=site.name,
        user_id=account,
        defaults={
            "granted": sorted(granted),
            "consent_version": site.charter.consent_version,
            "decided_at": decided_at,
        },
    )


def remember(site: Site, request: HttpRequest, consent: Consent) -> None:
    """After a choice made on the site: keep it against the account too, when the person is
    signed in and the site lets choices follow them. A database that fails here loses nothing the
    browser needs (its cookie holds the choice); the other devices follow once it is made again."""
    account = user_id(request) if site.config.follow_account else None
    if account is None or consent.decided_at is None or not consent.decided:
        return
    try:
        store(site, account, consent.granted, consent.decided_at)
    except DatabaseError:
        logger.warning("cookiecharter: the choice could not be kept against the account", exc_info=True)


def follow(site: Site, request: HttpRequest, language: str) -> Consent | None:
    """Bring the account's choice into this browser when the rules say so; the consent this request
    then goes by (what both the old and the new choice allow), or None when nothing changes."""
    account = user_id(request)
    if account is None:
        return None
    browser: Consent = request.consent
    try:
        found = stored(site, account)
    except DatabaseError:
        # The browser's own choice stands; the account's will be applied on a later request.
        logger.warning("cookiecharter: the account's choice could not be read", exc_info=True)
        return None
    now = timezone.now()
    result = reconcile(
        browser,
        found,
        consent_version=site.charter.consent_version,
        now=now,
        max_age=site.config.consent_cookie.age,
    )
    if result.step is Step.KEEP:
        return None
    decided_at = (result.decided_at or now).replace(microsecond=0)
    if result.browser is not None:
        written = Consent(
            browser.consent_id or new_consent_id(), decided_at, site.charter.consent_version, result.browser
        )
        before = browser.granted if browser.decided else frozenset()
        try:
            ledger.append(
                site,
                consent=written,
                method=Method.ACCOUNT,
                language=language,
                choices=ledger.choices_for(site.charter, result.browser),
                user_id=account,
                created_at=now,
                may_wait=result.browser <= before,
            )
        except ledger.ProofUnavailable:
            # An acceptance that cannot be proved is not applied; the next request tries again.
            logger.warning("cookiecharter: the account's choice was not applied: the ledger cannot record it")
            return None
        setattr(request, NEXT_COOKIE, written)
        session = getattr(request, "session", None)
        if session is not None:
            session[NOTICE_KEY] = {"granted": sorted(result.browser), "step": result.step.value}
    if result.account is not None:
        try:
            store(site, account, result.account, decided_at)
        except DatabaseError:
            logger.warning("cookiecharter: the account's choice could not be updated", exc_info=True)
    base = getattr(request, NEXT_COOKIE, None) or browser
    return site.enforcer.bind(Consent(base.consent_id, base.decided_at, site.charter.consent_version, result.effective))


def take_notice(request: HttpRequest) -> dict[str, Any] | None:
    """The notice waiting for this person, removed from the session as it is shown."""
    session = getattr(request, "session", None)
    if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session to hold one (and none loaded for nothing)
    notice = session.pop(NOTICE_KEY, None)
    return notice if isinstance(notice, dict) else None


def forget(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted account's choices go with it (connected to the user model's ``post_delete``)."""
    from .models import AccountChoice

    AccountChoice.objects.filter(user_id=str(instance.pk)).delete()
