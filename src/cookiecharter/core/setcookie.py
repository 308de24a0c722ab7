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
from email.utils import format_datetime, parsedate_to_datetime

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
    def parse(cls, header: str) -> SetCookieHeader | None:
        """The cookie a browser would store from this header, or None when it would store none."""
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
        return parse_http_date(raw)

    def lifetime(self, now: float) -> int | None:
        """Seconds the browser will keep the cookie; None for a session cookie; <= 0 deletes it."""
        return lifetime_from(self.max_age, self.expires, now)

    def with_lifetime(self, seconds: int | None, now: float) -> str:
        """The header rewritten to live ``seconds`` (None: until the browser closes)."""
        kept = [(k, v) for k, v in self.attributes if k.lower() not in ("max-age", "expires")]
        if seconds is not None:
            kept.append(("Expires", http_date(now + seconds)))
            kept.append(("Max-Age", str(seconds)))
        head = f"{self.name}={self.value}" if self.name else self.value
        return "; ".join([head, *(f"{k}={v}" if v else k for k, v in kept)])


def parse_http_date(text: str) -> datetime | None:
    """An HTTP date as a timezone-aware datetime, or None where a browser would ignore it."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:  # pragma: no cover - older Pythons returned None instead of raising
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


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
