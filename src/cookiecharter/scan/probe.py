"""What one phase of a scan records while its pages load: cookie writes, requests, storage.

Each phase has its own browser context (its own cookie jar) and one ``PhaseRecorder``. Cookie
writes are caught where they happen, so the report can say who set each cookie:

* response headers through the DevTools protocol: ``Network.responseReceivedExtraInfo`` carries
  the raw ``Set-Cookie`` lines as the network stack saw them, and the cookies the browser refused
  with its reasons (``blockedCookies``), which no page-level API exposes;
* script writes through a getter/setter wrapped around ``document.cookie`` (and ``cookieStore``)
  by an init script, which reports the raw string and the calling script's URL (from the stack)
  to a Playwright binding.

At the end the context's jar says what was really kept; a write that left nothing in the jar was
refused (with the browser's reason when the protocol gave one).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..core.setcookie import SetCookieHeader
from .crawl import cookie_is_first_party, same_site
from .model import CookieSeen, PageVisit, Party, RequestSeen, SetBy, StorageKind, StorageSeen

#: The binding the init script reports cookie writes to.
BINDING = "__cookiecharterCookieWrite"

#: Wraps document.cookie and cookieStore.set so every write is reported with its caller's stack.
#: The page sees the same behaviour: the original setter always runs, whatever the report does.
COOKIE_HOOK_SCRIPT = (
    """
(() => {
  const report = (raw) => {
    try {
      const send = window["%(binding)s"];
      if (typeof send === "function") {
        send({raw: String(raw), stack: String(new Error().stack || ""), href: String(location.href)});
      }
    } catch (e) { /* never break the page */ }
  };
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (desc && desc.set && desc.configurable) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: desc.enumerable,
      get() { return desc.get.call(this); },
      set(value) { report(value); return desc.set.call(this, value); },
    });
  }
  if (window.CookieStore && CookieStore.prototype.set) {
    const original = CookieStore.prototype.set;
    CookieStore.prototype.set = function (a, b) {
      const o = (typeof a === "object" && a) ? a : {name: a, value: b};
      let raw = `${o.name}=${o.value}`;
      if (o.expires) raw += `; expires=${new Date(o.expires).toUTCString()}`;
      if (o.domain) raw += `; domain=${o.domain}`;
      if (o.path) raw += `; path=${o.path}`;
      report(raw);
      return original.apply(this, arguments);
    };
  }
})();
"""  # noqa: UP031 - JavaScript: with str.format or an f-string every one of its braces would be doubled
    % {"binding": BINDING}
)

#: The global through which the settle asks a frame how much work it still has scheduled.
PENDING_GLOBAL = "__cookiecharterPending"

#: Counts the work a frame has scheduled but not yet run: timeouts and intervals due within
#: ``horizon`` ms, idle callbacks and animation frames. The settle after a page's load waits
#: until that count is zero (and no request is in flight) instead of sleeping a fixed time, so a
#: cookie set by a timer is still caught while a page with nothing left to do is done at once.
#: Timers due later than the settle's cap are not counted: the cap would end the wait first.
#: The originals always run with the page's arguments; only the bookkeeping is added.
PENDING_SCRIPT_TEMPLATE = """
(() => {
  const horizon = %(horizon)d;
  const timers = new Set(), idle = new Set(), frames = new Set();
  const w = window;
  const setT = w.setTimeout, setI = w.setInterval, clearT = w.clearTimeout, clearI = w.clearInterval;
  const raf = w.requestAnimationFrame, caf = w.cancelAnimationFrame;
  const ric = w.requestIdleCallback, cic = w.cancelIdleCallback;
  try {
    Object.defineProperty(w, "%(global)s", {value: () => timers.size + idle.size + frames.size});
  } catch (e) { return; }
  const soon = (delay) => (Number(delay) || 0) <= horizon;
  w.setTimeout = function (fn, delay, ...rest) {
    if (typeof fn !== "function" || !soon(delay)) return setT.apply(this, arguments);
    const id = setT.call(this, function () { timers.delete(id); return fn.apply(this, arguments); }, delay, ...rest);
    timers.add(id);
    return id;
  };
  // An interval is counted until it is cleared: a page that polls forever gets the whole cap.
  w.setInterval = function (fn, delay) {
    const id = setI.apply(this, arguments);
    if (typeof fn === "function" && soon(delay)) timers.add(id);
    return id;
  };
  // Timeouts and intervals share one id space: either clear function clears either.
  w.clearTimeout = function (id) { timers.delete(id); return clearT.apply(this, arguments); };
  w.clearInterval = function (id) { timers.delete(id); return clearI.apply(this, arguments); };
  if (raf && caf) {
    w.requestAnimationFrame = function (fn) {
      if (typeof fn !== "function") return raf.apply(this, arguments);
      const id = raf.call(this, function () { frames.delete(id); return fn.apply(this, arguments); });
      frames.add(id);
      return id;
    };
    w.cancelAnimationFrame = function (id) { frames.delete(id); return caf.apply(this, arguments); };
  }
  if (ric && cic) {
    w.requestIdleCallback = function (fn, options) {
      if (typeof fn !== "function") return ric.apply(this, arguments);
      const id = ric.call(this, function () { idle.delete(id); return fn.apply(this, arguments); }, options);
      idle.add(id);
      return id;
    };
    w.cancelIdleCallback = function (id) { idle.delete(id); return cic.apply(this, arguments); };
  }
})();
"""


def pending_script(horizon_s: float) -> str:
    """The init script that counts a frame's scheduled work due within ``horizon_s``."""
    return PENDING_SCRIPT_TEMPLATE % {"horizon": int(horizon_s * 1000), "global": PENDING_GLOBAL}


#: Asks a frame for its scheduled work (0 when the counting script is not there, e.g. about:blank
#: frames created before it could run).
PENDING_PROBE = f"() => (typeof window.{PENDING_GLOBAL} === 'function' ? window.{PENDING_GLOBAL}() : 0)"


#: The global through which the scanner asks whether a control has a click handler yet.
LIVE_GLOBAL = "__cookiecharterLive"

#: Remembers which elements got a click-like listener, so the scanner can wait until a banner's
#: control is live and not only visible: some managers (tarteaucitron) render their buttons and
#: attach the handlers half a second later, and a click before that does nothing. A control is
#: live when it, or an element between it and the document (delegation), has such a listener or
#: an ``onclick``, or when it acts without script (a link with a real href, a form's button).
#: The original ``addEventListener`` always runs; only a WeakSet entry is added.
LIVE_SCRIPT = """
(() => {
  const marked = new WeakSet();
  const kinds = new Set(["click", "mousedown", "mouseup", "pointerdown", "pointerup", "touchstart", "touchend"]);
  const add = EventTarget.prototype.addEventListener;
  try {
    EventTarget.prototype.addEventListener = function (type, listener, options) {
      try { if (kinds.has(String(type)) && this !== window && this !== document) marked.add(this); } catch (e) {}
      return add.apply(this, arguments);
    };
    Object.defineProperty(window, "%(global)s", {value: (el) => {
      for (let node = el; node && node !== document && node !== document.documentElement && node !== document.body; ) {
        if (marked.has(node) || typeof node.onclick === "function") return true;
        if (node.tagName === "A" && node.getAttribute("href") && !/^(#|javascript:)/i.test(node.getAttribute("href"))) return true;
        if ((node.tagName === "BUTTON" || node.tagName === "INPUT") && node.form && node.type === "submit") return true;
        node = node.parentNode || (node instanceof ShadowRoot ? node.host : null);
        if (node instanceof ShadowRoot) node = node.host;
      }
      return false;
    }});
  } catch (e) {}
})();
""" % {"global": LIVE_GLOBAL}  # noqa: UP031 - JavaScript: with str.format or an f-string every brace would be doubled

#: Global Privacy Control, the JavaScript half (the header half is ``Sec-GPC: 1`` on every request).
GPC_SCRIPT = """
Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: () => true, configurable: true});
"""

#: Keys of localStorage, sessionStorage and IndexedDB databases, for one frame.
STORAGE_SCRIPT = """
async () => {
  const out = {origin: location.origin, local: [], session: [], idb: []};
  try { out.local = Object.keys(localStorage); } catch (e) {}
  try { out.session = Object.keys(sessionStorage); } catch (e) {}
  try { if (indexedDB.databases) out.idb = (await indexedDB.databases()).map(d => d.name); } catch (e) {}
  return out;
}
"""

#: The report's name of each storage area, and the key STORAGE_SCRIPT lists its entries under.
_STORAGE_AREAS: tuple[tuple[StorageKind, str], ...] = (
    ("localStorage", "local"),
    ("sessionStorage", "session"),
    ("indexedDB", "idb"),
)

_STACK_URL = re.compile(r"(https?://[^\s()]+?):\d+:\d+")


def script_url_from_stack(stack: str, fallback: str) -> str:
    """The first script URL in a JavaScript stack (the hook itself has none); inline scripts
    report their document's URL."""
    for line in stack.splitlines()[1:]:
        m = _STACK_URL.search(line)
        if m:
            return m.group(1)
    return fallback


@dataclass
class CookieWrite:
    name: str
    domain: str
    lifetime: int | None
    set_by: SetBy
    page: str
    at: float
    attributes: SetCookieHeader
    blocked: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, header: SetCookieHeader, *, url: str, set_by: SetBy, page: str, at: float, blocked: list[str] | None = None
    ) -> CookieWrite:
        """The write ``header`` makes, seen at ``at`` in a document or response at ``url`` (which
        gives the cookie's domain when the header names none)."""
        return cls(
            name=header.name,
            domain=_write_domain(header, url),
            lifetime=header.lifetime(at),
            set_by=set_by,
            page=page,
            at=at,
            attributes=header,
            blocked=blocked or [],
        )

    @property
    def deletion(self) -> bool:
        return self.lifetime is not None and self.lifetime <= 0


def _write_domain(header: SetCookieHeader, url: str) -> str:
    for key, value in reversed(header.attributes):
        if key.lower() == "domain" and value:
            return value.lstrip(".").lower()
    return (urlsplit(url).hostname or "").lower()


def _domain_matches(write_domain: str, jar_domain: str) -> bool:
    jar = jar_domain.lstrip(".").lower()
    return write_domain == jar or jar.endswith("." + write_domain) or write_domain.endswith("." + jar)


class PhaseRecorder:
    """Everything one phase's context saw, page by page."""

    def __init__(self, site_host: str, vendor_of_host: Any = None) -> None:
        self.site_host = site_host
        self.writes: list[CookieWrite] = []
        self.requests: dict[str, RequestSeen] = {}
        self.storage: dict[tuple[str, str, str], StorageSeen] = {}
        self.visits: list[PageVisit] = []
        self._vendor_of_host = vendor_of_host

    # -- events ----------------------------------------------------------------------------
    def on_request(self, url: str, resource_type: str, page_url: str) -> None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https", "ws", "wss") or not host or same_site(host, self.site_host):
            return
        # Keyed by host and port: on one machine two test servers differ only by port.
        key = parts.netloc.lower()
        seen = self.requests.get(key)
        if seen is None:
            vendor = self._vendor_of_host(host) if self._vendor_of_host else None
            self.requests[key] = RequestSeen(
                host=key, first_url=url[:500], page=page_url, resource_types=[resource_type], vendor=vendor
            )
        else:
            seen.count += 1
            if resource_type not in seen.resource_types:
                seen.resource_types.append(resource_type)

    def on_header_cookies(
        self,
        response_url: str,
        document_url: str | None,
        lines: list[str],
        blocked: list[dict[str, Any]],
        page_url: str,
    ) -> None:
        now = time.time()
        reasons: dict[str, list[str]] = {}
        for item in blocked:
            line = item.get("cookieLine", "")
            reasons.setdefault(line, []).extend(item.get("blockedReasons", []))
        for line in lines:
            header = SetCookieHeader.parse(line)
            if header is None:
                continue
            self.writes.append(
                CookieWrite.of(
                    header,
                    url=response_url,
                    set_by=SetBy(kind="header", url=response_url[:500], frame_url=(document_url or "")[:500] or None),
                    page=page_url,
                    at=now,
                    blocked=sorted(set(reasons.get(line, []))),
                )
            )

    def on_script_cookie(self, raw: str, stack: str, href: str, page_url: str) -> None:
        now = time.time()
        header = SetCookieHeader.parse(raw)
        if header is None:
            return
        self.writes.append(
            CookieWrite.of(
                header,
                url=href,
                set_by=SetBy(kind="script", url=script_url_from_stack(stack, href)[:500], frame_url=href[:500]),
                page=page_url,
                at=now,
            )
        )

    def on_storage(self, frame_data: dict[str, Any], page_url: str) -> None:
        origin = frame_data.get("origin") or ""
        if not origin or origin == "null":
            return
        party: Party = "first" if same_site(urlsplit(origin).hostname or "", self.site_host) else "third"
        for kind, keys in _STORAGE_AREAS:
            for key in frame_data.get(keys) or []:
                ident = (kind, origin, str(key))
                if ident not in self.storage:
                    self.storage[ident] = StorageSeen(
                        kind=kind, origin=origin, key=str(key)[:200], page=page_url, party=party
                    )

    # -- the end of the phase ----------------------------------------------------------------
    def cookies(self, jar: Sequence[Mapping[str, Any]], first_page: str) -> list[CookieSeen]:
        """The jar (Playwright's ``context.cookies()``, or any mappings with its keys) joined with
        the writes: who set each kept cookie, and what was refused."""
        now = time.time()
        result: list[CookieSeen] = []
        matched: set[int] = set()
        for c in jar:
            domain = c.get("domain", "").lstrip(".")
            writes = [
                (i, w) for i, w in enumerate(self.writes) if w.name == c["name"] and _domain_matches(w.domain, domain)
            ]
            matched.update(i for i, _ in writes)
            live = [w for _, w in writes if not w.deletion]
            # The first write says who introduced the cookie; the longest one what it asks for.
            first = live[0] if live else None
            expires = c.get("expires")
            expires = None if expires is None or expires < 0 else float(expires)
            asked = [w.lifetime for w in live if w.lifetime is not None]
            if asked:
                lifetime: int | None = max(asked)
            elif live:
                lifetime = None
            else:
                lifetime = int(expires - now) if expires is not None else None
            pages = list(dict.fromkeys(w.page for w in live)) or [first_page]
            result.append(
                CookieSeen(
                    name=c["name"],
                    domain=domain,
                    path=c.get("path", "/"),
                    kept=True,
                    expires=expires,
                    lifetime_seconds=lifetime,
                    http_only=bool(c.get("httpOnly")),
                    secure=bool(c.get("secure")),
                    same_site=str(c.get("sameSite") or ""),
                    party="first" if cookie_is_first_party(domain, self.site_host) else "third",
                    set_by=first.set_by if first else SetBy(kind="unknown"),
                    pages=pages,
                )
            )
        # Writes that left nothing in the jar: refused, unless the last write was a deletion.
        refused: dict[tuple[str, str], list[CookieWrite]] = {}
        for i, w in enumerate(self.writes):
            if i not in matched:
                refused.setdefault((w.name, w.domain), []).append(w)
        for (name, domain), unmatched in refused.items():
            last = unmatched[-1]
            if last.deletion:
                continue
            reasons = sorted({r for w in unmatched for r in w.blocked}) or [
                "NotStored" if last.set_by.kind == "header" else "NotStoredFromScript"
            ]
            samesite = next((v for k, v in reversed(last.attributes.attributes) if k.lower() == "samesite"), "")
            result.append(
                CookieSeen(
                    name=name,
                    domain=domain,
                    kept=False,
                    refused_reasons=reasons,
                    lifetime_seconds=last.lifetime,
                    http_only=any(k.lower() == "httponly" for k, _ in last.attributes.attributes),
                    secure=any(k.lower() == "secure" for k, _ in last.attributes.attributes),
                    same_site=samesite,
                    party="first" if cookie_is_first_party(domain, self.site_host) else "third",
                    set_by=last.set_by,
                    pages=list(dict.fromkeys(w.page for w in unmatched)),
                )
            )
        result.sort(key=lambda c: (c.party, c.name, c.domain))
        return result
