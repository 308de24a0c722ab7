"""What each variant of bench_requests.py costs a page, counted in CPU instructions rather than timed.

One command (about 5 minutes on 2 cores; needs Debian's ``valgrind`` package)::

    .venv/bin/python bench/bench_instructions.py
    .venv/bin/python bench/bench_instructions.py --variants bare cookiecharter --requests 50

Times on a shared machine swing by tens of per cent from one minute to the next, which hides a
change of a few microseconds. The number of instructions a request executes does not: each
variant's page (the same site, templates and visitors as bench_requests.py) is served in a
process run under valgrind's cachegrind, once with ``--requests`` more requests than the other,
and the difference of the two totals, divided by that number, is what one request executes
(start-up and warm-up cancel out). With ``PYTHONHASHSEED`` fixed, a count repeats within a few
thousand instructions of several millions.

What it does not see: how fast those instructions run. A part of the page that touches code and
data the rest of the page does not (a hash function, a regular expression) runs slower per
instruction there than in a loop on its own; bench_requests.py's thread CPU time is the figure
that includes that. Read this one to find and confirm where the work is, that one for what it
costs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH)]
from bench_requests import PATH, SCENARIOS, VARIANTS  # noqa: E402

#: Requests served before counting starts: templates compiled, the site object and its UI built.
WARM_UP = 30


def child(variant: str, scenario: str, requests: int) -> None:
    """Serve ``WARM_UP + requests`` pages of ``variant`` to a ``scenario`` visitor, in this process."""
    os.environ.update(
        BENCH_VARIANT="all",
        BENCH_DB_DIR=tempfile.mkdtemp(prefix="cookiecharter-instr-"),
        DJANGO_SETTINGS_MODULE="requests_site.settings",
    )
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()
    import importlib

    from bench_requests import returning_cookie_header
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import RequestFactory
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0, interactive=False)
    if "cookie_consent" in settings.INSTALLED_APPS:
        importlib.import_module("cookie_consent.conf")  # its defaults, before override_settings
    with override_settings(MIDDLEWARE=settings.MIDDLEWARE_BY_VARIANT[variant]):
        handler = WSGIHandler()
    extra = {"HTTP_COOKIE": returning_cookie_header(variant)} if scenario == "returning" else {}
    factory = RequestFactory()
    for _ in range(WARM_UP + requests):
        request = factory.get(PATH, **extra)
        request.bench_template = settings.TEMPLATE_BY_VARIANT[variant]
        response = handler.get_response(request)
        if response.status_code != 200:
            raise SystemExit(f"{variant} answered {response.status_code}")


def instructions(variant: str, scenario: str, requests: int) -> int:
    """Instructions a whole child process executes, as cachegrind counts them."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        variant,
        scenario,
        str(requests),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{variant} ({scenario}) failed under valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_request(variant: str, scenario: str, requests: int) -> float:
    return (instructions(variant, scenario, requests) - instructions(variant, scenario, 0)) / requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--requests", type=int, default=100, help="requests counted per variant (default 100)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="valgrind runs at once")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "VISITOR", "REQUESTS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    variants = args.variants if "bare" in args.variants else ["bare", *args.variants]
    cells = [(v, s) for v in variants for s in SCENARIOS]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        counts = dict(zip(cells, pool.map(lambda c: per_request(*c, args.requests), cells)))

    print(
        f"\nInstructions per request (cachegrind, PYTHONHASHSEED=0, {args.requests} requests counted per cell); "
        "in brackets, the share of bare Django's page\n"
    )
    print("| variant | " + " | ".join(f"{s} visit" for s in SCENARIOS) + " |")
    print("|---|" + "---:|" * len(SCENARIOS))
    for v in variants:
        row = []
        for s in SCENARIOS:
            bare = counts[("bare", s)]
            here = counts[(v, s)]
            row.append(f"{here:,.0f}" if v == "bare" else f"+{here - bare:,.0f} ({(here - bare) / bare:+.1%})")
        print(f"| {v} | " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
