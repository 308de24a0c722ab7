"""One site's audit as plain values, and running it in a browser that is already up."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from ...core.charter import Charter
from ...core.framework_cookies import FrameworkCookies, declare_framework_cookies
from ...core.loading import loads_charter
from ..knowledge import default_knowledge_base
from ..model import Report
from ..report import build_report


@dataclass(frozen=True)
class SiteJob:
    """Everything a worker needs to audit one site, JSON-serialisable: the charter travels as
    its text, since a worker may run on another machine."""

    url: str
    pages: int = 5
    timeout: float = 20.0
    concurrency: int = 4
    settle: float = 1.0
    charter_text: str | None = None
    charter_path: str | None = None
    django_cookies: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def charter(self) -> Charter | None:
        if self.charter_text is None:
            return None
        charter = loads_charter(self.charter_text, self.charter_path or "charter.toml")
        return declare_framework_cookies(charter, FrameworkCookies()) if self.django_cookies else charter


def slug(url: str) -> str:
    """A directory name for a site's reports: readable, and unique per URL."""
    parts = urlsplit(url)
    readable = re.sub(r"[^A-Za-z0-9.-]+", "-", f"{parts.hostname or 'site'}-{parts.port or ''}{parts.path}").strip("-")
    return f"{readable[:60]}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def read_sites(path: str) -> list[str]:
    """URLs of a sites file: one per line; blank lines and lines starting with # are skipped."""
    with open(path, encoding="utf-8") as fh:
        lines = [line.strip() for line in fh]
    sites = list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))
    bad = [u for u in sites if not u.startswith(("http://", "https://"))]
    if bad:
        raise ValueError(f"{path}: not http(s) URLs: {', '.join(bad[:5])}")
    return sites


async def audit_site(pw: Any, browser: Any, executable: str, job: SiteJob) -> Report:
    """Audit one site in ``browser``; raises ``runner.SiteUnreachable`` when its start page
    cannot be loaded, and Playwright's errors when the browser itself fails."""
    from ..runner import ScanOptions, scan_in

    kb = default_knowledge_base()
    options = ScanOptions(
        url=job.url, pages=job.pages, timeout_s=job.timeout, concurrency=job.concurrency, settle_s=job.settle
    )
    started = datetime.now(timezone.utc)
    raw = await scan_in(pw, browser, executable, options, None, kb.vendor_of_host, kb.category_of)
    return build_report(raw, job.charter(), job.charter_path, kb, started)
