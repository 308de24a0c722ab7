"""The browser-test harness: a real Chromium driven by Playwright, and the demo portal run for real.

Fixtures (tests under tests/browser/ get them; every test here is marked ``browser``):

- ``chromium_path``: the Chromium to drive, found as ``scripts/ensure_chromium.py`` finds it
  (``$COOKIECHARTER_CHROMIUM``, then ``chromium`` on the PATH, then Playwright's own download).
  Skips with the reason when there is none; under ``CI=true`` that is a failure instead.
- ``playwright`` / ``browser``: the Playwright runtime and a headless Chromium. Module-scoped,
  not session-scoped, on purpose: Playwright's sync API leaves an asyncio loop marked as running
  in the main thread while it lives, and Django then refuses every in-process ORM call
  (SynchronousOnlyOperation) in the tests that follow. So the browser is closed at the end of
  each browser test module, and browser tests look at the demo's database with ``sqlite3``
  (``demo.db_path``) or through its pages, not through the ORM.
- ``context`` / ``page``: a fresh browser context (empty cookie jar, locale fr-FR, 1280x900) per
  test, closed after; on a failure a screenshot of each open page is saved under
  ``test-artifacts/``.
- ``new_context(**options)``: more contexts in one test (a phone viewport, dark mode, a locale...).
- ``new_regular_context(**options)``: a context on a regular profile that accepts third-party
  cookies, as a visitor's Chrome does (Playwright's contexts are incognito-like and block them).
- ``screenshot(page, name)``: save a PNG under ``test-artifacts/`` and return its path.
- ``demo_server(charter=None, extra_env=None)``: a factory starting a private demo portal (its own
  temporary SQLite file, migrated, with the demo user) on a free port of 127.0.0.1 and the map
  widget on a free port of ``localhost`` (another site for the browser); waits until both answer;
  stops both after the test, failed or not.
- ``demo``: one such portal for the whole session, on ``demo/charter.toml``; its installation also
  serves the sister portal (``demo.sister_url``, ``demo/charter-sister.toml``) on the same port.

When a test fails, the logs of the servers it started are printed under the failure, and every
page still open is saved as a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = ROOT / "demo"
ARTIFACTS = ROOT / "test-artifacts"
DEFAULT_CHARTER = DEMO_DIR / "charter.toml"
SEED_CHARTER = DEMO_DIR / "charter-seed.toml"
#: The sister portal's host name: browsers resolve ``*.localhost`` to the loopback address themselves.
SISTER_HOST = "sainte-victoire.localhost"

#: The launch arguments every browser test uses (no sandbox as root in CI; no background traffic).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: The demo's back-office user (created by ``manage.py demo_user``).
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-portail"
DEMO_USER_FULL_NAME = "Camille Martin"

UNDER_CI = os.environ.get("CI") == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Keep each phase's report on the item, so fixtures can tell in their teardown that a test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- the browser -------------------------------------------------------------------------------


def _load_chromium_finder():
    spec = importlib.util.spec_from_file_location("ensure_chromium", ROOT / "scripts" / "ensure_chromium.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def chromium_path() -> str:
    finder = _load_chromium_finder()
    found = finder.find_chromium() or finder.playwright_chromium()
    if not found:
        message = (
            "no Chromium found: set COOKIECHARTER_CHROMIUM or install Debian's chromium package "
            "(`make test` installs one when it can)"
        )
        if UNDER_CI:
            pytest.fail("CI=true requires a Chromium: " + message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def playwright():
    """The Playwright runtime shared by ``browser`` and ``new_regular_context`` (one per module)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the test extra installs it; say so rather than error obscurely
        pytest.fail(f"Playwright is not installed ({exc}); run `make test` or pip install -e '.[test]'")
    with sync_playwright() as runtime:
        yield runtime


@pytest.fixture(scope="module")
def browser(playwright, chromium_path: str):
    launched = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=LAUNCH_ARGS)
    try:
        yield launched
    finally:
        launched.close()


def _save(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = ARTIFACTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, "name")`` saves ``test-artifacts/name.png`` (full page) and returns its path."""
    return _save


@pytest.fixture
def new_context(browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., object]]:
    """Make fresh browser contexts (``new_context(viewport=..., color_scheme="dark")``); all closed after."""
    made = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        # A visitor of a French city's portal: Accept-Language fr, so "/" leads to "/fr/".
        options.setdefault("locale", "fr-FR")
        ctx = browser.new_context(**options)
        # A slow page should fail a test with a message, not hang the suite.
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    yield make
    failed = getattr(request.node, "report_call", None)
    for number, ctx in enumerate(made):
        if failed is not None and failed.failed:
            for index, open_page in enumerate(ctx.pages):
                try:
                    _save(open_page, f"FAILED-{request.node.name}-{number}-{index}")
                except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
                    pass
        ctx.close()


#: What a regular desktop Chrome profile allows by default: third-party cookies. Playwright's
#: ``browser.new_context()`` is an incognito-like context, and Chromium blocks third-party cookies
#: there ("UserPreferences" in DevTools' blocked reasons), so a third-party embed's cookie would
#: never show up, consent or not.
REGULAR_PROFILE_PREFERENCES = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}


@pytest.fixture
def new_regular_context(
    playwright, chromium_path: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., object]]:
    """Make browser contexts on a regular (persistent, temporary) profile that accepts third-party
    cookies, as most visitors' browsers do: for tests about embeds and their cookies. Each is a
    browser process of its own, so use it only where third-party cookies matter."""
    made: list[tuple[object, Path]] = []

    def make(**options):
        profile = Path(tempfile.mkdtemp(prefix="cookiecharter-profile-"))
        (profile / "Default").mkdir()
        (profile / "Default" / "Preferences").write_text(json.dumps(REGULAR_PROFILE_PREFERENCES))
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "fr-FR")
        ctx = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=chromium_path, headless=True, args=LAUNCH_ARGS, **options
        )
        ctx.set_default_timeout(15_000)
        made.append((ctx, profile))
        return ctx

    try:
        yield make
    finally:
        failed = getattr(request.node, "report_call", None)
        for number, (ctx, profile) in enumerate(made):
            if failed is not None and failed.failed:
                for index, open_page in enumerate(ctx.pages):
                    try:
                        _save(open_page, f"FAILED-{request.node.name}-regular{number}-{index}")
                    except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
                        pass
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def context(new_context):
    """A fresh browser context: an empty cookie jar, desktop viewport."""
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


# --- the demo portal ---------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now, all different (the OS picks them; the servers bind them
    a moment later). The sockets are held together so the OS cannot hand out one port twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class DemoServer:
    """One running demo portal and its map widget, each a subprocess with its own log file."""

    url: str
    #: The sister portal of the same installation (demo/charter-sister.toml: no banner).
    sister_url: str
    widget_url: str
    db_path: Path | None
    charter: Path
    workdir: Path
    env: dict[str, str]
    username: str = DEMO_USERNAME
    password: str = DEMO_PASSWORD
    user_full_name: str = DEMO_USER_FULL_NAME
    processes: list[subprocess.Popen] = field(default_factory=list)

    def log(self) -> str:
        """What both servers printed so far (for assertions and failure messages)."""
        parts = []
        for name in ("portal.log", "widget.log"):
            path = self.workdir / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(errors="replace"))
        return "\n".join(parts)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def _manage(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, str(DEMO_DIR / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait_until_answering(url: str, process: subprocess.Popen, server: DemoServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {process.returncode}:\n{server.log()}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is up
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s:\n{server.log()}")


def start_demo(charter: str | Path | None = None, extra_env: dict[str, str] | None = None) -> DemoServer:
    """Start a private demo portal and widget server; the caller must call ``.stop()``."""
    charter_path = Path(charter) if charter else DEFAULT_CHARTER
    workdir = Path(tempfile.mkdtemp(prefix="cookiecharter-demo-"))
    port, widget_port = free_ports(2)
    db_path: Path | None = workdir / "demo.sqlite3"
    env = dict(os.environ)
    # pytest-django points this at the tests' settings; the portal has its own.
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env.update(
        COOKIECHARTER_CHARTER=str(charter_path),
        DEMO_DATABASE=str(db_path),
        DEMO_LEDGER_DIRECTORY=str(workdir / "ledger"),
        DEMO_WIDGET_ORIGIN=f"http://localhost:{widget_port}",
        DEMO_DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    if env["DEMO_DATABASE"] != str(db_path):
        db_path = None  # the test chose another database (PostgreSQL, say)
    server = DemoServer(
        url=f"http://127.0.0.1:{port}",
        sister_url=f"http://{env.get('DEMO_SISTER_HOST', SISTER_HOST)}:{port}",
        widget_url=f"http://localhost:{widget_port}",
        db_path=db_path,
        charter=charter_path,
        workdir=workdir,
        env=env,
    )
    try:
        _manage(["migrate", "--noinput"], env)
        _manage(["demo_user"], env)
        with (workdir / "widget.log").open("w") as widget_log:
            server.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(DEMO_DIR / "widget" / "server.py"),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(widget_port),
                    ],
                    env=env,
                    stdout=widget_log,
                    stderr=subprocess.STDOUT,
                )
            )
        with (workdir / "portal.log").open("w") as portal_log:
            # --insecure serves the static files with DEBUG off, as the demo needs no other server.
            server.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(DEMO_DIR / "manage.py"),
                        "runserver",
                        "--noreload",
                        "--insecure",
                        f"127.0.0.1:{port}",
                    ],
                    env=env,
                    stdout=portal_log,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_until_answering(f"http://127.0.0.1:{widget_port}/privacy", server.processes[0], server)
        _wait_until_answering(f"{server.url}/", server.processes[1], server)
    except BaseException:
        server.stop()
        raise
    return server


def _print_log_if_failed(request: pytest.FixtureRequest, server: DemoServer) -> None:
    # Printed in teardown, pytest shows it under the failure: the server's traceback, if any.
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(f"\n=== demo server {server.url} (charter {server.charter.name})\n{server.log()[-20_000:]}")


@pytest.fixture
def demo_server(request: pytest.FixtureRequest) -> Iterator[Callable[..., DemoServer]]:
    """``demo_server(charter=None, extra_env=None)`` starts a private portal, stopped after the test."""
    started: list[DemoServer] = []

    def start(charter: str | Path | None = None, extra_env: dict[str, str] | None = None) -> DemoServer:
        server = start_demo(charter, extra_env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        _print_log_if_failed(request, server)
        shutil.rmtree(server.workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def demo() -> Iterator[DemoServer]:
    """The demo portal on ``demo/charter.toml``, shared by the whole session: do not change its data
    in a way another test would notice (use ``demo_server`` for that)."""
    server = start_demo(DEFAULT_CHARTER)
    yield server
    server.stop()
    shutil.rmtree(server.workdir, ignore_errors=True)
