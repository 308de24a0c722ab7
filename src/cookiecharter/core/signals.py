"""Choices the browser sends with every request: Global Privacy Control and ADPC.

Global Privacy Control (``Sec-GPC: 1``) is one general signal: do not sell or share. The charter
marks the purposes it refuses with ``refused_by_gpc``.

The Advanced Data Protection Control draft (ADPC, dataprotectioncontrol.org) sends decisions per
purpose in the ``ADPC`` request header::

    ADPC: withdraw=*, object=direct-marketing, consent="statistics embeds"

Its identifiers are the ones the site published in its consent requests resource; the charter
gives a purpose its identifier with ``adpc = "..."``. How each part is honoured:

* ``withdraw=ID`` refuses that purpose at once; ``withdraw=*`` refuses every purpose the same
  header does not name in ``consent=`` (the specific signal prevails over the general one).
* ``object=direct-marketing`` refuses the purposes marked ``refused_by_gpc`` (advertising, sale or
  sharing: the processing an objection to direct marketing is about). Other objections are not
  defined by the draft and are ignored.
* ``consent=ID`` never grants by itself: only a purpose the charter opts in with
  ``adpc_consent = true`` is granted by it, and only while the visitor has made no choice of their
  own on the site (a choice made on the site, a refusal included, is theirs to change there).
* When signals disagree about a purpose (GPC or a withdrawal against a consent), it is refused.

Nothing here reads a request: the adapters pass the header values in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .charter import Charter
from .consent import Consent, Method

#: ``withdraw=*``: every consent not named in the same header.
ALL = "*"
#: The one objection the ADPC draft defines.
DIRECT_MARKETING = "direct-marketing"
#: A longer header is not read at all (a browser sends a few dozen bytes).
MAX_HEADER_LENGTH = 4096
#: What an identifier may be in the charter: no space, quote, comma or semicolon (they delimit the
#: header), at most 128 characters; a URI (a standardised request) fits.
IDENTIFIER_RE = re.compile(r"[A-Za-z0-9._~:/?#@!$&'()+=%-]{1,128}")
_DIRECTIVE_RE = re.compile(r'\s*([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^\s,;"]*))\s*(?:[,;]|$)')


@dataclass(frozen=True)
class AdpcHeader:
    """The three lists an ``ADPC`` header carries (``withdraw`` may hold ``ALL``)."""

    consent: frozenset[str] = frozenset()
    withdraw: frozenset[str] = frozenset()
    object: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: str | None) -> AdpcHeader | None:
        """The header's lists, or None when there is no header or nothing in it can be read.

        Several headers arrive joined by commas, which is also how the draft separates directives;
        the draft's semicolon-separated variant seen in the wild is read too. A directive that
        cannot be read is skipped, never guessed at; an unknown one is ignored; a header with an
        unclosed quote is not read at all.
        """
        if not value or len(value) > MAX_HEADER_LENGTH or value.count('"') % 2:
            return None  # an unclosed quote leaves no way to tell one directive from the next
        lists: dict[str, set[str]] = {"consent": set(), "withdraw": set(), "object": set()}
        position, seen = 0, False
        while position < len(value):
            found = _DIRECTIVE_RE.match(value, position)
            if found is None:
                # Skip the unreadable directive up to the next separator outside quotes.
                following = re.search(r'[,;](?=(?:[^"]*"[^"]*")*[^"]*$)', value[position:])
                if following is None:
                    break
                position += following.end()
                continue
            position = found.end()
            key = found[1].lower()
            if key in lists:
                seen = True
                lists[key].update((found[2] if found[2] is not None else found[3] or "").split())
        if not seen:
            return None
        return cls(frozenset(lists["consent"]), frozenset(lists["withdraw"]), frozenset(lists["object"]))


@dataclass(frozen=True)
class Signals:
    """What the browser's signals say of the charter's consent purposes."""

    #: Refused by Global Privacy Control.
    gpc_refused: frozenset[str] = frozenset()
    #: Refused by an ADPC withdrawal or objection.
    adpc_refused: frozenset[str] = frozenset()
    #: Granted by an ADPC consent (only purposes that opt in, and none another signal refuses).
    adpc_granted: frozenset[str] = frozenset()

    @property
    def refused(self) -> frozenset[str]:
        return self.gpc_refused | self.adpc_refused

    def __bool__(self) -> bool:
        return bool(self.gpc_refused or self.adpc_refused or self.adpc_granted)


NO_SIGNALS = Signals()


def read_signals(charter: Charter, *, gpc: bool, adpc: AdpcHeader | None) -> Signals:
    """What ``Sec-GPC: 1`` (``gpc``) and an ``ADPC`` header say of the charter's purposes."""
    purposes = charter.consent_purposes
    gpc_refused = frozenset(p.key for p in purposes if p.refused_by_gpc) if gpc else frozenset()
    if adpc is None:
        return Signals(gpc_refused) if gpc_refused else NO_SIGNALS
    named = {p.key for p in purposes if p.adpc and p.adpc in adpc.consent}
    refused = {p.key for p in purposes if p.adpc and p.adpc in adpc.withdraw}
    if ALL in adpc.withdraw:
        refused |= {p.key for p in purposes if p.key not in named}
    if DIRECT_MARKETING in adpc.object:
        refused |= {p.key for p in purposes if p.refused_by_gpc}
    granted = {p.key for p in purposes if p.key in named and p.adpc_consent} - refused - gpc_refused
    return Signals(gpc_refused, frozenset(refused), frozenset(granted))


@dataclass(frozen=True)
class SignalChoice:
    """The choice the signals make for a visitor, to record and to keep in the cookie."""

    granted: frozenset[str]
    #: False: only some purposes are settled by the signals, the banner asks about the others.
    complete: bool
    method: Method
    #: ``{purpose: granted?}`` for the purposes the signals settled (what the ledger records).
    choices: dict[str, bool]


def signal_choice(consent: Consent, signals: Signals, consent_keys: Iterable[str]) -> SignalChoice | None:
    """The choice the signals make given the visitor's current one, or None when they change nothing.

    A visitor who chose on the site keeps that choice, less what an ADPC withdrawal or objection
    refuses (GPC does not reopen a choice made on the site, in either direction). A visitor who has
    not chosen gets what the signals settle: their refusals, and the grants of opted-in purposes; the
    choice is complete when every purpose is settled, otherwise the banner asks about the rest.
    """
    keys = tuple(consent_keys)
    method = Method.ADPC if signals.adpc_refused or signals.adpc_granted else Method.BROWSER_SIGNAL
    if consent.decided:
        withdrawn = consent.granted & signals.adpc_refused
        if not withdrawn:
            return None
        granted = consent.granted - withdrawn
        return SignalChoice(granted, True, Method.ADPC, {k: False for k in keys if k in withdrawn})
    before = consent.granted if consent.browser_signal else frozenset()
    granted = (before | signals.adpc_granted) - signals.refused
    settled = {k: k in granted for k in keys if k in granted or k in signals.refused}
    if consent.consent_id is not None and granted == before:
        return None  # the signal choice on record already says this
    if not settled:
        return None
    complete = all(k in settled for k in keys)
    return SignalChoice(granted, complete, method, settled)
