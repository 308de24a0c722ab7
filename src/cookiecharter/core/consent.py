"""A visitor's decision, as the rest of the system sees it.

The signed cookie that carries it (encode / decode) lives beside it in this module.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Method(str, enum.Enum):
    """How a decision was made; recorded in the proof ledger."""

    ACCEPT_ALL = "accept-all"
    REFUSE_ALL = "refuse-all"
    CUSTOM = "custom"
    WITHDRAW = "withdraw"
    BROWSER_SIGNAL = "browser-signal"


@dataclass(frozen=True)
class Consent:
    """What the request's ``cookies_preferences`` says, once verified.

    ``Consent.undecided()`` stands for "no decision yet": no cookie, or one that is garbled,
    forged, expired, or answers an older consent version of the charter.
    """

    consent_id: str | None
    decided_at: datetime | None
    consent_version: str | None
    granted: frozenset[str]

    @classmethod
    def undecided(cls) -> Consent:
        return cls(None, None, None, frozenset())

    @property
    def decided(self) -> bool:
        return self.consent_id is not None

    def allows(self, purpose: str) -> bool:
        """True when the purpose is granted. Exempt purposes are the charter's business, not this."""
        return purpose in self.granted
