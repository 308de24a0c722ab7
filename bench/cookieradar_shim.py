"""Run cookieradar's ``audit`` against the system Chromium, offline: ``python bench/cookieradar_shim.py URL``.

cookieradar launches ``playwright.chromium.launch(headless=...)`` with Playwright's own browser
build, which is not installed here (and must not be downloaded). This shim only adds
``executable_path`` and the launch arguments every browser in this project uses; the scan itself
is cookieradar's, unchanged.

cookieradar's report also runs a "law check" that downloads legal texts from EUR-Lex and
Normattiva. A benchmark must send nothing off the machine, so that step is replaced by "no law
check" (its report handles that case itself); it runs after the browser sessions, so the scan
being timed is untouched.
"""

from __future__ import annotations

import os
import shutil
import sys

from playwright.async_api import BrowserType

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHROMIUM = os.environ.get("COOKIECHARTER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

_launch = BrowserType.launch


async def _launch_system_chromium(self, **kwargs):  # Playwright's own signature
    kwargs.setdefault("executable_path", CHROMIUM)
    kwargs["args"] = [*(kwargs.get("args") or []), *LAUNCH_ARGS]
    return await _launch(self, **kwargs)


BrowserType.launch = _launch_system_chromium  # type: ignore[method-assign]


def main() -> None:
    import cookieradar.cli as cli

    cli._law_check = lambda subject, out=None, **context: None  # no download of legal texts
    sys.argv = ["cookieradar", "audit", *sys.argv[1:]]
    cli.app()


if __name__ == "__main__":
    main()
