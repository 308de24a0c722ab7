#!/usr/bin/env python3
"""What each part of the consent UI adds to a page, by timing variants of the page against each other.

    .venv/bin/python bench/bench_consent_parts.py [--turns N] [--block K]

The page of bench_requests.py (bench/requests_site), in one process, through real Django handlers:
bare Django, then our middleware, then the middleware with one consent tag at a time, with all of
them, with four template tags that render nothing (what Django's node machinery alone costs), and
with the consent UI's own output for that page pasted in as static text (what carrying those bytes
costs with no code of ours running). Each variant is the layout with those parts written in, as a
site writes them into its base template (requests_site/pages.py).

Each turn runs every variant in a new random order, so that the machine's drift falls on all
alike: ``--block`` requests of a variant in a row (25 by default), the first of which, run right
after another variant's code went through the CPU caches, is not kept. That is how a site's server
runs: its own pages one after another. ``--block 1`` alternates request by request, which puts
every variant's own code in cold caches each time and adds to each what it would not cost a site
serving only its own pages. Printed: thread CPU µs over bare Django at the median and at the 10th
percentile, per visitor. Measurements only, no assertion; bench_consent_tags.py times the steps
inside the tags instead.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from django import template

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT / "src"), str(ROOT)]
from requests_site import pages  # noqa: E402

SCENARIOS = ("first", "returning")

# -- four tags that render nothing: Django's cost of calling a tag ---------------------------
register = template.Library()


class _Nothing(template.Node):
    def render(self, context: template.Context) -> str:
        return ""


@register.tag
def nothing(parser: template.base.Parser, token: template.base.Token) -> _Nothing:
    return _Nothing()


#: variant -> (handler, what it writes into the layout's slots, or "static"); the handler is bare
#: Django or ours. bench_requests' variants are these pages too (requests_site/pages.py).
NOTHING = {
    "load": "{% load bench_consent_parts %}",
    "head": "{% nothing %}",
    "banner": "{% nothing %}",
    "statistics": "{% nothing %}",
    "footer": "{% nothing %}",
}
PAGES: dict[str, tuple[str, dict[str, str] | str]] = {
    "bare Django": ("bare", {}),
    "+ middleware": ("cookiecharter", {}),
    "+ middleware, 4 tags rendering nothing": ("cookiecharter", NOTHING),
    "+ middleware, the UI's output as static text": ("cookiecharter", "static"),
    **{
        f"+ middleware, {name}": (
            "cookiecharter",
            {"load": pages.COOKIECHARTER["load"], slot: pages.COOKIECHARTER[slot]},
        )
        for slot, name in (
            ("head", "cookiecharter_head"),
            ("banner", "cookiecharter_banner"),
            ("footer", "cookiecharter_preferences_link"),
            ("statistics", "ifconsent"),
        )
    },
    "+ middleware, consent_allows filter": (
        "cookiecharter",
        {"load": pages.COOKIECHARTER["load"], "statistics": pages.CONSENT_ALLOWS},
    ),
    "+ middleware, the whole consent UI": ("cookiecharter", pages.COOKIECHARTER),
}


def _static_parts(html: str) -> dict[str, str]:
    """The consent UI's output in one rendered page, by slot, as static text."""

    def between(before: str, after: str) -> str:
        start = html.index(before) + len(before)
        return html[start : html.index(after, start)]

    parts = {
        "head": between("</title>\n", "\n</head>"),
        "banner": between("<body>\n", "\n<header>"),
        "statistics": pages.STATISTICS if pages.STATISTICS in html else "",
        "footer": between("<footer>", "</footer>"),
    }
    return {slot: "{% verbatim %}" + text + "{% endverbatim %}" for slot, text in parts.items() if text}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000, help="requests per variant and visitor (default 2000)")
    parser.add_argument(
        "--block",
        type=int,
        default=25,
        help="requests of a variant in a row (default 25, as a site serves its own pages; "
        "1: one request per variant in turn)",
    )
    args = parser.parse_args(argv)

    os.environ.update(
        BENCH_VARIANT="all",
        BENCH_DB_DIR=tempfile.mkdtemp(prefix="cookiecharter-parts-"),
        DJANGO_SETTINGS_MODULE="requests_site.settings",
    )
    import requests_site.settings as site

    # This script's tags that render nothing, beside the site's own.
    site.TEMPLATES[0]["OPTIONS"]["libraries"] = {"bench_consent_parts": "bench_consent_parts"}
    import django

    django.setup()
    import bench_requests
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import RequestFactory
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0, interactive=False)
    handlers = {}
    for name in ("bare", "cookiecharter"):
        with override_settings(MIDDLEWARE=settings.MIDDLEWARE_BY_VARIANT[name]):
            handlers[name] = WSGIHandler()
    cookies = {"first": {}, "returning": {"HTTP_COOKIE": bench_requests.returning_cookie_header("cookiecharter")}}
    factory = RequestFactory()
    whole = pages.template_name("cookiecharter")

    def once(handler: str, page: str, visitor: str) -> tuple[int, str]:
        request = factory.get(bench_requests.PATH, **cookies[visitor])
        request.bench_template = page
        start = time.thread_time_ns()
        response = handlers[handler].get_response(request)
        spent = time.thread_time_ns() - start
        if response.status_code != 200:
            raise SystemExit(f"{page} answered {response.status_code}")
        return spent, response.content.decode()

    # Each variant's page, per visitor (the static one holds what our tags wrote for that visitor),
    # added to the site's locmem templates before any of them is loaded.
    pages_by: dict[tuple[str, str], tuple[str, str]] = {}
    for i, (variant, (handler, parts)) in enumerate(PAGES.items()):
        for visitor in SCENARIOS:
            slots = _static_parts(once("cookiecharter", whole, visitor)[1]) if parts == "static" else parts
            name = f"parts-{i}-{visitor}"
            site.TEMPLATE_SOURCES.update(pages.templates_for({name: slots}))
            pages_by[(variant, visitor)] = (handler, pages.template_name(name))
    # The static page must send what the real one sends.
    for visitor in SCENARIOS:
        real = once("cookiecharter", whole, visitor)[1]
        static = once(*pages_by[("+ middleware, the UI's output as static text", visitor)], visitor)[1]
        if _without_tokens(real) != _without_tokens(static):
            import difflib

            diff = "\n".join(
                difflib.unified_diff(
                    _without_tokens(real).splitlines(), _without_tokens(static).splitlines(), lineterm=""
                )
            )
            raise SystemExit(f"the static page differs from the real one for a {visitor} visit:\n{diff}")

    variants = list(PAGES)
    for _ in range(200):  # warm up: templates compiled, caches filled
        for variant in variants:
            for visitor in SCENARIOS:
                once(*pages_by[(variant, visitor)], visitor)
    spent: dict[tuple[str, str], list[int]] = {key: [] for key in pages_by}
    shuffler = random.Random(20261129)
    order = list(variants)
    for _ in range(bench_requests.turns_for(args.turns, args.block)):
        shuffler.shuffle(order)
        for visitor in SCENARIOS:
            for variant in order:
                page = pages_by[(variant, visitor)]
                kept = bench_requests.in_a_row(args.block, lambda: once(*page, visitor)[0])  # noqa: B023
                spent[(variant, visitor)] += kept

    runs = (
        "one request of each variant per turn"
        if args.block == 1
        else f"{args.block} requests of each variant in a row per turn, the first of each run not kept"
    )
    print(
        f"Thread CPU µs per request over bare Django, {len(spent[(variants[0], SCENARIOS[0])]):,} requests "
        f"per variant and visitor, {runs}, in a new random order every turn: median (10th percentile)"
    )
    print()
    print("| page | first visit | returning visit |")
    print("|---|---:|---:|")
    for variant in variants:
        cells = []
        for visitor in SCENARIOS:
            ns = spent[(variant, visitor)]
            base = spent[("bare Django", visitor)]
            if variant == "bare Django":
                cells.append(f"{statistics.median(ns) / 1000:.0f} ({_p10(ns) / 1000:.0f})")
            else:
                cells.append(
                    f"{(statistics.median(ns) - statistics.median(base)) / 1000:+.1f} "
                    f"({(_p10(ns) - _p10(base)) / 1000:+.1f})"
                )
        print(f"| {variant} | " + " | ".join(cells) + " |")
    return 0


def _p10(ns: list[int]) -> float:
    return statistics.quantiles(ns, n=10)[0]


def _without_tokens(html: str) -> str:
    """A page with its CSRF tokens blanked (each request masks its own)."""
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)


if __name__ == "__main__":
    raise SystemExit(main())
