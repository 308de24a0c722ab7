"""Many sites in this process: one browser, a bounded number of sites at once.

Each site's audit opens four contexts (its phases) and up to ``concurrency`` pages; ``jobs``
sites run at once, so at most ``jobs * 4`` contexts are open. A site whose audit fails because the
browser died is tried again in a fresh browser (up to ``attempts`` times); a site that cannot be
loaded is reported as failed, and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..model import Report
from .jobs import SiteJob, audit_site

log = logging.getLogger("cookiecharter.scan")

#: progress(done, total, url, outcome word)
Progress = Callable[[int, int, str, str], None]


async def run_local(
    jobs_list: list[SiteJob], executable: str, jobs: int = 2, attempts: int = 2, progress: Progress | None = None
) -> list[tuple[SiteJob, Report | None, int, str | None]]:
    """(job, report or None, attempts used, error) per site, in the order given."""
    from playwright.async_api import async_playwright

    from ..runner import SiteUnreachable, launch

    results: list[Any] = [None] * len(jobs_list)
    slots = asyncio.Semaphore(max(1, jobs))
    done = 0
    async with async_playwright() as pw:
        holder = {"browser": await launch(pw, executable)}
        relaunch = asyncio.Lock()

        async def browser() -> Any:
            async with relaunch:
                if not holder["browser"].is_connected():
                    holder["browser"] = await launch(pw, executable)
                return holder["browser"]

        async def one(index: int, job: SiteJob) -> None:
            nonlocal done
            async with slots:
                error: str | None = None
                report: Report | None = None
                used = 0
                for attempt in range(1, attempts + 1):
                    used = attempt
                    try:
                        report = await audit_site(pw, await browser(), executable, job)
                        error = None
                        break
                    except SiteUnreachable as exc:
                        error = str(exc)
                        break  # the site, not the browser: another try would say the same
                    except Exception as exc:  # a crashed browser or page: try again (and report it if it stays)
                        log.debug("cookiecharter: attempt %d at %s failed", attempt, job.url, exc_info=True)
                        error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                results[index] = (job, report, used, error)
                done += 1
                if progress:
                    progress(done, len(jobs_list), job.url, "failed" if report is None else "audited")

        try:
            await asyncio.gather(*(one(i, j) for i, j in enumerate(jobs_list)))
        finally:
            if holder["browser"].is_connected():
                await holder["browser"].close()
    return results
