"""MapWidget: the demo's third-party map service, a tiny WSGI app on the standard library alone.

It stands for the kind of embed a public portal uses (a map or video provider): it runs on another
host name than the portal (http://localhost:8001 against http://127.0.0.1:8000), so the browser
treats it as a third party, and it sets its own cookie, ``mapwidget_session``, which the portal's
charter declares under the "embeds" purpose that needs consent.

    python demo/widget/server.py [--host 127.0.0.1] [--port 8001]

Routes: ``/map?dataset=SLUG`` (an HTML page drawing the dataset's points as SVG), ``/privacy``,
``/map.css``. No script, no inline style, nothing fetched from elsewhere.
"""

from __future__ import annotations

import argparse
import csv
import html
import secrets
import sys
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
COOKIE_NAME = "mapwidget_session"
ONE_YEAR = 31_557_600  # seconds, the "1 year" the charter declares

StartResponse = Callable[[str, list[tuple[str, str]]], object]

STYLE = """\
:root { color-scheme: light dark; --bg: #eef3f0; --land: #dfe9e2; --grid: #c9d6cd; --ink: #1e1e1e;
  --dot: #000091; --halo: #ffffff; --muted: #4d4d4d; }
@media (prefers-color-scheme: dark) { :root { --bg: #1b2320; --land: #222c28; --grid: #34423c;
  --ink: #eeeeee; --dot: #9a9aff; --halo: #111111; --muted: #bbbbbb; } }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--ink);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
body { display: flex; flex-direction: column; }
header { display: flex; justify-content: space-between; gap: 1rem; padding: 0.5rem 0.75rem;
  border-bottom: 1px solid var(--grid); }
header strong { font-weight: 700; }
header a { color: inherit; }
svg { flex: 1; width: 100%; min-height: 0; display: block; }
.land { fill: var(--land); }
.grid { stroke: var(--grid); stroke-width: 1; }
.point { fill: var(--dot); stroke: var(--halo); stroke-width: 2; }
.point:hover { r: 9; }
.label { fill: var(--muted); font-size: 11px; }
main.text { padding: 1.5rem; max-width: 40rem; }
"""


def _dataset_points(slug: str) -> tuple[str, list[tuple[str, float, float]]] | None:
    """(title, [(name, latitude, longitude)]) of a dataset's CSV file, or None if there is none."""
    if not slug or "/" in slug or "\\" in slug or slug.startswith("."):
        return None
    path = DATA_DIR / f"{slug}.csv"
    if not path.is_file():
        return None
    points = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                lat, lon = float(row["latitude"]), float(row["longitude"])
            except (KeyError, TypeError, ValueError):
                continue  # a row without a position is simply not drawn
            name = row.get("nom") or row.get("nom_commun") or row.get("identifiant") or ""
            points.append((name, lat, lon))
    return slug.replace("-", " ").capitalize(), points


def _svg(points: list[tuple[str, float, float]], width: int = 800, height: int = 500) -> str:
    """The points on an equirectangular projection fitted to their bounds, with a faint grid."""
    margin = 40
    lats = [p[1] for p in points] or [0.0]
    lons = [p[2] for p in points] or [0.0]
    span_lat = max(max(lats) - min(lats), 1e-3)
    span_lon = max(max(lons) - min(lons), 1e-3)
    scale = min((width - 2 * margin) / span_lon, (height - 2 * margin) / span_lat)
    off_x = (width - span_lon * scale) / 2
    off_y = (height - span_lat * scale) / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        'preserveAspectRatio="xMidYMid meet" role="img" aria-label="Carte des points">',
        f'<rect class="land" x="0" y="0" width="{width}" height="{height}"/>',
    ]
    for i in range(1, 8):
        x = i * width / 8
        parts.append(f'<line class="grid" x1="{x:.0f}" y1="0" x2="{x:.0f}" y2="{height}"/>')
    for i in range(1, 5):
        y = i * height / 5
        parts.append(f'<line class="grid" x1="0" y1="{y:.0f}" x2="{width}" y2="{y:.0f}"/>')
    for name, lat, lon in points:
        x = off_x + (lon - min(lons)) * scale
        y = height - (off_y + (lat - min(lats)) * scale)
        label = html.escape(name)
        parts.append(
            f'<g><circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="7"><title>{label}</title></circle>'
            f'<text class="label" x="{x + 10:.1f}" y="{y + 4:.1f}">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _page(title: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)} · MapWidget</title>"
        "<link rel=\"stylesheet\" href=\"/map.css\"></head>"
        f"<body>{body}</body></html>"
    ).encode()


def _session_cookie(environ: dict) -> tuple[str, bool]:
    """The visitor's widget session id, and whether it is new (and so must be set)."""
    jar = SimpleCookie()
    try:
        jar.load(environ.get("HTTP_COOKIE", ""))
    except Exception:  # noqa: BLE001 - a garbled Cookie header is just "no cookie"
        pass
    morsel = jar.get(COOKIE_NAME)
    if morsel and morsel.value:
        return morsel.value, False
    return secrets.token_urlsafe(16), True


def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    headers = [
        ("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors *"),
        ("Cache-Control", "no-store"),
    ]
    if path == "/map.css":
        start_response("200 OK", [("Content-Type", "text/css; charset=utf-8"), *headers])
        return [STYLE.encode()]
    if path == "/privacy":
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers])
        return [
            _page(
                "Confidentialité",
                "<main class=\"text\"><h1>MapWidget : confidentialité</h1>"
                f"<p>MapWidget dépose le cookie <code>{COOKIE_NAME}</code> (un identifiant aléatoire, "
                "conservé un an) pour reconnaître votre navigateur d'une carte à l'autre, "
                "sur tous les sites qui intègrent ses cartes.</p>"
                "<p>Ce service est une démonstration : il ne transmet rien à personne.</p></main>",
            )
        ]
    if path == "/map":
        slug = parse_qs(environ.get("QUERY_STRING", "")).get("dataset", [""])[0]
        found = _dataset_points(slug)
        if found is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), *headers])
            return [f"No dataset named {slug!r}.\n".encode()]
        title, points = found
        session, is_new = _session_cookie(environ)
        if is_new:
            # SameSite=None is what lets a third-party frame keep its cookie; Chromium accepts
            # Secure on http://localhost, which it treats as a secure context.
            headers.append(
                ("Set-Cookie", f"{COOKIE_NAME}={session}; Max-Age={ONE_YEAR}; Path=/; SameSite=None; Secure; HttpOnly")
            )
        body = (
            "<header><strong>MapWidget</strong>"
            f"<span>{len(points)} points · <a href=\"/privacy\" target=\"_blank\" rel=\"noopener\">Confidentialité</a></span></header>"
            + _svg(points)
        )
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), *headers])
        return [_page(title, body)]
    start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), *headers])
    return [b"Not found.\n"]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    # A browser loads the page and its stylesheet at once; one thread per request keeps that quick.
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        sys.stderr.write("mapwidget: " + (format % args) + "\n")


def serve(host: str, port: int) -> WSGIServer:
    return make_server(host, port, application, server_class=_ThreadingServer, handler_class=_QuietHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    server = serve(args.host, args.port)
    print(f"MapWidget listening on http://localhost:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
