"""A signed-in person's choice across their devices: which choice applies, the browser's or the
account's. Pure rules, no storage; the Django layer stores the account's choice and asks here.

The rules, in the order they are applied (docs/accounts.md says them to a site's users):

1. **Only a current choice counts.** A choice for an older consent version of the charter, or
   older than the consent cookie's lifetime, is no choice: a new charter asks again on every
   device, as it does in one browser.
2. **No choice on the account: the browser keeps its own.** A choice made while signed out stays
   in its browser; only a choice made while signed in (whose first layer said it would apply to
   every device) reaches the account.
3. **No choice in the browser: the account's applies**, with a notice.
4. **The later choice wins**, acceptance, refusal and withdrawal alike: the account's when it is
   the later (applied here, with a notice), the browser's own otherwise (a refusal made before
   signing in is not overridden by an older acceptance on the account).
5. **Doubt protects.** Two different choices made within ``SAME_TIME_SECONDS`` of each other
   cannot be ordered: they carry the clocks of the servers that recorded them, to the second, and
   two servers' clocks may disagree by that much. Each purpose is then granted only if both
   choices grant it, on this device and on the account.
6. **The switch itself protects.** On the request that brings the account's choice into a browser,
   a purpose is granted only if both the old and the new choice grant it; the new choice holds from
   the next request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from .consent import Consent

#: Two choices closer than this cannot be told apart in time: the choices keep whole seconds, and
#: the clocks of servers kept by NTP agree to far less than a second.
SAME_TIME_SECONDS = 2


@dataclass(frozen=True)
class AccountChoice:
    """The choice stored against a person's account."""

    granted: frozenset[str]
    decided_at: datetime
    consent_version: str


class Step(str, enum.Enum):
    #: The browser's own choice stands; nothing to write.
    KEEP = "keep"
    #: The account's choice is brought into this browser (rules 3 and 4).
    APPLY = "apply"
    #: Two choices that cannot be ordered: what both grant, here and on the account (rule 5).
    PROTECT = "protect"


@dataclass(frozen=True)
class Reconciled:
    step: Step
    #: What this request may use.
    effective: frozenset[str]
    #: What the browser's cookie holds from now on (``None``: leave it as it is).
    browser: frozenset[str] | None = None
    #: What the account holds from now on (``None``: leave it as it is).
    account: frozenset[str] | None = None
    #: The time the choice written to the browser (and the account) carries.
    decided_at: datetime | None = None


def current(
    account: AccountChoice | None, *, consent_version: str, now: datetime, max_age: int
) -> AccountChoice | None:
    """``account`` when it still counts under rule 1, else None."""
    if account is None or account.consent_version != consent_version:
        return None
    if now - account.decided_at > timedelta(seconds=max_age):
        return None
    return account


def reconcile(
    browser: Consent,
    account: AccountChoice | None,
    *,
    consent_version: str,
    now: datetime,
    max_age: int,
    skew: float = SAME_TIME_SECONDS,
) -> Reconciled:
    """Which choice applies for a signed-in person, given their browser's (``browser``, already
    verified: undecided when absent, forged or for another version) and their account's."""
    account = current(account, consent_version=consent_version, now=now, max_age=max_age)
    own = browser.granted
    if account is None:
        return Reconciled(Step.KEEP, own)
    if not browser.decided:
        # Undecided, or only what the browser's signals settled: the account's choice, and for
        # this request only what both allow.
        return Reconciled(Step.APPLY, own & account.granted, account.granted, None, account.decided_at)
    if own == account.granted or browser.decided_at is None:
        return Reconciled(Step.KEEP, own)
    apart = abs((account.decided_at - browser.decided_at).total_seconds())
    if apart <= skew:
        both = own & account.granted
        return Reconciled(
            Step.PROTECT,
            both,
            both if both != own else None,
            both if both != account.granted else None,
            max(account.decided_at, browser.decided_at),
        )
    if account.decided_at > browser.decided_at:
        return Reconciled(Step.APPLY, own & account.granted, account.granted, None, account.decided_at)
    return Reconciled(Step.KEEP, own)
