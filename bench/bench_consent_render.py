#!/usr/bin/env python3
"""What keeping the consent UI on the site object saves per page: the UI rendered once and filled per
request, beside the same UI rendered from its templates on every request, in the same run.

    .venv/bin/python bench/bench_consent_render.py [--pages N]

Both sides render ``{% cookiecharter_head %}{% cookiecharter_banner %}`` for a first-time visitor
of the demo charter in French, for a real ``RequestFactory`` request (through the middleware) with
its own CSRF token. "Rendered per request" builds the site's ``ConsentUI`` for every page (its two
templates, the page script's configuration and the reversed URLs), which is what the page would
cost without that one cache (docs/internals.md keeps the list of caches and why). Prints µs per
page and the difference; no assertion, these are measurements.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.template import RequestContext, Template
    from django.test import RequestFactory
    from django.utils import translation

    from cookiecharter.consent_ui import ConsentUI
    from cookiecharter.middleware import start
    from cookiecharter.sites import Site

    page = Template("{% load cookiecharter %}{% cookiecharter_head %}{% cookiecharter_banner %}")
    factory = RequestFactory()
    translation.activate("fr")
    kept = Site.consent_ui

    def rendered_each_time(site: Site, active: str | None, urlconf: object, prefix: str) -> ConsentUI:
        return ConsentUI(site, site.language(active))

    def one(rebuild: bool) -> tuple[int, int]:
        Site.consent_ui = rendered_each_time if rebuild else kept  # type: ignore[method-assign]
        request = factory.get("/fr/datasets/parkings/")
        start(request)
        began = time.thread_time_ns()
        size = len(page.render(RequestContext(request, {})))
        return time.thread_time_ns() - began, size

    _, size = one(False)  # warm up: templates loaded, charter read, UI kept
    one(True)
    times: dict[bool, list[int]] = {False: [], True: []}
    for _ in range(args.pages):
        for rebuild in (False, True):  # alternating, so the machine's drift falls on both
            times[rebuild].append(one(rebuild)[0])
    Site.consent_ui = kept  # type: ignore[method-assign]
    kept_us, rebuilt_us = (statistics.median(times[k]) / 1000 for k in (False, True))
    print(
        f"{args.pages} page views each, {size:,} bytes of consent UI markup (demo charter, fr); "
        "thread CPU µs per page, median"
    )
    print(f"  consent UI kept by the site, filled per request   {kept_us:8.1f} µs")
    print(f"  consent UI rendered from its templates per page   {rebuilt_us:8.1f} µs")
    print(f"  the cache saves {rebuilt_us - kept_us:.0f} µs per page ({rebuilt_us / kept_us:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
