"""Driving Chromium through the four phases of an audit.

Every phase gets a fresh browser context (its own jar and storage) over the same pages:

* ``arrival``: a first visit, nothing clicked;
* ``refuse``: the banner's "refuse all", then the pages again;
* ``accept``: the banner's "accept all", then the pages again;
* ``gpc``: a first visit with Global Privacy Control on (``Sec-GPC: 1`` and
  ``navigator.globalPrivacyControl``), nothing clicked.

The phases run side by side (their contexts share nothing), and within a phase the pages load in
parallel; one semaphore bounds the pages open at once across all phases (``concurrency``). The
arrival phase supplies the crawl: the start page's links, the sitemap fetched meanwhile, then the
links of every page it loads, until ``pages`` are known. The other phases make their decision on
the start page meanwhile, then audit each page as soon as it is known.

Nothing is blocked or rewritten: the audit must see what a visitor's browser does. Nor is anything
fetched that the pages do not ask for, except ``/sitemap.xml`` on the audited site itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import Error as PlaywrightError

from . import banners, consent_state
from .browser import IGNORED_DEFAULT_ARGS, LAUNCH_ARGS, find_chromium
from .crawl import Frontier, Link, normalise, not_a_page, parse_sitemap
from .model import PHASES, ButtonSeen, ConsentRecord, DeclaredOptional, PageVisit, PhaseName, PhaseResult
from .probe import (
    BINDING,
    COOKIE_HOOK_SCRIPT,
    GPC_SCRIPT,
    LIVE_SCRIPT,
    PENDING_PROBE,
    STORAGE_SCRIPT,
    PhaseRecorder,
    pending_script,
)

LINKS_SCRIPT = """
() => Array.from(document.querySelectorAll("a[href]")).map(a => ({
  href: a.href, text: (a.innerText || a.getAttribute("aria-label") || "").trim().slice(0, 120),
  download: a.hasAttribute("download"),
}))
"""


@dataclass
class ScanOptions:
    url: str
    pages: int = 5
    browser: str | None = None
    timeout_s: float = 20.0
    concurrency: int = 4
    #: The longest a page is watched after its load event (cookies set by timers, late scripts).
    #: The watch ends earlier once the page is calm: nothing in flight, no timer, idle callback
    #: or animation frame due within ``settle_s`` still pending, and nothing new (request,
    #: cookie write) for ``calm_s``.
    settle_s: float = 1.0
    calm_s: float = 0.25
    #: How long to wait for a banner's control to appear before deciding there is none.
    banner_wait_s: float = 3.0
    #: How long a decision may take to show its effect (banner gone, consent record written),
    #: clicks again included, before the phase is reported as untested.
    decision_wait_s: float = 8.0
    #: After each click, how long to watch for its effect before clicking again.
    effect_wait_s: float = 1.5
    #: How long to wait for a control to become live (handlers attached, not moving) before
    #: clicking it anyway.
    live_wait_s: float = 2.0
    screenshots: bool = True


#: progress(event, phase, detail): "pages" (detail = count), "page" (detail = url), "phase".
Progress = Callable[[str, str, Any], None]


@dataclass
class RawScan:
    """What the browser saw, before any judgement."""

    url: str
    browser: str
    pages: list[str]
    phases: list[PhaseResult]
    duration_ms: int = 0
    recorders: dict[str, PhaseRecorder] = field(default_factory=dict)
    #: Links that turned out not to be HTML pages: URL -> content type (or "a download").
    not_pages: dict[str, str] = field(default_factory=dict)


class NotAPage(Exception):
    """The URL answered with something else than an HTML page: not audited."""


class SiteUnreachable(RuntimeError):
    """The start page could not be loaded at all."""


async def launch(pw: Any, executable: str) -> Browser:
    """Chromium as every audit drives it (see ``browser.py`` for the flags and why)."""
    return await pw.chromium.launch(
        executable_path=executable,
        args=list(LAUNCH_ARGS),
        ignore_default_args=list(IGNORED_DEFAULT_ARGS),
        headless=True,
    )


async def scan(
    options: ScanOptions, progress: Progress | None = None, vendor_of_host: Any = None, category_of: Any = None
) -> RawScan:
    """One site in a browser of its own. ``vendor_of_host(host)`` and ``category_of(cookie_name)``
    come from the knowledge base: the first names third parties, the second tells a consent
    record from a tracker's cookie."""
    executable = find_chromium(options.browser)
    async with async_playwright() as pw:
        browser = await launch(pw, executable)
        try:
            return await scan_in(pw, browser, executable, options, progress, vendor_of_host, category_of)
        finally:
            await browser.close()


async def scan_in(
    pw: Any, browser: Browser, executable: str, options: ScanOptions, progress: Progress | None = None,
    vendor_of_host: Any = None, category_of: Any = None,
) -> RawScan:  # fmt: skip
    """One site in a browser already running (an audit of many sites shares one per process):
    the site's phases get contexts of their own, closed when it is done."""
    started = time.perf_counter()
    run = _Run(pw, browser, options, progress or (lambda *a: None), vendor_of_host, category_of)
    phases = await run.all_phases()
    raw = RawScan(
        url=normalise(options.url),
        browser=f"Chromium {browser.version} ({executable})",
        pages=[u for u in run.frontier.pages if u not in run.frontier.not_pages],
        phases=phases,
        duration_ms=int((time.perf_counter() - started) * 1000),
        recorders=run.recorders,
        not_pages=dict(run.frontier.not_pages),
    )
    arrival = next(p for p in phases if p.name == "arrival")
    if arrival.pages and arrival.pages[0].error and all(v.error for p in phases for v in p.pages[:1]):
        raise SiteUnreachable(f"{options.url} could not be loaded: {arrival.pages[0].error}")
    return raw


class _Run:
    def __init__(
        self,
        pw: Any,
        browser: Browser,
        options: ScanOptions,
        progress: Progress,
        vendor_of_host: Any,
        category_of: Any = None,
    ):
        self.category_of = category_of or (lambda name: None)
        self.pw = pw
        self.browser = browser
        self.options = options
        self.progress = progress
        self.start_url = normalise(options.url)
        self.site_host = (urlsplit(self.start_url).hostname or "").lower()
        self.slots = asyncio.Semaphore(max(1, options.concurrency))
        # The crawl grows while the phases run: the arrival phase adds the links of every page it
        # loads, and every phase audits each page as soon as it is added.
        self.frontier = Frontier(self.start_url, options.pages)
        self._crawl_changed = asyncio.Event()
        self._crawl_done = False
        #: Arrival visits that may still add links; the crawl is over when none is left.
        self._discovering = 0
        # Links are offered one batch at a time, so the pages keep the order they were found in.
        self._offering = asyncio.Lock()
        #: Requests outside every phase's context (the sitemap, "is this link a page?"), so their
        #: cookies, if any, pollute no jar.
        self.fetcher: Any = None
        self.recorders: dict[str, PhaseRecorder] = {}
        self.vendor_of_host = vendor_of_host
        # Headless Chromium says "HeadlessChrome" in its user agent and some consent managers
        # hide their banner from it; audit what a visitor gets.
        major = browser.version.split(".")[0]
        self.user_agent = (
            f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"
        )

    async def all_phases(self) -> list[PhaseResult]:
        self.fetcher = await self.pw.request.new_context(user_agent=self.user_agent, ignore_https_errors=True)
        sitemap = asyncio.create_task(self._sitemap())
        tasks = [asyncio.create_task(self._phase(name, sitemap)) for name in PHASES]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            if not sitemap.done():
                sitemap.cancel()
            await self.fetcher.dispose()

    # -- crawl -----------------------------------------------------------------------------
    async def _sitemap(self) -> list[str]:
        """Page URLs of the site's sitemap.xml (one level of sitemap index), fetched outside
        every phase's context so its cookies, if any, pollute no jar."""
        request = self.fetcher
        try:
            found: list[str] = []
            queue = [urljoin(self.start_url, "/sitemap.xml")]
            for _level in range(2):  # the sitemap, then the sitemaps an index names
                nested_all: list[str] = []
                for url in queue[:5]:
                    try:
                        resp = await request.get(url, timeout=min(self.options.timeout_s, 10) * 1000, max_redirects=3)
                    except PlaywrightError:
                        continue
                    if resp.status != 200:
                        continue
                    pages, nested = parse_sitemap(await resp.text(), url)
                    found.extend(pages)
                    nested_all.extend(nested)
                if not nested_all or len(found) >= self.options.pages * 4:
                    break
                queue = nested_all
            return found
        except Exception:  # noqa: BLE001 - no sitemap is not an error
            return []

    async def _offer(self, links: list[Link]) -> None:
        """Add the links worth auditing, once the server said each is an HTML page: a link to
        the charter's PDF or a CSV export has no extension to tell, and must not take a page's
        place in the audit (nor be reported as a page)."""
        async with self._offering:
            fresh = self.frontier.fresh(links)
            while fresh and not self.frontier.full:
                batch, fresh = fresh[: self.frontier.room], fresh[self.frontier.room :]
                verdicts = await asyncio.gather(*(self._what_is(u) for u in batch))
                for url, verdict in zip(batch, verdicts):
                    if verdict:
                        self.frontier.not_pages[url] = verdict
                self._added(self.frontier.add(u for u, v in zip(batch, verdicts) if not v))
        if self.frontier.full:
            self._finish_crawl()

    async def _what_is(self, url: str) -> str | None:
        """None for an HTML page (or a server that will not say), else what the URL is. A HEAD
        request: the page itself is not fetched twice."""
        try:
            resp = await self.fetcher.head(url, timeout=min(self.options.timeout_s, 10) * 1000, max_redirects=5)
        except PlaywrightError:
            return None
        if not resp.ok:
            return None  # 405 to HEAD, or an error page: the visit will say
        return not_a_page(resp.headers.get("content-type"), resp.headers.get("content-disposition"))

    def _added(self, pages: list[str]) -> None:
        if pages:
            # The arrival phase will load each of them and offer its links in turn.
            self._discovering += len(pages)
            self.progress("pages", "", len(self.frontier.pages))
            self._wake()

    def _wake(self) -> None:
        # Wake every waiting phase: whoever waits holds the old event, later waiters the new one.
        self._crawl_changed.set()
        self._crawl_changed = asyncio.Event()

    def _finish_crawl(self) -> None:
        if not self._crawl_done:
            self._crawl_done = True
            self._wake()

    def _discovery_ended(self) -> None:
        """One arrival page has offered its links (or failed)."""
        self._discovering -= 1
        if self._discovering <= 0:
            # No new path left to find: the query variants of known pages fill the room left.
            self._added(self.frontier.use_variants())
            if self._discovering <= 0:
                self._finish_crawl()

    async def _pages_after_start(self) -> Any:
        """The crawl's pages after the start page, as they are found, until the crawl is over."""
        index = 1
        while True:
            changed = self._crawl_changed
            if index < len(self.frontier.pages):
                index += 1
                yield self.frontier.pages[index - 1]
                continue
            if self._crawl_done:
                return
            await changed.wait()

    # -- one phase ---------------------------------------------------------------------------
    async def _phase(self, name: PhaseName, sitemap: asyncio.Task[list[str]]) -> PhaseResult:
        started = time.perf_counter()
        result = PhaseResult(name=name)
        recorder = PhaseRecorder(self.site_host, self.vendor_of_host)
        self.recorders[name] = recorder
        context: BrowserContext | None = None
        try:
            context = await self._context(name, recorder)
            if name in ("refuse", "accept"):
                result.consent_given = "refuse-all" if name == "refuse" else "accept-all"
            discovering = name == "arrival"
            if discovering:
                self._discovering += 1  # the start page
            try:
                await self._guarded(
                    self._start_page(context, name, recorder, result, sitemap), recorder, self.start_url
                )
                if discovering:
                    # Whether or not the start page loaded, the sitemap's pages are audited.
                    await self._offer([Link(u) for u in await _result_or_empty(sitemap)])
            finally:
                if discovering:
                    self._discovery_ended()
            visits = []
            async for url in self._pages_after_start():
                visits.append(asyncio.create_task(self._other_page_guarded(context, name, url, recorder, discovering)))
            await asyncio.gather(*visits)
            jar = await context.cookies()
            result.cookies = recorder.cookies(jar, self.start_url)
        except Exception as exc:  # noqa: BLE001 - a broken phase is reported, the others go on
            result.error = f"{type(exc).__name__}: {exc}"
            if name == "arrival":
                self._finish_crawl()  # nobody else will add pages: let the other phases end
        finally:
            if context is not None:
                try:
                    await asyncio.wait_for(context.close(), 30)
                except (PlaywrightError, asyncio.TimeoutError):
                    pass
        order = {u: i for i, u in enumerate(self.frontier.pages)}
        result.pages = sorted(recorder.visits, key=lambda v: order.get(v.url, len(order)))
        result.storage = sorted(recorder.storage.values(), key=lambda s: (s.kind, s.origin, s.key))
        result.third_party_requests = sorted(recorder.requests.values(), key=lambda r: r.host)
        result.duration_ms = int((time.perf_counter() - started) * 1000)
        self.progress("phase", name, None)
        return result

    async def _context(self, name: str, recorder: PhaseRecorder) -> BrowserContext:
        headers = {"Sec-GPC": "1"} if name == "gpc" else None
        context = await self.browser.new_context(
            user_agent=self.user_agent,
            extra_http_headers=headers,
            viewport={"width": 1280, "height": 800},
            ignore_https_errors=True,
        )

        def on_write(source: dict[str, Any], payload: dict[str, Any]) -> None:
            page = source.get("page")
            _touch(page)
            page_url = getattr(page, "_cookiecharter_url", None) or payload.get("href", "")
            recorder.on_script_cookie(
                payload.get("raw", ""), payload.get("stack", ""), payload.get("href", ""), page_url
            )

        await context.expose_binding(BINDING, on_write)
        await context.add_init_script(COOKIE_HOOK_SCRIPT)
        await context.add_init_script(pending_script(self.options.settle_s))
        await context.add_init_script(LIVE_SCRIPT)
        if name == "gpc":
            await context.add_init_script(GPC_SCRIPT)
        return context

    async def _open(self, context: BrowserContext, url: str, recorder: PhaseRecorder) -> Page:
        page = await context.new_page()
        page._cookiecharter_url = url  # type: ignore[attr-defined]
        in_flight: set[Any] = set()
        page._cookiecharter_in_flight = in_flight  # type: ignore[attr-defined]
        _touch(page)

        def on_request(request: Any) -> None:
            in_flight.add(request)
            _touch(page)
            recorder.on_request(request.url, request.resource_type, url)

        def on_done(request: Any) -> None:
            in_flight.discard(request)
            _touch(page)

        page.on("request", on_request)
        page.on("requestfinished", on_done)
        page.on("requestfailed", on_done)
        cdp = await context.new_cdp_session(page)
        request_urls: dict[str, tuple[str, str | None]] = {}

        def will_send(event: dict[str, Any]) -> None:
            request_urls[event["requestId"]] = (event["request"]["url"], event.get("documentURL"))

        def extra_info(event: dict[str, Any]) -> None:
            headers = event.get("headers") or {}
            lines = [
                line
                for key, value in headers.items()
                if key.lower() == "set-cookie"
                for line in str(value).split("\n")
                if line.strip()
            ]
            blocked = event.get("blockedCookies") or []
            if lines or blocked:
                _touch(page)
                response_url, document_url = request_urls.get(event.get("requestId", ""), ("", None))
                recorder.on_header_cookies(response_url or url, document_url, lines, blocked, url)

        cdp.on("Network.requestWillBeSent", will_send)
        cdp.on("Network.responseReceivedExtraInfo", extra_info)
        await cdp.send("Network.enable")
        return page

    async def _guarded(self, visit: Any, recorder: PhaseRecorder, url: str) -> None:
        """One page's visit under the page budget; a failure is recorded, never raised."""
        o = self.options
        # Two loads and settles (a decision phase loads its start page again), the banner's wait
        # and the decision's bound with its clicks, and room for the rest.
        budget = o.timeout_s * 2 + o.settle_s * 2 + o.banner_wait_s + o.decision_wait_s + o.live_wait_s * 2 + 10
        # The budget starts once a concurrency slot is free: time spent waiting for one (400 page
        # views of a 100-page audit share 4 slots) is no fault of the page.
        await self.slots.acquire()
        task = asyncio.ensure_future(visit)
        try:
            done, _ = await asyncio.wait({task}, timeout=budget)
            if not done:
                # Cancelled, it closes its page; but a Playwright call that never answers (a
                # renderer gone silent) must not hold the whole scan: wait a little, then go on.
                task.cancel()
                await asyncio.wait({task}, timeout=15)
                raise asyncio.TimeoutError
            task.result()
        except NotAPage as exc:
            # A link the HEAD request could not tell apart (a server that answers HEAD with HTML):
            # dropped from the audit, in every phase, rather than reported as a page.
            self.frontier.not_pages.setdefault(url, str(exc))
            recorder.visits[:] = [v for v in recorder.visits if v.url != url]
        except Exception as exc:  # noqa: BLE001 - whatever fails one page is that page's error in the report
            existing = next((v for v in recorder.visits if v.url == url), None)
            message = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            message = message.splitlines()[0][:300]
            if existing is None:
                recorder.visits.append(PageVisit(url=url, error=message))
            elif existing.error is None:
                existing.error = message
        finally:
            self.slots.release()

    async def _load(self, page: Page, url: str, visit: PageVisit) -> None:
        try:
            response = await page.goto(url, wait_until="load", timeout=self.options.timeout_s * 1000)
        except PlaywrightError as exc:
            if "Download is starting" in str(exc) and url != self.start_url:
                raise NotAPage("a download") from None
            raise
        visit.status = response.status if response is not None else None
        if response is not None and url != self.start_url:
            what = not_a_page(response.headers.get("content-type"), response.headers.get("content-disposition"))
            if what:
                raise NotAPage(what)

    async def _settle(self, page: Page) -> None:
        """Watch the page after its load event until it is calm, at most ``settle_s``: no request
        in flight, no timer (or idle callback, animation frame) due within ``settle_s`` pending in
        any frame, and no request or cookie write for ``calm_s``. A page that has nothing left to
        do is done in ``calm_s``; a cookie a timer sets 400 ms after the load is still caught,
        because its timer is pending until then."""
        in_flight: set[Any] = page._cookiecharter_in_flight  # type: ignore[attr-defined]
        calm_s = min(self.options.calm_s, self.options.settle_s)
        deadline = time.monotonic() + self.options.settle_s
        busy_at = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            if in_flight or await _scheduled_work(page):
                busy_at = time.monotonic()
            elif time.monotonic() - max(busy_at, page._cookiecharter_active) >= calm_s:  # type: ignore[attr-defined]
                return
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    async def _quiet(self, page: Page, calm_s: float = 0.2) -> None:
        """Wait until no request has been in flight for ``calm_s`` (at most ``settle_s``): after a
        click, the consent request must have come back before the page is loaded again."""
        in_flight: set[Any] = page._cookiecharter_in_flight  # type: ignore[attr-defined]
        deadline = time.monotonic() + self.options.settle_s
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            if in_flight:
                calm_since = time.monotonic()
            elif time.monotonic() - calm_since >= calm_s:
                return
            await asyncio.sleep(0.05)

    async def _collect_storage(self, page: Page, recorder: PhaseRecorder, url: str) -> None:
        for frame in list(page.frames):
            try:
                data = await frame.evaluate(STORAGE_SCRIPT)
            except PlaywrightError:
                continue
            if isinstance(data, dict):
                recorder.on_storage(data, url)

    async def _screenshot(self, page: Page) -> str | None:
        if not self.options.screenshots:
            return None
        try:
            shot = await page.screenshot(type="jpeg", quality=55, timeout=5000)
        except PlaywrightError:
            return None
        return "data:image/jpeg;base64," + base64.b64encode(shot).decode("ascii")

    async def _start_page(
        self, context: BrowserContext, name: str, recorder: PhaseRecorder, result: PhaseResult, sitemap: Any
    ) -> None:
        url = self.start_url
        async with self._page_view(context, name, url, recorder) as (page, visit):
            await self._load(page, url, visit)
            if name in ("arrival", "gpc"):
                if name == "arrival":
                    # The links are there at the load event: offer them now, so the other
                    # pages start while this one settles; the sitemap's come after them.
                    self.frontier.alias(page.url)
                    await self._offer(await self._links(page))
                await self._settle(page)
                result.buttons, result.screenshot, _ = await asyncio.gather(
                    banners.survey(page), self._screenshot(page), self._collect_storage(page, recorder, url)
                )
                if not any(b.found for b in result.buttons):
                    result.hidden_banner = await banners.hidden_banner(page)
                if name == "arrival":
                    result.manager_declared = [DeclaredOptional(**d) for d in await banners.declared_optional(page)]
            else:
                action: banners.Action = "refuse-all" if name == "refuse" else "accept-all"
                await self._decide(page, context, action, result, recorder)
                await page.wait_for_load_state("load", timeout=self.options.timeout_s * 1000)
                # What the click starts (the consent request, scripts it activates) must finish;
                # the full settle comes after the next page view, where the decision applies.
                await self._quiet(page)
                # The start page again, as the next page view after the decision; the screenshot
                # is taken once it has settled, so it shows what a visitor then sees.
                await self._load(page, url, visit)
                await self._settle(page)
                result.screenshot = await self._screenshot(page)
                await self._collect_storage(page, recorder, url)
                if result.decision_verified and await banners.banner_visible(page):
                    # The record was written, but the next page asks again: the choice is not
                    # remembered, and the pages after it are audited as if none was made.
                    result.decision_verified = False
                    result.decision_check = (
                        result.decision_check or ""
                    ) + "; but the banner came back on the next page view"

    @contextlib.asynccontextmanager
    async def _page_view(
        self, context: BrowserContext, name: str, url: str, recorder: PhaseRecorder
    ) -> AsyncIterator[tuple[Page, PageVisit]]:
        """One page view of a phase (its concurrency slot is held by ``_guarded``): a timed visit
        in the phase's record, the page closed afterwards, and the progress told (not on failure)."""
        visit = PageVisit(url=url)
        recorder.visits.append(visit)
        t0 = time.perf_counter()
        page = await self._open(context, url, recorder)
        try:
            yield page, visit
        finally:
            visit.duration_ms = int((time.perf_counter() - t0) * 1000)
            await _close(page)
        self.progress("page", name, url)

    async def _decide(
        self, page: Page, context: BrowserContext, action: banners.Action, result: PhaseResult, recorder: PhaseRecorder
    ) -> None:
        """Click ``action``'s control, as a person would, until the click is seen to take effect.

        When the first layer has no such control, "customise" opens the second layer, where the
        action (or "save", every switch left off, for a refusal) is clicked. Each click waits for
        the control to be live, then the effect is watched for: the banner gone and the consent
        manager's record written. A click that changed nothing (the handlers were not attached
        yet) is made again, within ``decision_wait_s``. The phase records what happened in words."""
        steps: list[ButtonSeen] = []
        result.buttons = steps
        found = await banners.find_control(page, action, wait_s=self.options.banner_wait_s)
        if found is None:
            steps.append(ButtonSeen(action=action, found=False))
            customise = await banners.find_control(page, "customise")
            if customise is None:
                steps.append(ButtonSeen(action="customise", found=False))
                result.decision_check = f"no '{action.replace('-', ' ')}' control was found, so no decision was made"
                return
            steps.append(customise.seen)
            second = None
            deadline = time.monotonic() + self.options.decision_wait_s
            while second is None and time.monotonic() < deadline:
                await banners.wait_ready(customise, self.options.live_wait_s)
                await self._press(customise)
                second = await banners.find_control(page, action, wait_s=self.options.effect_wait_s)
                if second is None and action == "refuse-all":
                    second = await banners.find_control(page, "save", wait_s=0.3)
                if second is None:
                    customise = await banners.find_control(page, "customise") or customise
            if second is None:
                result.decision_check = "'customise' was clicked but its second layer offered no control to decide with"
                return
            found = second
        steps.append(found.seen)
        result.decision_made = True
        await self._press_until_taken(page, context, found, action, result, recorder)

    async def _press(self, found: banners.Found) -> None:
        # force: the control was just seen ready; Playwright's own actionability wait costs
        # seconds on a loaded machine and proves nothing more. It is still a real mouse click at
        # the control's centre, as a person's.
        try:
            await found.locator.click(timeout=5000, force=True)
        except PlaywrightError:
            return  # gone or re-rendered meanwhile: the effect check says whether it mattered
        found.seen.clicked = True

    async def _press_until_taken(
        self, page: Page, context: BrowserContext, found: banners.Found, action: banners.Action,
        result: PhaseResult, recorder: PhaseRecorder,
    ) -> None:  # fmt: skip
        # What the page stored before the choice, taken right before the first click; cookies
        # whose every observed write came before that click are not its effect either (the
        # browser's cookie store may learn of a script's write a moment late).
        before = await consent_state.snapshot(page, context)
        clicked_at = time.time()
        started = time.monotonic()
        deadline = started + self.options.decision_wait_s
        control: banners.Found | None = found
        effect = _Effect()
        while control is not None:
            await banners.wait_ready(control, min(self.options.live_wait_s, max(0.0, deadline - time.monotonic())))
            await self._press(control)
            result.decision_attempts += 1
            effect = await self._effect(
                page,
                context,
                action,
                before,
                min(deadline, time.monotonic() + self.options.effect_wait_s),
                recorder,
                clicked_at,
            )
            if effect.taken or effect.contradicted or time.monotonic() >= deadline:
                break
            # Nothing yet: the control may not have been live, or re-rendered. Look again.
            control = await banners.find_control(page, control.seen.action)
            if control is None:  # the control went away: give its effect the rest of the time
                effect = await self._effect(page, context, action, before, deadline, recorder, clicked_at)
        result.decision_verified = effect.taken
        result.consent_records = effect.records
        result.decision_check = effect.words(action, result.decision_attempts, time.monotonic() - started)

    async def _effect(
        self, page: Page, context: BrowserContext, action: banners.Action, before: consent_state.Snapshot, until: float,
        recorder: PhaseRecorder, clicked_at: float,
    ) -> _Effect:  # fmt: skip
        """Watch, until ``until``, for the click's effect: the banner gone (twice in a row, so
        a page in the middle of navigating is not taken for one without a banner) and the
        consent record written."""
        wanted = "refusal" if action == "refuse-all" else "acceptance"
        gone_in_a_row = 0
        effect = _Effect()
        while True:
            try:
                await page.wait_for_load_state("load", timeout=max(100, (until - time.monotonic()) * 1000))
            except PlaywrightError:
                pass
            after = await consent_state.snapshot(page, context)
            fresh = [
                e for e in consent_state.changes(before, after)
                if e.kind != "cookie" or not _written_only_before(recorder, e.name, clicked_at)
            ]  # fmt: skip
            changed = consent_state.records(
                fresh,
                lambda n: self.category_of(n) == "consent",
                lambda n: self.category_of(n) in ("statistics", "advertising"),
            )
            effect.records = [
                ConsentRecord(
                    kind=e.kind, where=e.where, name=e.name, choice=consent_state.read_choice(e.name, e.value)
                )
                for e in changed
            ]
            gone_in_a_row = 0 if await banners.banner_visible(page) else gone_in_a_row + 1
            effect.banner_gone = gone_in_a_row >= 2
            choices = {r.choice for r in effect.records if r.choice}
            effect.contradicted = bool(choices) and wanted not in choices
            if effect.taken or effect.contradicted or time.monotonic() >= until:
                return effect
            await asyncio.sleep(0.15)

    async def _links(self, page: Page) -> list[Link]:
        raw_links = await page.evaluate(LINKS_SCRIPT)
        return [Link(str(x["href"]), str(x.get("text", "")), bool(x.get("download"))) for x in raw_links]

    async def _other_page_guarded(
        self, context: BrowserContext, name: str, url: str, recorder: PhaseRecorder, discovering: bool
    ) -> None:
        try:
            await self._guarded(self._other_page(context, name, url, recorder, discovering), recorder, url)
        finally:
            if discovering:
                self._discovery_ended()

    async def _other_page(
        self, context: BrowserContext, name: str, url: str, recorder: PhaseRecorder, discovering: bool = False
    ) -> None:
        async with self._page_view(context, name, url, recorder) as (page, visit):
            await self._load(page, url, visit)
            if discovering and not self.frontier.full:
                await self._offer(await self._links(page))
            await self._settle(page)
            await self._collect_storage(page, recorder, url)


@dataclass
class _Effect:
    """What a decision's click was seen to do."""

    banner_gone: bool = False
    records: list[ConsentRecord] = field(default_factory=list)
    contradicted: bool = False

    @property
    def taken(self) -> bool:
        return self.banner_gone and bool(self.records) and not self.contradicted

    def words(self, action: str, attempts: int, seconds: float) -> str:
        label = "'refuse all'" if action == "refuse-all" else "'accept all'"
        clicks = f"{attempts} click{'s' if attempts != 1 else ''} in {seconds:.1f} s"
        stored = "; ".join(
            f"{'cookie' if r.kind == 'cookie' else r.kind} {r.name} ({r.where})"
            + (f" holds {'a refusal' if r.choice == 'refusal' else 'an acceptance'}" if r.choice else " was written")
            for r in self.records
        )
        if self.contradicted:
            return f"{label} was clicked but the consent record says otherwise: {stored} ({clicks})"
        if self.taken:
            return f"the banner went away and {stored} ({clicks})"
        if self.records:
            return f"{stored}, but the banner stayed on the page ({clicks})"
        if self.banner_gone:
            return f"the banner went away but nothing was stored: the choice is not remembered ({clicks})"
        return f"{label} was clicked but nothing happened: the banner stayed and nothing was stored ({clicks})"


def _written_only_before(recorder: PhaseRecorder, name: str, moment: float) -> bool:
    """Whether every write of cookie ``name`` the phase observed happened before ``moment``."""
    times = [w.at for w in recorder.writes if w.name == name]
    return bool(times) and max(times) < moment


def _touch(page: Any) -> None:
    """Mark that something happened on the page (a request, a cookie write): the settle's calm
    period starts again."""
    if page is not None:
        page._cookiecharter_active = time.monotonic()


async def _scheduled_work(page: Page) -> int:
    """Timers, idle callbacks and animation frames still pending, over all of the page's frames
    (a frame that cannot answer, being detached or navigating, counts as busy)."""

    async def one(frame: Any) -> int:
        try:
            return int(await frame.evaluate(PENDING_PROBE))
        except PlaywrightError:
            return 0 if frame.is_detached() else 1

    counts = await asyncio.gather(*(one(f) for f in list(page.frames)))
    return sum(counts)


async def _close(page: Page) -> None:
    try:
        # Bounded: closing a page whose renderer stopped answering can wait forever; the
        # context's close at the end of the phase takes it down in any case.
        await asyncio.wait_for(page.close(), 10)
    except (PlaywrightError, asyncio.TimeoutError):
        pass


async def _result_or_empty(task: Any) -> list[str]:
    try:
        return list(await task)
    except Exception:  # noqa: BLE001 - a sitemap that failed in any way gives no pages, and the crawl goes on
        return []
