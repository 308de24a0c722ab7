"""The client side of a distributed audit: send every site to the workers, gather the reports."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ..model import Report
from .jobs import SiteJob

log = logging.getLogger("cookiecharter.scan")

Progress = Callable[[int, int, str, str], None]


class BrokerUnavailable(RuntimeError):
    pass


def run_distributed(
    jobs_list: list[SiteJob], broker: str, progress: Progress | None = None, deadline_s: float = 3600.0
) -> list[tuple[SiteJob, Report | None, int, str | None, str | None]]:
    """(job, report or None, attempts, error, worker) per site, in the order given. Sites still
    without an answer at ``deadline_s`` are reported as failed (no worker took them)."""
    from kombu.exceptions import OperationalError

    from . import tasks

    tasks.configure(tasks.app, broker)
    try:
        sent = [tasks.scan_site.apply_async(args=(job.as_dict(),)) for job in jobs_list]
    except OperationalError as exc:
        raise BrokerUnavailable(f"cannot reach the broker {broker}: {exc}") from None
    answers: dict[int, dict[str, Any]] = {}
    end = time.monotonic() + deadline_s
    while len(answers) < len(sent) and time.monotonic() < end:
        for i, result in enumerate(sent):
            if i in answers or not result.ready():
                continue
            try:
                answers[i] = result.get(timeout=5, propagate=True)
            except Exception as exc:
                # The task itself failed: Celery re-raises whatever the worker raised, of any type.
                # Reported as that site's failure, never fatal to the others.
                log.debug("cookiecharter: the audit of %s failed on its worker", jobs_list[i].url, exc_info=True)
                answers[i] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "attempts": 1}
            if progress:
                progress(len(answers), len(sent), jobs_list[i].url, answers[i].get("status", "failed"))
        time.sleep(0.2)
    out = []
    for i, job in enumerate(jobs_list):
        answer = answers.get(i) or {"status": "failed", "error": "no worker answered in time", "attempts": 0}
        report = Report.model_validate_json(answer["report"]) if answer.get("status") == "audited" else None
        out.append((job, report, int(answer.get("attempts", 1)), answer.get("error"), answer.get("worker")))
    return out
