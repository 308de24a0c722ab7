#!/usr/bin/env python3
"""What each part of the consent UI adds to a page, by timing variants of the page against each other.

    .venv/bin/python bench/bench_consent_parts.py [--turns N]

The page of bench_requests.py (bench/requests_site), in one process, through real Django handlers:
bare Django, then our middleware, then the middleware with one consent tag at a time, with all of
them, with four template tags that render nothing (what Django's node machinery alone costs), and
with the consent UI's own output for that page pasted in as static text (what carrying those bytes
costs with no code of ours running). Each turn times one request of every variant in a new random
order, so that the machine's drift and the CPU caches' state fall on all alike; printed: thread CPU
µs over bare Django at the median and at the 10th percentile, per visitor. Measurements only, no
assertion; bench_consent_tags.py times the steps inside the tags instead.
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
SCENARIOS = ("first", "returning")

# -- four tags that render nothing: Django's cost of calling a tag and a filter -------------------
register = template.Library()


class _Nothing(template.Node):
    def render(self, context: template.Context) -> str:
        return ""


@register.tag
def nothing(parser: template.base.Parser, token: template.base.Token) -> _Nothing:
    return _Nothing()


@register.filter
def never(request: object, arg: str) -> bool:
    return False


STATISTICS = '<script src="/static/audience.js" defer></script>'
EXTENDS = '{% extends "page/base.html" %}'
#: variant -> (handler, template body after {% extends %}); the handler is bare Django or ours.
PAGES = {
    "bare Django": ("bare", None),
    "+ middleware": ("cookiecharter", None),
    "+ middleware, 4 tags rendering nothing": (
        "cookiecharter",
        '{% load bench_consent_parts %}{% block head %}{% nothing %}{% endblock %}'
        '{% block banner %}{% nothing %}{% endblock %}'
        '{% block statistics %}{% if request|never:"statistics" %}' + STATISTICS + '{% endif %}{% endblock %}'
        '{% block footer %}{% nothing %}{% endblock %}',
    ),
    "+ middleware, the UI's output as static text": ("cookiecharter", "static"),
    "+ middleware, cookiecharter_head": (
        "cookiecharter", "{% load cookiecharter %}{% block head %}{% cookiecharter_head %}{% endblock %}"),
    "+ middleware, cookiecharter_banner": (
        "cookiecharter", "{% load cookiecharter %}{% block banner %}{% cookiecharter_banner %}{% endblock %}"),
    "+ middleware, cookiecharter_preferences_link": (
        "cookiecharter",
        "{% load cookiecharter %}{% block footer %}{% cookiecharter_preferences_link %}{% endblock %}"),
    "+ middleware, consent_allows filter": (
        "cookiecharter",
        '{% load cookiecharter %}{% block statistics %}{% if request|consent_allows:"statistics" %}'
        + STATISTICS + "{% endif %}{% endblock %}"),
    "+ middleware, the whole consent UI": ("cookiecharter", "page/cookiecharter.html"),
}


def _static_page(html: str) -> str:
    """The consent UI's output in one rendered page, as a template of static blocks."""
    head = html[html.index("</title>\n") + len("</title>\n"):html.index("\n</head>")]
    banner = html[html.index("<body>\n") + len("<body>\n"):html.index("\n<header>")]
    stats = STATISTICS if STATISTICS in html else ""
    footer = html[html.index("<footer>") + len("<footer>"):html.index("</footer>")]
    return (EXTENDS + "{% load bench_consent_parts %}"
            + "{% block head %}" + _literal(head) + "{% endblock %}"
            + "{% block banner %}" + _literal(banner) + "{% endblock %}"
            + '{% block statistics %}{% if request|never:"statistics" %}{% endif %}' + _literal(stats)
            + "{% endblock %}"
            + "{% block footer %}" + _literal(footer) + "{% endblock %}")


def _literal(text: str) -> str:
    return "{% verbatim %}" + text + "{% endverbatim %}" if text else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000, help="requests per variant and visitor (default 2000)")
    args = parser.parse_args(argv)

    templates = Path(tempfile.mkdtemp(prefix="cookiecharter-parts-"))
    os.environ.update(BENCH_VARIANT="all", BENCH_DB_DIR=str(templates), DJANGO_SETTINGS_MODULE="requests_site.settings")
    sys.path[:0] = [str(BENCH), str(ROOT / "src"), str(ROOT)]
    import requests_site.settings as site

    # This script's variants of the page, and its tags that render nothing, beside the site's own.
    site.TEMPLATES[0]["DIRS"] = [str(templates)]
    site.TEMPLATES[0]["OPTIONS"]["libraries"] = {"bench_consent_parts": "bench_consent_parts"}
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import RequestFactory
    from django.test.utils import override_settings

    import bench_requests

    call_command("migrate", verbosity=0, interactive=False)
    handlers = {}
    for name in ("bare", "cookiecharter"):
        with override_settings(MIDDLEWARE=settings.MIDDLEWARE_BY_VARIANT[name]):
            handlers[name] = WSGIHandler()
    cookies = {"first": {}, "returning": {"HTTP_COOKIE": bench_requests.returning_cookie_header("cookiecharter")}}
    factory = RequestFactory()

    def once(handler: str, page: str, visitor: str) -> tuple[int, str]:
        request = factory.get(bench_requests.PATH, **cookies[visitor])
        request.bench_template = page
        start = time.thread_time_ns()
        response = handlers[handler].get_response(request)
        spent = time.thread_time_ns() - start
        if response.status_code != 200:
            raise SystemExit(f"{page} answered {response.status_code}")
        return spent, response.content.decode()

    # Each variant's template, per visitor: the static one holds what our tags wrote for that visitor.
    pages: dict[tuple[str, str], tuple[str, str]] = {}
    for i, (variant, (handler, body)) in enumerate(PAGES.items()):
        for visitor in SCENARIOS:
            if body is None:
                name = "page/bare.html"
            elif body.startswith("page/"):
                name = body
            else:
                text = body
                if body == "static":
                    text = _static_page(once("cookiecharter", "page/cookiecharter.html", visitor)[1])[len(EXTENDS):]
                name = f"parts/{i}-{visitor}.html"
                (templates / "parts").mkdir(exist_ok=True)
                (templates / name).write_text(EXTENDS + text, encoding="utf-8")
            pages[(variant, visitor)] = (handler, name)
    # The static page must send what the real one sends.
    for visitor in SCENARIOS:
        real = once("cookiecharter", "page/cookiecharter.html", visitor)[1]
        static = once(*pages[("+ middleware, the UI's output as static text", visitor)], visitor)[1]
        if _without_tokens(real) != _without_tokens(static):
            import difflib

            diff = "\n".join(difflib.unified_diff(_without_tokens(real).splitlines(),
                                                   _without_tokens(static).splitlines(), lineterm=""))
            raise SystemExit(f"the static page differs from the real one for a {visitor} visit:\n{diff}")

    variants = list(PAGES)
    for _ in range(200):  # warm up: templates compiled, caches filled
        for variant in variants:
            for visitor in SCENARIOS:
                once(*pages[(variant, visitor)], visitor)
    spent: dict[tuple[str, str], list[int]] = {key: [] for key in pages}
    shuffler = random.Random(20261129)
    order = list(variants)
    for _ in range(args.turns):
        shuffler.shuffle(order)
        for visitor in SCENARIOS:
            for variant in order:
                spent[(variant, visitor)].append(once(*pages[(variant, visitor)], visitor)[0])

    print(f"Thread CPU µs per request over bare Django, {args.turns:,} requests per variant and visitor, "
          "random order every turn: median (10th percentile)")
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
                cells.append(f"{(statistics.median(ns) - statistics.median(base)) / 1000:+.1f} "
                             f"({(_p10(ns) - _p10(base)) / 1000:+.1f})")
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
