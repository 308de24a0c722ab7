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

from . import banners
from .browser import LAUNCH_ARGS, find_chromium
from .crawl import Frontier, Link, normalise, not_a_page, parse_sitemap
from .model import PHASES, ButtonSeen, PageVisit, PhaseResult
from .probe import (
    BINDING,
    COOKIE_HOOK_SCRIPT,
    GPC_SCRIPT,
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


async def scan(options: ScanOptions, progress: Progress | None = None, vendor_of_host: Any = None) -> RawScan:
    executable = find_chromium(options.browser)
    started = time.perf_counter()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable, args=list(LAUNCH_ARGS), headless=True)
        try:
            run = _Run(pw, browser, options, progress or (lambda *a: None), vendor_of_host)
            phases = await run.all_phases()
        finally:
            await browser.close()
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
    def __init__(self, pw: Any, browser: Browser, options: ScanOptions, progress: Progress, vendor_of_host: Any):
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
            for depth in range(2):
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
    async def _phase(self, name: str, sitemap: asyncio.Task[list[str]]) -> PhaseResult:
        started = time.perf_counter()
        result = PhaseResult(name=name)  # type: ignore[arg-type]
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
                await self._guarded(self._start_page(context, name, recorder, result, sitemap), recorder, self.start_url)
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
                    await context.close()
                except PlaywrightError:
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
            recorder.on_script_cookie(payload.get("raw", ""), payload.get("stack", ""), payload.get("href", ""), page_url)

        await context.expose_binding(BINDING, on_write)
        await context.add_init_script(COOKIE_HOOK_SCRIPT)
        await context.add_init_script(pending_script(self.options.settle_s))
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
        budget = self.options.timeout_s * 2 + self.options.settle_s * 2 + self.options.banner_wait_s + 10
        try:
            await asyncio.wait_for(visit, budget)
        except NotAPage as exc:
            # A link the HEAD request could not tell apart (a server that answers HEAD with HTML):
            # dropped from the audit, in every phase, rather than reported as a page.
            self.frontier.not_pages.setdefault(url, str(exc))
            recorder.visits[:] = [v for v in recorder.visits if v.url != url]
        except Exception as exc:  # noqa: BLE001
            existing = next((v for v in recorder.visits if v.url == url), None)
            message = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            message = message.splitlines()[0][:300]
            if existing is None:
                recorder.visits.append(PageVisit(url=url, error=message))
            elif existing.error is None:
                existing.error = message

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
            else:
                action: banners.Action = "refuse-all" if name == "refuse" else "accept-all"
                result.buttons, result.decision_made = await self._decide(page, action)
                await page.wait_for_load_state("load", timeout=self.options.timeout_s * 1000)
                # What the click starts (the consent request, scripts it activates) must finish;
                # the full settle comes after the next page view, where the decision applies.
                await self._quiet(page)
                # The start page again, as the next page view after the decision; its screenshot
                # shows whether the banner stays away (taken while the page settles).
                await self._load(page, url, visit)
                _, result.screenshot = await asyncio.gather(self._settle(page), self._screenshot(page))
                await self._collect_storage(page, recorder, url)

    @contextlib.asynccontextmanager
    async def _page_view(
        self, context: BrowserContext, name: str, url: str, recorder: PhaseRecorder
    ) -> AsyncIterator[tuple[Page, PageVisit]]:
        """One page view of a phase: a concurrency slot, a timed visit in the phase's record, the
        page closed afterwards, and the progress told once the slot is free (not on failure)."""
        async with self.slots:
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

    async def _decide(self, page: Page, action: banners.Action) -> tuple[list[ButtonSeen], bool]:
        """Click ``action``'s control; when the first layer has none, try "customise" and then
        the action (or "save", every switch left off, for a refusal) in the second layer."""
        steps: list[ButtonSeen] = []
        found = await banners.find_control(page, action, wait_s=self.options.banner_wait_s)
        if found is not None:
            # force: the control was just seen visible by the finder; Playwright's actionability
            # wait (stable animation frames) costs seconds on a loaded machine and proves nothing
            # more. It is still a real mouse click at the control's centre, as a person's.
            await found.locator.click(timeout=5000, force=True)
            found.seen.clicked = True
            return [found.seen], True
        steps.append(ButtonSeen(action=action, found=False))
        customise = await banners.find_control(page, "customise")
        if customise is None:
            steps.append(ButtonSeen(action="customise", found=False))
            return steps, False
        await customise.locator.click(timeout=5000, force=True)
        customise.seen.clicked = True
        steps.append(customise.seen)
        second = await banners.find_control(page, action, wait_s=1.5)
        if second is None and action == "refuse-all":
            second = await banners.find_control(page, "save", wait_s=0.5)
        if second is None:
            return steps, False
        await second.locator.click(timeout=5000, force=True)
        second.seen.clicked = True
        steps.append(second.seen)
        return steps, True

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
        await page.close()
    except PlaywrightError:
        pass


async def _result_or_empty(task: Any) -> list[str]:
    try:
        return list(await task)
    except Exception:  # noqa: BLE001
        return []
