#!/usr/bin/env python3
"""Start the demo: the platform's two portals on port 8000 and the map widget on http://localhost:8001.

The main portal answers on http://127.0.0.1:8000 and the sister portal on
http://sainte-victoire.localhost:8000 (browsers resolve ``*.localhost`` to this machine by
themselves): one installation, one database, one back office, two charters.

``make demo`` runs this with the project's virtualenv. It migrates the SQLite database
(demo/db.sqlite3), creates the demo back-office user, seeds six weeks of history (once), prints the URLs and the credentials, then runs
both servers until Ctrl-C, which stops both.

Options through the environment: DEMO_PORT (8000), DEMO_WIDGET_PORT (8001), and those of
portal/settings.py (DEMO_DATABASE, COOKIECHARTER_CHARTER, DEMO_DEBUG).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
MANAGE = DEMO_DIR / "manage.py"
WIDGET = DEMO_DIR / "widget" / "server.py"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers themselves do, so a port left in TIME_WAIT by a previous run counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(MANAGE), *args], check=True, env=env)


def main() -> int:
    port = int(os.environ.get("DEMO_PORT", "8000"))
    widget_port = int(os.environ.get("DEMO_WIDGET_PORT", "8001"))
    for wanted in (port, widget_port):
        if not _port_free(wanted):
            print(
                f"Port {wanted} on 127.0.0.1 is already in use: stop what runs there, or set "
                "DEMO_PORT / DEMO_WIDGET_PORT.",
                file=sys.stderr,
            )
            return 1

    env = dict(os.environ)
    env.setdefault("DEMO_WIDGET_ORIGIN", f"http://localhost:{widget_port}")
    _manage("migrate", "--noinput", "-v", "0", env=env)
    _manage("demo_user", env=env)
    # The back office's first look: a seeded history, each part once (a site or a ledger that already
    # has it is left alone), so a second `make demo` adds nothing.
    # - six weeks of choices on both portals, two charter versions each, sealed day by day:
    _manage("demo_history", env=env)
    # - the seeded audits go here (two runs, one of which found a problem).

    # -- Audits (issue 14, item 2): two seeded runs of the main portal, the second with a problem. --
    _manage("demo_audits", "--url", f"http://127.0.0.1:{port}", env=env)
    # -- end of the audits' seeding ------------------------------------------------------------

    portal = f"http://127.0.0.1:{port}"
    sister = f"http://{env.get('DEMO_SISTER_HOST', 'sainte-victoire.localhost')}:{port}"
    print(
        "\n  Main portal      " + f"{portal}/fr/  ({portal}/en/)   charter with consent purposes, banner\n"
        "  Charter page     " + f"{portal}/fr/cookies/   PDF: {portal}/fr/cookies/pdf/\n"
        "  Sister portal    " + f"{sister}/fr/   the seed's four cookies, no banner (open it in a browser)\n"
        "  Back office      " + f"{portal}/admin/   (both portals; the overview switches between them)\n"
        "  Map widget       " + f"{env['DEMO_WIDGET_ORIGIN']}/map?dataset=fontaines\n"
        "  Demo user        demo / demo-portail\n"
        "\n  Ctrl-C stops both servers.\n",
        flush=True,
    )

    children = [
        subprocess.Popen([sys.executable, str(WIDGET), "--host", "127.0.0.1", "--port", str(widget_port)], env=env),
        subprocess.Popen([sys.executable, str(MANAGE), "runserver", "--noreload", f"127.0.0.1:{port}"], env=env),
    ]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    # Ctrl-C and SIGTERM only set a flag: a KeyboardInterrupt raised in the middle of
    # Popen.poll() can leave the Popen's internal lock held, and the wait() below would then
    # block for ever.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    crashed = [child for child in children if child.poll() is not None]
    # Ctrl-C in a terminal reaches the children too; terminate covers SIGTERM and a crashed sibling.
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if crashed and not stopping:
        print("\nA server stopped by itself (see its messages above); the demo is stopped.", file=sys.stderr)
        return 1
    print("\nDemo stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
