#!/usr/bin/env python3
"""Bytes a first-time visitor downloads for the consent UI, ours beside three well-known banners.

    .venv/bin/python bench/bench_consent_bytes.py [--markdown]

For each banner it weighs the script and style files its documented set-up makes the browser fetch,
each file gzipped on its own at level 9 (as ``gzip -9 -n``: a static file server sends them one by
one), and prints one table with the ratio to ours. The other banners come from npm at the versions
pinned in ``bench/package.json`` (``npm ci --prefix bench`` is run when ``bench/node_modules`` is
missing); nothing is fetched from a CDN and nothing is minified here: each file is weighed as its
package ships it.

Ours also sends server-rendered HTML (the banner, inside the page, and the preferences dialog,
fetched when a visitor first opens it) and a JSON configuration block; where the other banners
build that markup in JavaScript, they pay for it in their scripts. So two more lines give our
JS + CSS + that HTML, rendered for the demo charter in French, for a fair comparison.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
MODULES = BENCH / "node_modules"
STATIC = ROOT / "src" / "cookiecharter" / "static" / "cookiecharter"


@dataclass(frozen=True)
class Banner:
    name: str
    #: What its documentation tells a site to load, and what that loads in turn.
    setup: str
    files: tuple[Path, ...]
    extra_bytes: bytes = b""


def gzip9(data: bytes) -> int:
    # mtime=0 and no file name: the same bytes as `gzip -9 -n`.
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def ensure_packages() -> None:
    if (MODULES / ".package-lock.json").exists():
        return
    print("bench/node_modules is missing: npm ci --prefix bench", file=sys.stderr)
    subprocess.run(["npm", "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund", "--ignore-scripts"], check=True)


def rendered_ui_html() -> tuple[bytes, bytes] | None:
    """What our tags put in a first visitor's page, and the preferences dialog the page script
    fetches when it is opened (demo charter, French)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.template import Context, Template
        from django.test import RequestFactory
        from django.utils import translation

        from cookiecharter.consent_ui import ui_for
        from cookiecharter.middleware import start

        translation.activate("fr")
        request = RequestFactory().get("/fr/")
        site = start(request)
        html = Template("{% load cookiecharter %}{% cookiecharter_head %}{% cookiecharter_banner %}").render(
            Context({"request": request})
        )
        ui = ui_for(request, site)
        dialog = ui.preferences.fill(ui.values(request, request.consent, next_url="/fr/"))
    except Exception as exc:  # noqa: BLE001 - the JS+CSS figure stands on its own
        print(f"(could not render our HTML for the other lines: {exc})", file=sys.stderr)
        return None
    return html.encode(), dialog.encode()


def banners() -> list[Banner]:
    cc = MODULES / "vanilla-cookieconsent" / "dist"
    tac = MODULES / "tarteaucitronjs"
    return [
        Banner(
            "cookiecharter (JS + CSS)",
            "{% cookiecharter_head %}: consent.css, consent.js",
            (STATIC / "consent.js", STATIC / "consent.css"),
        ),
        Banner(
            "vanilla-cookieconsent 3.1.0",
            "dist/cookieconsent.umd.js + dist/cookieconsent.css",
            (cc / "cookieconsent.umd.js", cc / "cookieconsent.css"),
        ),
        Banner(
            "klaro 0.7.22",
            "dist/klaro.js (style and translations built in)",
            (MODULES / "klaro" / "dist" / "klaro.js",),
        ),
        Banner(
            "tarteaucitronjs 1.34.0",
            "tarteaucitron.min.js, which loads lang/*.fr.min.js, services.min.js, css/*.min.css",
            (
                tac / "tarteaucitron.min.js",
                tac / "lang" / "tarteaucitron.fr.min.js",
                tac / "tarteaucitron.services.min.js",
                tac / "css" / "tarteaucitron.min.css",
            ),
        ),
    ]


def weigh(banner: Banner) -> tuple[int, int]:
    raw = packed = 0
    for path in banner.files:
        data = path.read_bytes()
        raw += len(data)
        packed += gzip9(data)
    if banner.extra_bytes:
        raw += len(banner.extra_bytes)
        packed += gzip9(banner.extra_bytes)
    return raw, packed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    ensure_packages()
    rows = banners()
    html = rendered_ui_html()
    if html is not None:
        page, dialog = html
        rows[1:1] = [
            Banner(
                "cookiecharter (JS + CSS + its HTML)",
                "the above + banner and config as rendered in the page (demo charter, fr)",
                rows[0].files,
                page,
            ),
            Banner(
                "cookiecharter, preferences opened",
                "the above + the preferences dialog, fetched when first opened",
                rows[0].files,
                page + dialog,
            ),
        ]
    figures = [(b, *weigh(b)) for b in rows]
    ours = figures[0][2]
    header = ("banner", "files a first-time visitor downloads", "bytes", "gzip -9", "× ours")
    lines = [(b.name, b.setup, f"{raw:,}", f"{packed:,}", f"{packed / ours:.1f}") for b, raw, packed in figures]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
        for row in [header, *lines]:
            print(
                "  ".join(
                    str(cell).ljust(w) if i < 2 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths))
                )
            )
    budget = 5 * 1024
    verdict = "within" if ours <= budget else "OVER"
    print(f"\nours: {ours:,} bytes gzip -9 for JS + CSS, {verdict} the 5 KB budget ({budget:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
