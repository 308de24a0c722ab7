"""The pure-Python core: charter model and loading, consent value, the allow/block decision.

Nothing under ``cookiecharter.core`` imports Django (a test walks the imports to keep it so).
"""

from .charter import Charter, Controller, Cookie, CookieName, Exemption, MatchKind, Party, Purpose, Source
from .consent import Consent, Method
from .lifetime import Lifetime, LifetimeError
from .loading import CharterError, Problem, load_charter, loads_charter

__all__ = [
    "Charter", "CharterError", "Consent", "Controller", "Cookie", "CookieName", "Exemption", "Lifetime",
    "LifetimeError", "MatchKind", "Method", "Party", "Problem", "Purpose", "Source", "load_charter",
    "loads_charter",
]  # fmt: skip
