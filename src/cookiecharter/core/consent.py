"""A visitor's decision, as the rest of the system sees it.

The signed cookie that carries it (encode / decode) lives beside it in this module.
"""

from __future__ import annotations

import base64
import difflib
import enum
import hmac
import re
import secrets
import time
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timezone
from typing import NamedTuple

from .mac import HmacSha256

#: Six months: CNIL's recommended lifetime for a remembered choice, a refusal included.
SIX_MONTHS = 15_778_800


class Method(str, enum.Enum):
    """How a decision was made; recorded in the proof ledger."""

    ACCEPT_ALL = "accept-all"
    REFUSE_ALL = "refuse-all"
    CUSTOM = "custom"
    WITHDRAW = "withdraw"
    BROWSER_SIGNAL = "browser-signal"
    #: An ADPC header's withdrawal, objection or (for an opted-in purpose) consent.
    ADPC = "adpc"
    #: The choice a signed-in person made on another device, applied on this one.
    ACCOUNT = "account"
    #: Not a visitor's choice: an audit of the site's own behaviour, sealed in the same chain
    #: (``cookiecharter.audits``). Never counted as a choice.
    AUDIT = "audit"


class Consent(NamedTuple):
    """What the request's ``cookies_preferences`` says, once verified.

    ``Consent.undecided()`` stands for "no decision yet": no cookie, or one that is garbled,
    forged, expired, or answers an older consent version of the charter.

    A named tuple, as immutable as a frozen dataclass: one is built for every request, and it
    costs a quarter of a frozen dataclass to build (docs/benchmarks.md). ``_replace`` gives a
    changed copy.
    """

    consent_id: str | None
    decided_at: datetime | None
    consent_version: str | None
    granted: frozenset[str]
    #: True when the only "decision" is what the browser's signals settled (Global Privacy Control,
    #: ADPC): the purposes they refuse are refused, ``granted`` holds what an opted-in ADPC consent
    #: granted, the others are still to be asked about, so ``decided`` stays False (the banner
    #: shows) while the consent id is already known.
    browser_signal: bool = False
    #: The charter's purposes, ``{key: needs consent}``, when the consent was read for a charter (as
    #: ``request.consent`` is): then ``allows`` knows an exempt purpose and an unknown one.
    purposes: Mapping[str, bool] | None = None
    #: Raise ``UnknownPurpose`` for a purpose the charter does not have (under DEBUG: a typo).
    strict: bool = False

    @classmethod
    def undecided(cls) -> Consent:
        """No choice yet."""
        return cls(None, None, None, frozenset())

    @property
    def decided(self) -> bool:
        return self.consent_id is not None and not self.browser_signal

    def allows(self, purpose: str) -> bool:
        """May the purpose's cookies be used? Granted: yes. Read for a charter, also yes for an exempt
        purpose, and no (or ``UnknownPurpose`` when ``strict``) for one the charter does not have."""
        if self.purposes is not None:
            needs_consent = self.purposes.get(purpose)
            if needs_consent is None:
                if self.strict:
                    raise UnknownPurpose(purpose, self.purposes)
                return False
            if not needs_consent:
                return True
        return purpose in self.granted

    def for_charter(self, purposes: Mapping[str, bool], *, strict: bool = False) -> Consent:
        """This consent, knowing the charter's purposes (see ``allows``)."""
        return self._replace(purposes=purposes, strict=strict)


class UnknownPurpose(LookupError):
    """A purpose the charter does not have was asked about (a typo, found under DEBUG)."""

    def __init__(self, purpose: str, purposes: Iterable[str]) -> None:
        keys = list(purposes)
        close = difflib.get_close_matches(purpose, keys, n=1)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        super().__init__(
            f'"{purpose}" is not a purpose of the charter ({", ".join(keys)}).{hint} An unknown purpose is '
            "never allowed; this error shows only under DEBUG."
        )


# -- the signed cookie ----------------------------------------------------------------------

#: Random bytes in a consent id: 96 bits, 16 base64url characters.
CONSENT_ID_BYTES = 12
_ID_RE = re.compile(r"[A-Za-z0-9_-]{16}")
#: Starts the PURPOSES field of a cookie that only records what the browser's signals settled (the
#: purposes after it granted by an opted-in ADPC consent, the refused ones refused, the rest
#: undecided). "!" is cookie-safe and can never start a purpose key.
BROWSER_SIGNAL_MARK = "!"
#: A value longer than this cannot be ours; it is dropped before any parsing.
_MAX_VALUE_LENGTH = 512
#: Bytes of HMAC-SHA256 kept in the cookie: 128 bits, plenty against forgery, and compact.
_SIG_BYTES = 16
#: Its length in base64url, unpadded.
_SIG_LENGTH = 22
#: Clocks of several servers disagree a little: a decision up to this far "in the future" is
#: accepted; anything later is forged or garbled.
CLOCK_SKEW_SECONDS = 60


def new_consent_id() -> str:
    """A fresh random consent id (16 cookie-safe characters) the visitor can cite."""
    return _b64(secrets.token_bytes(CONSENT_ID_BYTES))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(digits[r])
    return "".join(reversed(out))


class ConsentCodec:
    """Writes and reads the ``cookies_preferences`` value: ``ID.TIME.VERSION.PURPOSES.SIG``.

    ``secret`` is the HMAC key (the Django layer derives it from ``SECRET_KEY`` with the salt
    ``cookiecharter.consent``); ``fallbacks`` are older keys still accepted when reading, so a
    key rotation does not reopen every visitor's banner. ``decode`` never raises: whatever is
    wrong with a value, it reads as ``Consent.undecided()``.
    """

    def __init__(self, secret: bytes, fallbacks: Iterable[bytes] = ()) -> None:
        if not secret:
            raise ValueError("the consent cookie needs a non-empty signing key")
        # Each key made ready once (a keyed HMAC costs about half as much per value then).
        self._macs = tuple(HmacSha256(key) for key in (secret, *fallbacks))

    def _sign(self, mac: HmacSha256, payload: str) -> str:
        return _b64(mac.digest(payload.encode("ascii"))[:_SIG_BYTES])

    def encode(self, consent: Consent) -> str:
        if consent.consent_id is None or consent.decided_at is None or consent.consent_version is None:
            raise ValueError("only a decision can be encoded, not Consent.undecided()")
        when = consent.decided_at
        if when.tzinfo is None:
            raise ValueError("decided_at must be timezone-aware")
        if consent.consent_id is None or not _ID_RE.fullmatch(consent.consent_id):
            raise ValueError("a consent id is 16 base64url characters")
        purposes = (BROWSER_SIGNAL_MARK if consent.browser_signal else "") + "+".join(sorted(consent.granted))
        payload = ".".join(
            (
                consent.consent_id,
                _base36(int(when.timestamp())),
                consent.consent_version,
                purposes,
            )
        )
        return f"{payload}.{self._sign(self._macs[0], payload)}"

    def decode(
        self,
        value: str | None,
        *,
        charter_version: str,
        max_age: int,
        now: datetime | None = None,
        purposes: Collection[str] | None = None,
        charter_purposes: Mapping[str, bool] | None = None,
        strict: bool = False,
    ) -> Consent:
        """The choice ``value`` carries, or ``Consent.undecided()`` when it carries none.

        ``now`` is the time to judge the age by (the clock when omitted). ``purposes``, when
        given, are the keys the current charter asks about; a value granting any other key is
        rejected (it cannot come from this charter, whatever its signature). ``charter_purposes``
        and ``strict`` go to the ``Consent`` returned (see ``Consent.allows``).
        """
        at = time.time() if now is None else now.timestamp()
        try:
            found = self._decode(value, charter_version, max_age, at, purposes)
        except Exception:  # noqa: BLE001 - a cookie is visitor input: never an error, just no choice
            found = None
        if found is None:
            return Consent(None, None, None, frozenset(), False, charter_purposes, strict)
        cid, seconds, keys, signal_only = found
        return Consent(
            cid,
            datetime.fromtimestamp(seconds, tz=timezone.utc),
            charter_version,
            keys,
            signal_only,
            charter_purposes,
            strict,
        )

    def _decode(
        self,
        value: str | None,
        charter_version: str,
        max_age: int,
        now: float,
        purposes: Collection[str] | None,
    ) -> tuple[str, int, frozenset[str], bool] | None:
        """(consent id, time, granted keys, browser signal only) of a genuine current value, else None.

        The signature is checked first, on the value as it came: only a value this codec wrote (or
        wrote under a fallback key) gets further, and ``encode`` checks what it writes. The parts
        are still read with care after it: whatever fails reads as no choice, never as an error.
        """
        if not isinstance(value, str) or len(value) > _MAX_VALUE_LENGTH:
            return None
        payload, _, sig = value.rpartition(".")
        if len(sig) != _SIG_LENGTH:
            return None
        for mac in self._macs:
            if hmac.compare_digest(self._sign(mac, payload), sig):
                break
        else:
            return None
        cid, time36, version, granted = payload.split(".")  # a ValueError reads as no choice
        if version != charter_version:
            return None
        signal_only = granted.startswith(BROWSER_SIGNAL_MARK)
        if signal_only:
            granted = granted[1:]
        keys = frozenset(granted.split("+")) if granted else frozenset()
        if granted and len(keys) != granted.count("+") + 1:
            return None  # a key twice: not something encode() writes
        if purposes is not None and not keys <= frozenset(purposes):
            return None
        seconds = int(time36, 36)
        age = now - seconds
        if age > max_age or age < -CLOCK_SKEW_SECONDS:
            return None
        return cid, seconds, keys, signal_only
