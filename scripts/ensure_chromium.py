#!/usr/bin/env python3
"""Find a Chromium for the browser tests, installing one only in the ways the project allows.

Order (see docs and ``tests/browser/conftest.py``, which looks the same way):
1. ``$COOKIECHARTER_CHROMIUM`` when it names an executable file;
2. ``chromium`` (or ``chromium-browser``) on the PATH, e.g. Debian's package;
3. as root with apt: ``apt-get update && apt-get install -y chromium``;
4. Playwright's own installer (``python -m playwright install chromium``), where the network allows it;
5. otherwise stop with a message that says what to install.

Prints the executable's path on stdout (and nothing else there), so a Makefile can capture it:
``COOKIECHARTER_CHROMIUM=$(python scripts/ensure_chromium.py)``. Progress goes to stderr.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

NAMES = ("chromium", "chromium-browser")


def _say(message: str) -> None:
    print(f"ensure_chromium: {message}", file=sys.stderr)


def find_chromium() -> str | None:
    """The first Chromium found by the environment variable or on the PATH, else None."""
    named = os.environ.get("COOKIECHARTER_CHROMIUM")
    if named:
        if os.path.isfile(named) and os.access(named, os.X_OK):
            return named
        _say(f"COOKIECHARTER_CHROMIUM={named!r} is not an executable file; looking elsewhere")
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_chromium() -> str | None:
    """The Chromium that Playwright's installer put in its cache, if any."""
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-*/headless_shell"):
        hits = sorted(glob.glob(str(cache / pattern)))
        if hits:
            return hits[-1]
    return None


def _run(command: list[str]) -> bool:
    _say("running " + " ".join(command))
    try:
        return subprocess.run(command, stdout=sys.stderr, check=False).returncode == 0
    except OSError as exc:
        _say(f"could not run {command[0]}: {exc}")
        return False


def ensure_chromium() -> str | None:
    found = find_chromium()
    if found:
        return found
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if is_root and shutil.which("apt-get"):
        _say("no Chromium found; installing Debian's chromium package")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(["apt-get", "update"], stdout=sys.stderr, env=env).returncode == 0 and (
            subprocess.run(["apt-get", "install", "-y", "chromium"], stdout=sys.stderr, env=env).returncode == 0
        ):
            found = find_chromium()
            if found:
                return found
    _say("trying Playwright's own installer")
    if _run([sys.executable, "-m", "playwright", "install", "chromium"]):
        found = playwright_chromium()
        if found:
            return found
    return None


def main() -> int:
    found = ensure_chromium()
    if not found:
        _say(
            "no Chromium available. Install one and run again, for example:\n"
            "  Debian/Ubuntu:  sudo apt-get install chromium\n"
            "  or point COOKIECHARTER_CHROMIUM at a Chromium or Chrome executable."
        )
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
