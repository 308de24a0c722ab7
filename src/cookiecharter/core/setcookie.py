"""Raw ``Set-Cookie`` header values: read the name and lifetime, rewrite the lifetime.

The stdlib's ``http.cookies.SimpleCookie`` is the right tool for cookies a framework builds
itself (Django's ``response.cookies`` already is one), but not for a raw header written by
someone else: on a value it finds illegal it silently drops the whole cookie, and a filter that
cannot see a cookie's name would let it through. So raw headers are read the way a browser reads
them (RFC 6265, section 5.2): what matters is the name the browser will store, whatever the
value looks like. Nothing here imports Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

from .filter import CookieToSet

#: RFC 6265 5.2.2: Max-Age is an optional "-" and digits; anything else is ignored by browsers.
_MAX_AGE_RE = re.compile(r"^-?[0-9]+$")

#: A cookie that expires at this instant is a deletion; Django writes exactly this date.
EPOCH_HTTP_DATE = "Thu, 01 Jan 1970 00:00:00 GMT"


@dataclass(frozen=True)
class SetCookieHeader:
    """One ``Set-Cookie`` value, split into the parts enforcement needs.

    ``attributes`` keeps every attribute as written (name, value) so that rewriting the lifetime
    changes nothing else.
    """

    name: str
    value: str
    attributes: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, header: str) -> SetCookieHeader:
        """The cookie a browser would store from this header (one without a name is named "")."""
        pair, _, rest = header.partition(";")
        if "=" not in pair:
            # RFC 6265bis lets a browser store a nameless cookie ("=value" or "value"); the
            # filter treats it as the cookie named "" so that it is still judged (and blocked).
            name, value = "", pair.strip()
        else:
            name, _, value = pair.partition("=")
            name, value = name.strip(), value.strip()
        attributes: list[tuple[str, str]] = []
        if rest:
            for item in rest.split(";"):
                key, _, val = item.partition("=")
                key = key.strip()
                if key:
                    attributes.append((key, val.strip()))
        return cls(name, value, tuple(attributes))

    def _last(self, key: str) -> str | None:
        # Browsers honour the last occurrence of an attribute.
        found = None
        for k, v in self.attributes:
            if k.lower() == key:
                found = v
        return found

    @property
    def max_age(self) -> int | None:
        raw = self._last("max-age")
        if raw is None or not _MAX_AGE_RE.match(raw):
            return None
        return int(raw)

    @property
    def expires(self) -> datetime | None:
        raw = self._last("expires")
        if not raw:
            return None
        return parse_cookie_date(raw)

    def lifetime(self, now: float) -> int | None:
        """Seconds the browser will keep the cookie; None for a session cookie; <= 0 deletes it."""
        return lifetime_from(self.max_age, self.expires, now)

    def to_set(self, now: float) -> CookieToSet:
        """What the filter judges of this header."""
        return CookieToSet(self.name, self.lifetime(now), self.value)

    def with_lifetime(self, seconds: int | None, now: float) -> str:
        """The header rewritten to live ``seconds`` (None: until the browser closes)."""
        kept = [(k, v) for k, v in self.attributes if k.lower() not in ("max-age", "expires")]
        if seconds is not None:
            kept.append(("Expires", http_date(now + seconds)))
            kept.append(("Max-Age", str(seconds)))
        head = f"{self.name}={self.value}"  # "=value" for a nameless cookie: the same cookie to a browser
        return "; ".join([head, *(f"{k}={v}" if v else k for k, v in kept)])


# RFC 6265, section 5.1.1: how a browser reads a cookie's date. Far more lenient than an HTTP
# date: the tokens may come in any order ("2045 Jan 23 06:11:32" is a date to a browser), so a
# stricter parser would let a cookie through with a lifetime we could not see.
_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME_TOKEN = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?", re.DOTALL)
_DAY_TOKEN = re.compile(r"(\d{1,2})(?:\D.*)?", re.DOTALL)
_YEAR_TOKEN = re.compile(r"(\d{2,4})(?:\D.*)?", re.DOTALL)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_cookie_date(text: str) -> datetime | None:
    """A cookie's ``Expires`` as browsers read it (RFC 6265, 5.1.1), in UTC; None where a browser
    would ignore the attribute (and keep the cookie for the session)."""
    time_of_day = day = month = year = None
    for token in _DATE_DELIMITERS.split(text):
        if not token:
            continue
        if time_of_day is None and (m := _TIME_TOKEN.fullmatch(token)):
            time_of_day = (int(m[1]), int(m[2]), int(m[3]))
        elif day is None and (m := _DAY_TOKEN.fullmatch(token)):
            day = int(m[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (m := _YEAR_TOKEN.fullmatch(token)):
            year = int(m[1])
    if time_of_day is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = time_of_day
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:  # 31 June, 29 February of a common year: no such day, the attribute is ignored
        return None


def http_date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(timestamp), tz=timezone.utc), usegmt=True)


def lifetime_from(max_age: int | None, expires: datetime | None, now: float) -> int | None:
    """RFC 6265: Max-Age wins over Expires; neither means a session cookie."""
    if max_age is not None:
        return max_age
    if expires is not None:
        return int(expires.timestamp() - now)
    return None


def parse_cookie_header(header: str) -> dict[str, str]:
    """A request's ``Cookie`` header as {name: value}, leniently (as Django's ``parse_cookie``).

    ``SimpleCookie.load`` gives up on the whole header at the first odd character, which would
    hide every other cookie from the filter; a browser sends whatever it stored, so read it all.
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        if "=" in chunk:
            name, _, value = chunk.partition("=")
        else:
            name, value = "", chunk
        name, value = name.strip(), value.strip()
        if name or value:
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies.setdefault(name, value)
    return cookies


#: What an attribute value such as Path may hold (RFC 6265 4.1.1, av-octet): printable US-ASCII
#: and the space, but no ";" (it would start another attribute) and no control character (a CR
#: or LF would end the header line and start another header).
_ATTRIBUTE_VALUE = re.compile(r"[\x20-\x3a\x3c-\x7e]*")


def is_attribute_value(text: str) -> bool:
    """Whether ``text`` can be written as it is into a ``Set-Cookie`` attribute (RFC 6265 av-value)."""
    return _ATTRIBUTE_VALUE.fullmatch(text) is not None


def deletion_header(name: str, path: str = "/", domain: str = "") -> str:
    """A ``Set-Cookie`` value that makes the browser drop ``name`` at that path and domain.

    Raises ``ValueError`` rather than write a CR, LF or ";" into the header: the charter loader
    refuses such a path or domain, and this guards what does not come through it (a charter built
    in code, a framework's settings).
    """
    for part, value in (("name", name), ("path", path), ("domain", domain)):
        if "\r" in value or "\n" in value or ";" in value:
            raise ValueError(f"cookie {part} {value!r} would split the Set-Cookie header or add an attribute to it")
    parts = [f'{name}=""', f"expires={EPOCH_HTTP_DATE}", "Max-Age=0", f"Path={path or '/'}"]
    if domain:
        parts.append(f"Domain={domain}")
    return "; ".join(parts)
