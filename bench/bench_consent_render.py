#!/usr/bin/env python3
"""What the banner and preferences cost per page view: cached markup filled per request, beside a
full template render per request, in the same run.

    .venv/bin/python bench/bench_consent_render.py [--pages N]

Both sides render ``{% cookiecharter_head %}{% cookiecharter_banner %}`` for a first-time visitor
(the banner; the page script fetches the dialog when it is opened) of the demo charter in French, for a real ``RequestFactory``
request with its own CSRF token. "Per request render" empties the tags' cache before each page,
which is what rendering the templates every time would cost. Prints pages per second and the
ratio; no assertion, these are measurements.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import translation

    from cookiecharter.templatetags import cookiecharter as tags

    page = Template("{% load cookiecharter %}{% cookiecharter_head %}{% cookiecharter_banner %}")
    factory = RequestFactory()
    translation.activate("fr")

    def one(clear: bool) -> int:
        if clear:
            tags._forget_rendered()  # every cache of the consent UI markup
        return len(page.render(Context({"request": factory.get("/fr/datasets/parkings/")})))

    size = one(False)  # warm up: templates loaded, charter read, cache filled
    results = {}
    for label, clear in (("cached markup, filled per request", False), ("full render per request", True)):
        start = time.perf_counter()
        for _ in range(args.pages):
            one(clear)
        elapsed = time.perf_counter() - start
        results[label] = args.pages / elapsed
    cached, full = results.values()
    print(f"{args.pages} page views, {size:,} bytes of consent UI markup each (demo charter, fr)")
    for label, rate in results.items():
        print(f"  {label:<36} {rate:>9,.0f} pages/s   {1e6 / rate:>7.1f} µs/page")
    print(f"  cached / full: {cached / full:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
