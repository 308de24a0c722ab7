"""Fixture sites for the scanner, served for real on 127.0.0.1 (and, as another site, localhost).

``site_server(name)`` serves ``tests/scan/sites/NAME/`` with a threaded ``http.server`` on a free
port. The same server answers as ``http://127.0.0.1:PORT`` (the audited site) and as
``http://localhost:PORT`` (a different site for the browser: the third party that frames set
cookies from). Files are plain; two conventions add what static files cannot say:

- ``FILE.headers``: extra response headers for FILE, one ``Name: value`` per line (a
  ``Content-Type`` replaces the one guessed from the name); a line starting with ``@gpc `` is
  sent only when the request carries ``Sec-GPC: 1``; ``@sleep N`` delays the answer by N seconds
  (a page that times out); ``@no-head`` answers HEAD requests with 501, as some servers do;
- ``{{SELF}}`` and ``{{THIRD}}`` in HTML, JS and XML are replaced by the two origins;
- ``/_shared/`` serves ``sites/_shared/`` (the stand-in consent manager the banner sites use);
- ``/_lib/`` serves ``libraries/node_modules/``: real consent-manager libraries installed from
  npm, unmodified (``npm_libraries`` installs them), which the ``lib-*`` sites are built on.

Every request is logged on the server object, so a test can check what was (not) visited.
"""

from __future__ import annotations

import http.server
import mimetypes
import os
import shutil
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SITES = Path(__file__).parent / "sites"
LIBRARIES = Path(__file__).parent / "libraries"
UNDER_CI = os.environ.get("CI") == "true"


@dataclass
class SiteServer:
    name: str
    root: Path
    port: int
    requests: list[tuple[str, str]] = field(default_factory=list)  # (host, path)
    methods: list[tuple[str, str]] = field(default_factory=list)  # (method, path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def third(self) -> str:
        return f"http://localhost:{self.port}"

    def visited(self, path: str) -> bool:
        return any(p.split("?")[0] == path for _, p in self.requests)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler(site: SiteServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet: pytest shows failures, not traffic
            pass

        def do_HEAD(self) -> None:  # http.server's naming
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:  # http.server's naming
            site.requests.append((self.headers.get("Host", ""), self.path))
            site.methods.append(("HEAD" if head else "GET", self.path))
            path = self.path.split("?")[0].split("#")[0]
            root = site.root
            if path.startswith("/_shared/"):  # the stand-in consent manager every banner site uses
                root, path = SITES / "_shared", path[len("/_shared") :]
            elif path.startswith("/_lib/"):  # the real libraries, as npm installed them
                root, path = LIBRARIES / "node_modules", path[len("/_lib") :]
            target = (root / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if root.resolve() not in target.parents or not target.is_file():
                body = b"not found"
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            sidecar = target.with_name(target.name + ".headers")
            extra = sidecar.read_text(encoding="utf-8").splitlines() if sidecar.is_file() else []
            if head and "@no-head" in extra:
                self.send_response(501)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            for line in extra:
                if line.startswith("@sleep "):  # a page that answers too late
                    time.sleep(float(line.split()[1]))
            body = target.read_bytes()
            ctype = mimetypes.guess_type(target.name)[0] or "text/html"
            if target.suffix in (".html", ".js", ".xml", ".txt"):
                body = (
                    body.decode("utf-8")
                    .replace("{{SELF}}", f"http://127.0.0.1:{site.port}")
                    .replace("{{THIRD}}", site.third)
                    .encode("utf-8")
                )
                ctype += "; charset=utf-8"
            for line in extra:
                if line.lower().startswith("content-type:"):
                    ctype = line.partition(":")[2].strip()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for line in extra:
                if (
                    not line.strip()
                    or line.startswith(("#", "@sleep ", "@no-head"))
                    or line.lower().startswith("content-type:")
                ):
                    continue
                if line.startswith("@gpc "):
                    if self.headers.get("Sec-GPC") != "1":
                        continue
                    line = line[len("@gpc ") :]
                name, _, value = line.partition(":")
                self.send_header(name.strip(), value.strip())
            self.end_headers()
            if head:
                return
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser gave up on a page that hangs on purpose

    return Handler


@pytest.fixture(scope="module")
def site_server() -> Iterator[Callable[[str], SiteServer]]:
    """``site_server("basic")`` serves tests/scan/sites/basic/; every server stops after the module."""
    running: list[_Server] = []
    by_name: dict[str, SiteServer] = {}

    def start(name: str) -> SiteServer:
        if name in by_name:
            return by_name[name]
        root = SITES / name
        assert root.is_dir(), f"no fixture site {root}"
        site = SiteServer(name, root, 0)
        server = _Server(("127.0.0.1", 0), _handler(site))
        site.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name=f"site-{name}", daemon=True).start()
        running.append(server)
        by_name[name] = site
        return site

    yield start
    for server in running:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def npm_libraries() -> Path:
    """The consent-manager libraries of libraries/package.json, installed from npm at the pinned
    versions (``npm ci``, again whenever the lock file is newer than the install)."""
    installed = LIBRARIES / "node_modules" / ".package-lock.json"
    lock = LIBRARIES / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        npm = shutil.which("npm")
        if npm is None:
            if UNDER_CI:
                pytest.fail("CI=true requires npm for the consent-manager libraries")
            pytest.skip("npm is not installed: the tests on real consent-manager libraries need it")
        done = subprocess.run(
            [npm, "ci", "--prefix", str(LIBRARIES), "--no-audit", "--no-fund", "--ignore-scripts"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"npm ci failed:\n{done.stderr[-2000:]}")
    return LIBRARIES / "node_modules"


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium the scanner will drive; skips (fails under CI=true) when there is none."""
    from cookiecharter.scan.browser import BrowserNotFound, find_chromium

    try:
        return find_chromium()
    except BrowserNotFound as exc:
        if UNDER_CI:
            pytest.fail(f"CI=true requires a Chromium: {exc}")
        pytest.skip(str(exc))


def run_scan(url: str, out: Path, charter: str | Path | None = None, pages: int = 5, **options: object):
    """Scan ``url`` through the same entry point as the command; returns (status, report, output)."""
    import io

    from cookiecharter.scan.command import ScanRequest, execute

    stdout, stderr = io.StringIO(), io.StringIO()
    request = ScanRequest(url=url, charter=str(charter) if charter else None, pages=pages, out=str(out), **options)  # type: ignore[arg-type]
    status, report = execute(request, out=stdout, err=stderr)
    return status, report, stdout.getvalue() + stderr.getvalue()


@pytest.fixture(scope="session")
def scanner() -> Callable[..., tuple]:
    """``scanner(url, out_dir, charter=None, pages=5, **options)`` -> (status, report, output)."""
    return run_scan
