#!/usr/bin/env python3
"""Where the consent tags' microseconds go, timed inside real requests rather than in a loop.

    .venv/bin/python bench/bench_consent_tags.py [--requests N]

A tight loop over one tag keeps its code and data in the CPU's caches and reports a fraction of
what the tag costs in a page, where a millisecond of Django's own work has gone through the caches
before it. So this runs the benchmark site's cookiecharter page (bench/requests_site, the page of
bench_requests.py) through a real handler with the middleware, and times each consent tag and
the ``ifconsent`` block, and the steps under them, as the page renders: thread CPU time, median
over N requests per visitor. Each timer adds a fraction of a microsecond of its own. The CSRF token line is the token
Django makes for a visitor who has none; the banner makes it first, and the page's own
``{% csrf_token %}`` reuses it, so a page without our banner pays it just the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

#: What is timed: the tags (as the page renders them), and the steps inside them.
STEPS = (
    ("read_consent", "reading the consent cookie (the middleware, once per request)"),
    ("cookiecharter_head", "{% cookiecharter_head %} (includes a UI look-up below)"),
    ("ui_for", "  the site's consent UI for the request (language, URLconf, prefix), per tag"),
    ("cookiecharter_banner", "{% cookiecharter_banner %} (includes the steps below)"),
    ("_csrf_input", "  the CSRF token (made here on a first visit, reused by the page)"),
    ("cookiecharter_preferences_link", "{% cookiecharter_preferences_link %}"),
    ("ifconsent", '{% ifconsent "statistics" %} (with the script it shows)'),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per visitor (default 3000)")
    args = parser.parse_args(argv)
    import tempfile

    db_dir = tempfile.mkdtemp(prefix="cookiecharter-bench-")
    os.environ.update(BENCH_VARIANT="all", BENCH_DB_DIR=db_dir, DJANGO_SETTINGS_MODULE="requests_site.settings")
    sys.path[:0] = [str(BENCH), str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    import bench_requests
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import RequestFactory
    from django.test.utils import override_settings

    from cookiecharter import consent_ui
    from cookiecharter.sites import Site
    from cookiecharter.templatetags import cookiecharter as tags

    call_command("migrate", verbosity=0, interactive=False)
    with override_settings(MIDDLEWARE=settings.MIDDLEWARE_BY_VARIANT["cookiecharter"]):
        handler = WSGIHandler()
    cookie = bench_requests.returning_cookie_header("cookiecharter")
    spent: dict[str, list[int]] = {}

    def timed(name, func):
        def wrapper(*args):
            start = time.thread_time_ns()
            try:
                return func(*args)
            finally:
                spent.setdefault(name, []).append(time.thread_time_ns() - start)

        return wrapper

    def time_nodes(node_class, name_of):
        """Time every render of ``node_class``'s nodes, under the name ``name_of(node)``."""
        original = node_class.render

        def render(node, context):
            start = time.thread_time_ns()
            try:
                return original(node, context)
            finally:
                spent.setdefault(name_of(node), []).append(time.thread_time_ns() - start)

        node_class.render = render

    time_nodes(tags.ConsentUINode, lambda node: node.render_tag.__name__)
    time_nodes(tags.IfConsentNode, lambda node: "ifconsent")
    tags.ui_for = timed("ui_for", tags.ui_for)
    consent_ui._csrf_input = timed("_csrf_input", consent_ui._csrf_input)
    Site.read_consent = timed("read_consent", Site.read_consent)
    factory = RequestFactory()
    pages: dict[str, list[int]] = {}
    results: dict[str, dict[str, float]] = {}
    for visitor in ("first", "returning"):
        spent.clear()
        extra = {"HTTP_COOKIE": cookie} if visitor == "returning" else {}
        for i in range(args.requests + 200):
            request = factory.get(bench_requests.PATH, **extra)
            request.bench_template = settings.TEMPLATE_BY_VARIANT["cookiecharter"]
            start = time.thread_time_ns()
            response = handler.get_response(request)
            elapsed = time.thread_time_ns() - start
            if response.status_code != 200:
                raise SystemExit(f"the page answered {response.status_code}")
            if i < 200:  # warming up: templates compiled (with the timed filter), caches filled
                spent.clear()
                continue
            pages.setdefault(visitor, []).append(elapsed)
        results[visitor] = {name: statistics.median(ns) / 1000 for name, ns in spent.items()}

    print(
        f"Inside real requests (thread CPU µs, median of {args.requests:,} requests per visitor; "
        f"whole page: first {statistics.median(pages['first']) / 1000:.0f} µs, "
        f"returning {statistics.median(pages['returning']) / 1000:.0f} µs)"
    )
    print()
    print("| step | first visit | returning visit |")
    print("|---|---:|---:|")
    for name, label in STEPS:
        cells = [f"{results[v][name]:.1f}" if name in results[v] else "not run" for v in ("first", "returning")]
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
