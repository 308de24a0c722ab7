"""Which Chromium to drive, and how to start it.

The scanner never downloads a browser: it drives one already installed (Debian's ``chromium``,
Google Chrome, or any build given by path), so an audit runs the same offline as in CI.
"""

from __future__ import annotations

import os
import shutil

#: Keep the browser from talking to anything but the audited pages: no background updates,
#: component downloads, sync or first-run calls home. ``--no-sandbox`` because audits often run
#: as root in containers, where Chromium's sandbox cannot start.
#:
#: ``--disable-blink-features=AutomationControlled`` keeps ``navigator.webdriver`` false: several
#: consent managers (vanilla-cookieconsent by default) show no banner to a browser that says it
#: is automated, and an audit must see what a visitor sees.
LAUNCH_ARGS: tuple[str, ...] = (
    "--disable-blink-features=AutomationControlled",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

#: Playwright's own flags that announce automation to the page (the "controlled by automated
#: software" state), left out for the same reason.
IGNORED_DEFAULT_ARGS: tuple[str, ...] = ("--enable-automation",)

#: Looked up on PATH in this order when neither --browser nor $COOKIECHARTER_CHROMIUM says.
CANDIDATES: tuple[str, ...] = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

ENV_VAR = "COOKIECHARTER_CHROMIUM"


class BrowserNotFound(RuntimeError):
    """No usable Chromium: the message says what was tried and what to install."""


def find_chromium(explicit: str | None = None) -> str:
    """The path of the Chromium executable to drive.

    ``explicit`` (the --browser option) wins, then ``$COOKIECHARTER_CHROMIUM``, then the PATH.
    """
    for origin, value in (("--browser", explicit), (f"${ENV_VAR}", os.environ.get(ENV_VAR))):
        if value:
            path = value if os.path.sep in value else shutil.which(value)
            if path and os.path.isfile(path) and os.access(path, os.X_OK):
                return path
            raise BrowserNotFound(f"{origin} names {value!r}, which is not an executable file.")
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserNotFound(
        "No Chromium found: none of " + ", ".join(CANDIDATES) + " is on the PATH. "
        "Install one (on Debian or Ubuntu: `apt-get install chromium`), or pass --browser PATH, "
        f"or set ${ENV_VAR}."
    )
