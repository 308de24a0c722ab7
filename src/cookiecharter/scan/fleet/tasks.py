"""The audit of one site as a Celery task; every worker process keeps one browser.

Start workers on any machine that has Chromium and the ``fleet`` extra, pointing at the broker::

    COOKIECHARTER_BROKER=redis://127.0.0.1:6379/0 \\
        celery -A cookiecharter.scan.fleet.tasks worker --pool threads --concurrency 2 -n w1@%h

``--pool threads``: the process's one browser is driven from an event loop of its own, and the
task threads hand their audits to it, so ``--concurrency`` sites share that browser (each in
contexts of its own) while the worker still answers the broker's control messages. Run more
worker processes for more browsers. Nothing is lost when a page, the browser or a whole worker
dies:

* a browser or page that fails mid-audit is started afresh and the task retried (``max_retries``);
* a worker killed mid-audit never acknowledged its message (``acks_late``), so the broker hands
  the site to another worker (``reject_on_worker_lost``; RabbitMQ does so at once, Redis after
  ``visibility_timeout``); the result says the message was redelivered.

The result is the report's JSON with how many attempts it took, or the reason the site could not
be audited (its start page would not load: trying again elsewhere would say the same).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any

from celery import Celery

from ..browser import find_chromium
from .jobs import SiteJob, audit_site

log = logging.getLogger("cookiecharter.scan")

BROKER_ENV = "COOKIECHARTER_BROKER"
RESULTS_ENV = "COOKIECHARTER_RESULTS"
QUEUE_ENV = "COOKIECHARTER_QUEUE"


def default_backend(broker: str) -> str:
    """Results go back through Redis when the broker is Redis, else over AMQP replies (``rpc://``)."""
    return broker if broker.startswith(("redis://", "rediss://")) else "rpc://"


def configure(app: Celery, broker: str, results: str | None = None) -> None:
    app.conf.update(
        broker_url=broker,
        result_backend=results or default_backend(broker),
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # One site at a time per worker process, acknowledged only once audited: a worker that
        # dies holds at most one site, and the broker gives it to another.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": int(os.environ.get("COOKIECHARTER_VISIBILITY_TIMEOUT", "900"))},
        broker_connection_retry_on_startup=True,
        # One queue per fleet (COOKIECHARTER_QUEUE), so audits sharing a broker do not mix.
        task_default_queue=os.environ.get(QUEUE_ENV, "cookiecharter-scan"),
        result_expires=24 * 3600,
    )


app = Celery("cookiecharter-scan")
configure(app, os.environ.get(BROKER_ENV, "redis://127.0.0.1:6379/0"), os.environ.get(RESULTS_ENV))


class BrowserHost:
    """This process's browser, driven from an event loop in a thread of its own (Celery's task
    runs in plain synchronous code). Started on the first audit; started again after a crash."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pw: Any = None
        self._browser: Any = None
        self._executable: str | None = None
        self._starting: asyncio.Lock | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="cookiecharter-browser", daemon=True).start()
        return self._loop

    async def _browser_up(self) -> Any:
        from playwright.async_api import async_playwright

        from ..runner import launch

        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:  # several task threads may ask at once: one browser
            if self._pw is None:
                self._pw = await async_playwright().start()
            if self._browser is None or not self._browser.is_connected():
                self._executable = find_chromium()
                self._browser = await launch(self._pw, self._executable)
            return self._browser

    async def _audit(self, job: SiteJob) -> Any:
        browser = await self._browser_up()
        return await audit_site(self._pw, browser, self._executable or "", job)

    def audit(self, job: SiteJob, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(self._audit(job), self._ensure_loop()).result(timeout)

    def reset(self) -> None:
        """Drop the browser after a failure: the next audit starts a fresh one."""

        async def close() -> None:
            from playwright.async_api import Error as PlaywrightError

            if self._browser is not None:
                try:
                    await self._browser.close()
                except PlaywrightError:  # it may be dead already
                    log.debug("cookiecharter: the browser was already gone when closed", exc_info=True)
            self._browser = None

        if self._loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
            except Exception:  # a cleanup after a failure must not replace that failure: forget the browser anyway
                log.warning("cookiecharter: the browser would not close; a fresh one is started", exc_info=True)
                self._browser = None


_host = BrowserHost()


def _site_budget(job: SiteJob) -> float:
    # Generous: every page of every phase may use its whole timeout, a few at a time.
    return 120 + job.pages * 4 * (job.timeout + job.settle + 5) / max(1, job.concurrency)


@app.task(bind=True, name="cookiecharter.scan_site", max_retries=2, acks_late=True, reject_on_worker_lost=True)
def scan_site(self: Any, job: dict[str, Any]) -> dict[str, Any]:
    from ..runner import SiteUnreachable

    site = SiteJob(**job)
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    attempts = self.request.retries + 1 + (1 if redelivered else 0)
    base = {"url": site.url, "worker": self.request.hostname, "attempts": attempts, "redelivered": redelivered}
    try:
        report = _host.audit(site, _site_budget(site))
    except SiteUnreachable as exc:
        return {**base, "status": "failed", "error": str(exc)}
    except Exception as exc:  # a crashed page or browser: a fresh browser, and the site again
        log.warning("cookiecharter: the audit of %s failed (attempt %d)", site.url, attempts, exc_info=True)
        _host.reset()
        if self.request.retries >= self.max_retries:
            return {**base, "status": "failed", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        raise self.retry(exc=exc, countdown=1) from None
    return {**base, "status": "audited", "report": report.model_dump_json()}
