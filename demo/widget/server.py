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
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
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
.label { fill: var(--ink); font-size: 11px; paint-order: stroke; stroke: var(--land); stroke-width: 3px; }
main.text { padding: 1.5rem; max-width: 40rem; }
@media (max-width: 480px) { .label { display: none; } .point, .point:hover { r: 13px; stroke-width: 3px; } }
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
    """The points on an equirectangular projection fitted to their bounds, with a faint grid.

    The background and grid reach far past the view box, so a frame of another shape than
    800x500 shows no bare bands. Labels are placed greedily (right, left, above, below of their
    point) and left out where they would overlap another: the point keeps its tooltip."""
    margin = 60
    lats = [p[1] for p in points] or [0.0]
    lons = [p[2] for p in points] or [0.0]
    span_lat = max(max(lats) - min(lats), 1e-3)
    span_lon = max(max(lons) - min(lons), 1e-3)
    scale = min((width - 2 * margin) / span_lon, (height - 2 * margin) / span_lat)
    off_x = (width - span_lon * scale) / 2
    off_y = (height - span_lat * scale) / 2
    reach = 4 * max(width, height)
    step = 100
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        'preserveAspectRatio="xMidYMid meet" role="img" aria-label="Carte des points">',
        f'<rect class="land" x="{-reach}" y="{-reach}" width="{width + 2 * reach}" height="{height + 2 * reach}"/>',
    ]
    for x in range(-reach, width + reach + 1, step):
        parts.append(f'<line class="grid" x1="{x}" y1="{-reach}" x2="{x}" y2="{height + reach}"/>')
    for y in range(-reach, height + reach + 1, step):
        parts.append(f'<line class="grid" x1="{-reach}" y1="{y}" x2="{width + reach}" y2="{y}"/>')

    placed: list[tuple[float, float, float, float]] = []
    dots = []
    labels = []
    projected = [
        (name, off_x + (lon - min(lons)) * scale, height - (off_y + (lat - min(lats)) * scale))
        for name, lat, lon in points
    ]
    # Every dot is an obstacle for every label.
    obstacles = [(x - 8, y - 8, x + 8, y + 8) for _, x, y in projected]
    for name, x, y in projected:
        label = html.escape(name)
        dots.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="7"><title>{label}</title></circle>')
        text_w, text_h = 6.2 * len(name), 12.0
        candidates = [
            ("start", x + 11, y + 4, (x + 10, y - 8, x + 12 + text_w, y + 6)),
            ("end", x - 11, y + 4, (x - 12 - text_w, y - 8, x - 10, y + 6)),
            ("middle", x, y - 12, (x - text_w / 2, y - 12 - text_h, x + text_w / 2, y - 10)),
            ("middle", x, y + 22, (x - text_w / 2, y + 10, x + text_w / 2, y + 12 + text_h)),
        ]
        for anchor, tx, ty, box in candidates:
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            own = (x - 8, y - 8, x + 8, y + 8)
            clear = all(not _overlap(box, other) for other in placed) and all(
                not _overlap(box, dot) for dot in obstacles if dot != own
            )
            if inside and clear:
                placed.append(box)
                labels.append(f'<text class="label" x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}">{label}</text>')
                break
    parts.extend(labels)
    parts.extend(dots)
    parts.append("</svg>")
    return "".join(parts)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · MapWidget</title>"
        '<link rel="stylesheet" href="/map.css"></head>'
        f"<body>{body}</body></html>"
    ).encode()


def _session_cookie(environ: dict) -> tuple[str, bool]:
    """The visitor's widget session id, and whether it is new (and so must be set)."""
    jar = SimpleCookie()
    try:
        jar.load(environ.get("HTTP_COOKIE", ""))
    except Exception:  # noqa: BLE001, S110 - a header it cannot read is a visitor without a session, not an error
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
                '<main class="text"><h1>MapWidget : confidentialité</h1>'
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
            f'<span>{len(points)} points · <a href="/privacy" target="_blank" rel="noopener">Confidentialité</a></span></header>'
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
    def log_message(self, format: str, *args: object) -> None:  # the stdlib's name
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
