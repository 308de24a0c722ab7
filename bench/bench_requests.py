"""What enforcement costs a typical page: bare Django, cookiecharter, django-cookie-consent, side by side.

One command::

    .venv/bin/python bench/bench_requests.py            # ~3 minutes on 2 cores
    .venv/bin/python bench/bench_requests.py --quick    # a smoke run

The page (bench/requests_site) is the same in every variant: a template with a loop, a CSRF
form, translated strings, a session read; the variants add only what each package asks for:

- ``bare``: Django alone;
- ``cookiecharter-mw``: the bare page with ``CookieCharterMiddleware`` first (the enforcement alone);
- ``cookiecharter``: the middleware plus the consent UI tags and an ``ifconsent`` block;
- ``cookiecharter-2sites``: the same page from an installation of two sites, its site found by
  host name (requests_site/two_sites.py);
- ``cookiecharter-accounts``: the ``cookiecharter`` page with ``FOLLOW_ACCOUNT`` on
  (requests_site/accounts.py); its visitors are signed out, as most are;
- ``cookie-consent``: django-cookie-consent 1.0.0 with its ``CleanCookiesMiddleware`` and the
  template snippet its documentation gives (the bar's <template>, the cookie groups, the filter).

Two visitors: a first visit (no cookie: the banner shows, CSRF sets its cookie) and a returning
visitor (session, CSRF, a decision granting statistics, and the statistics cookie).

Two measures, each interleaved across variants in rounds so that machine noise falls on all:

1. in-process: the median of Django's handler ``get_response`` per request (µs), in one worker
   process holding every variant (one handler each, built with its own middleware), in a new
   random order every turn, so that the machine's drift falls on all alike. Twice: one request of
   each variant in turn, and ``--block`` requests of each in a row (25 by default) of which the
   first, the one right after another variant's, is not kept. The second is how a site's server
   runs (its own pages one after another); alternating request by request evicts each variant's
   own code from the CPU caches every time, so it charges each variant for the others' presence,
   the more so the more code of its own it has;
2. on a real server: gunicorn (one sync worker) on 127.0.0.1, loaded for a fixed time by a
   second process (``--load``, a few threads, one connection per request): requests/second.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VARIANTS = (
    "bare",
    "cookiecharter-mw",
    "cookiecharter",
    "cookiecharter-2sites",
    "cookiecharter-accounts",
    "cookie-consent",
)
SCENARIOS = ("first", "returning")
PATH = "/fr/"


def _env(variant: str, db_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BENCH_VARIANT=variant,
        BENCH_DB_DIR=db_dir,
        DJANGO_SETTINGS_MODULE="requests_site.settings",
        PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT / "src"), str(ROOT)]),
    )
    return env


# -- the worker: every variant in one Django process, alternating request by request ------------
def worker() -> None:
    """One process, ``BENCH_VARIANT=all``: the apps and URLs of every variant are installed, and
    each variant gets its own handler, built with its own ``MIDDLEWARE``, and its own template.
    A sample times one request of each variant in turn (in a random order), so a drift of the
    machine between two samples falls on every variant alike instead of on whichever process
    happened to run then, which is what blurred the side-by-side figures of separate processes."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import RequestFactory
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0, interactive=False)
    if "cookie_consent" in settings.INSTALLED_APPS:
        # django-appconf writes its defaults into the settings object when this module is first
        # imported: before override_settings below, or they would go with the overridden copy.
        importlib.import_module("cookie_consent.conf")
    handlers = {}
    for v in VARIANTS:
        with override_settings(MIDDLEWARE=settings.MIDDLEWARE_BY_VARIANT[v]):
            handlers[v] = WSGIHandler()
    cookies = {v: returning_cookie_header(v) for v in VARIANTS}
    factory = RequestFactory()

    def once(variant: str, scenario: str) -> tuple[int, int, object]:
        extra = {"HTTP_COOKIE": cookies[variant]} if scenario == "returning" else {}
        request = factory.get(PATH, **extra)
        request.bench_template = settings.TEMPLATE_BY_VARIANT[variant]
        handler = handlers[variant]
        cpu = time.thread_time_ns()
        start = time.perf_counter_ns()
        response = handler.get_response(request)
        elapsed = time.perf_counter_ns() - start
        return elapsed, time.thread_time_ns() - cpu, response

    micro = middleware_alone(factory, {"first": {}, "returning": {"HTTP_COOKIE": cookies["cookiecharter-mw"]}})
    checks = {v: {s: describe(once(v, s)[2]) for s in SCENARIOS} for v in VARIANTS}
    for _ in range(200):  # warm caches (templates, the charter, the banner markup, imports)
        for v in VARIANTS:
            once(v, "first"), once(v, "returning")
    print(json.dumps({"ready": True, "cookies": cookies, "checks": checks}), flush=True)
    # Each turn in a new random order. A rotating order kept each variant's predecessor fixed
    # within a turn (bare Django nearly always ran right after django-cookie-consent, whose
    # different code had just gone through the CPU's caches), which made bare Django look slower
    # than the same page with our middleware added, an impossible -12 µs.
    shuffler = random.Random(20261129)
    order = list(VARIANTS)
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("quit"):
            return
        if command.get("micro"):
            print(json.dumps({"micro": micro(command["n"])}), flush=True)
            continue
        samples: dict[str, dict[str, list[int]]] = {
            f"{v} {s}": {"ns": [], "cpu": []} for v in VARIANTS for s in SCENARIOS
        }
        block = command.get("block", 1)
        for _ in range(turns_for(command["n"], block)):
            shuffler.shuffle(order)
            for s in SCENARIOS:
                for v in order:
                    for wall, cpu, _ in in_a_row(block, lambda: once(v, s)):  # noqa: B023 - called at once
                        samples[f"{v} {s}"]["ns"].append(wall)
                        samples[f"{v} {s}"]["cpu"].append(cpu)
        print(json.dumps(samples), flush=True)


def turns_for(samples: int, block: int) -> int:
    """Turns of ``in_a_row(block, ...)`` per variant that keep at least ``samples`` timings."""
    return -(-samples // max(block - 1, 1))


def in_a_row(block: int, measure: Callable[[], T]) -> list[T]:
    """``measure()`` run ``block`` times in a row, and the results kept: all of them for a block of
    one (variants alternate request by request), else all but the first, which ran right after
    another variant's code went through the CPU caches."""
    results = [measure() for _ in range(block)]
    return results if block == 1 else results[1:]


def middleware_alone(factory, headers):
    """The middleware's own cost: one call around a trivial inner handler, minus that handler.

    The inner handler builds what a typical page's response carries when it reaches the
    middleware (the CSRF cookie Django re-sets on every page with a form), so the filter runs.
    """
    from django.http import HttpResponse
    from requests_site.two_sites import TwoSitesMiddleware

    from cookiecharter.middleware import CookieCharterMiddleware

    def inner(request):
        request.COOKIES  # noqa: B018 - parsed by the session and CSRF middleware on any real page
        response = HttpResponse("page")
        response.set_cookie("csrftoken", "x" * 32, max_age=31_449_600, samesite="Lax")
        return response

    wrapped = CookieCharterMiddleware(inner)
    wrapped_two = TwoSitesMiddleware(inner)

    def measure(n: int) -> dict:
        out = {}
        for s in SCENARIOS:
            for label, call in (("inner", inner), ("wrapped", wrapped), ("wrapped-2sites", wrapped_two)):
                ns = []
                for _ in range(n):
                    request = factory.get(PATH, **headers[s])
                    start = time.thread_time_ns()
                    call(request)
                    ns.append(time.thread_time_ns() - start)
                out[f"{s}-{label}"] = statistics.median(ns) / 1000
        return out

    measure(500)  # warm up
    return measure


def describe(response) -> dict:
    body = response.content.decode()
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "cookies_set": sorted(response.cookies.keys()),
        "banner": "data-cookiecharter-banner" in body or "cookie-consent__cookie-bar" in body,
        "statistics_script": "audience.js" in body,
    }


def returning_cookie_header(variant: str) -> str:
    """Cookies of a visitor who came before: a session, CSRF, a decision granting statistics."""
    from datetime import datetime, timezone

    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    session = SessionStore()
    session["basket"] = ["dataset-12", "dataset-7"]
    session.save()
    cookies = {"sessionid": session.session_key, "csrftoken": _get_new_csrf_string(), "portal_audience": "a1b2c3d4"}
    if variant.startswith("cookiecharter"):
        from cookiecharter.core.consent import Consent, new_consent_id
        from cookiecharter.sites import registry

        site = registry.get("default")  # the demo charter, as the two-site variant's "city" site
        choice = Consent(
            new_consent_id(), datetime.now(timezone.utc), site.charter.consent_version, frozenset({"statistics"})
        )
        cookies["cookies_preferences"] = site.enforcer.codec.encode(choice)
    elif variant == "cookie-consent":
        from cookie_consent.models import Cookie, CookieGroup

        group, _ = CookieGroup.objects.get_or_create(
            varname="statistics", defaults={"name": "Statistics", "is_deletable": True, "is_required": False}
        )
        Cookie.objects.get_or_create(cookiegroup=group, name="portal_audience", defaults={"domain": ""})
        cookies["cookie_consent"] = f"statistics={group.get_version()}"
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# -- the load generator: a second process hammering one server ---------------------------------
def load(port: int, seconds: float, threads: int, cookie: str) -> None:
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
    if cookie:
        request += f"Cookie: {cookie}\r\n"
    payload = (request + "\r\n").encode("latin-1")
    deadline = time.monotonic() + seconds
    counts = [0] * threads
    errors = [0] * threads

    def run(i: int) -> None:
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                    s.sendall(payload)
                    head = s.recv(16)
                    while s.recv(65536):
                        pass
                if head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200"):
                    counts[i] += 1
                else:
                    errors[i] += 1
            except OSError:
                errors[i] += 1

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    print(json.dumps({"rps": sum(counts) / elapsed, "count": sum(counts), "errors": sum(errors)}), flush=True)


# -- the orchestra ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds of gunicorn's (single) worker, from /proc (Linux)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    total = 0.0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def probe(port: int, cookie: str) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", PATH, headers={"Cookie": cookie} if cookie else {})
        return connection.getresponse().status
    finally:
        connection.close()


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn did not listen on 127.0.0.1:{port} within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--cookie", default="", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 8, quick 2)")
    parser.add_argument("--samples", type=int, default=None, help="requests per round and cell (default 400)")
    parser.add_argument("--seconds", type=float, default=None, help="load seconds per round and cell (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="load generator threads")
    parser.add_argument("--no-server", action="store_true", help="skip the gunicorn measurement")
    parser.add_argument(
        "--block",
        type=int,
        default=25,
        help="also time the variants in runs of this many requests (default 25; 1: not)",
    )
    args = parser.parse_args()
    global VARIANTS
    if args.worker:
        VARIANTS = tuple(os.environ.get("BENCH_VARIANTS", ",".join(VARIANTS)).split(","))
        return worker()
    if args.load:
        return load(args.load, args.seconds or 4, args.threads, args.cookie)

    if importlib.util.find_spec("cookie_consent") is None:
        print(
            "django-cookie-consent is not installed, so it is left out: "
            "`.venv/bin/pip install -e '.[bench]'` adds it.\n"
        )
        VARIANTS = tuple(v for v in VARIANTS if v != "cookie-consent")
    rounds = args.rounds or (2 if args.quick else 8)
    samples = args.samples or (100 if args.quick else 400)
    seconds = args.seconds or (1.0 if args.quick else 4.0)
    python = sys.executable
    me = str(Path(__file__).resolve())

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="cookiecharter-bench-") as db_dir:
        env = _env("all", db_dir)
        env["BENCH_VARIANTS"] = ",".join(VARIANTS)
        worker_proc = subprocess.Popen(
            [python, me, "--worker"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

        def ask(command: dict) -> dict:
            worker_proc.stdin.write(json.dumps(command) + "\n")  # type: ignore[union-attr]
            worker_proc.stdin.flush()  # type: ignore[union-attr]
            return json.loads(worker_proc.stdout.readline())  # type: ignore[union-attr]

        try:
            ready = json.loads(worker_proc.stdout.readline())  # type: ignore[union-attr]
            print("Sanity (what each variant's page does):")
            for v in VARIANTS:
                for s in SCENARIOS:
                    print(f"  {v:17} {s:9} {ready['checks'][v][s]}")
            blocks = (1, args.block) if args.block > 1 else (1,)
            timings: dict[tuple[int, str, str], list[int]] = {
                (b, v, s): [] for b in blocks for v in VARIANTS for s in SCENARIOS
            }
            cpu: dict[tuple[int, str, str], list[int]] = {key: [] for key in timings}
            micro = []
            for _ in range(rounds):
                for b in blocks:
                    answer = ask({"n": samples, "block": b})
                    for v in VARIANTS:
                        for s in SCENARIOS:
                            timings[(b, v, s)] += answer[f"{v} {s}"]["ns"]
                            cpu[(b, v, s)] += answer[f"{v} {s}"]["cpu"]
                micro.append(ask({"micro": True, "n": samples * 5})["micro"])
        finally:
            try:
                worker_proc.stdin.write(json.dumps({"quit": True}) + "\n")  # type: ignore[union-attr]
                worker_proc.stdin.flush()  # type: ignore[union-attr]
            except OSError:
                pass
            worker_proc.wait(timeout=30)
        medians = {k: statistics.median(v) / 1000 for k, v in timings.items()}
        cpu_medians = {k: statistics.median(v) / 1000 for k, v in cpu.items()}
        # The fastest tenth: what a request costs when nothing else on the machine got in its way
        # (interference only ever adds time), the steadiest figure from one run to the next here.
        cpu_p10 = {k: statistics.quantiles(v, n=10)[0] / 1000 for k, v in cpu.items()}

        rps: dict[tuple[str, str], list[float]] = {(v, s): [] for v in VARIANTS for s in SCENARIOS}
        # Requests served per CPU-second of the worker: what the server could do with a core to
        # itself, which a machine shared with other work does not blur as it blurs requests/second.
        capacity: dict[tuple[str, str], list[float]] = {(v, s): [] for v in VARIANTS for s in SCENARIOS}
        errors = 0
        if not args.no_server:
            for r in range(rounds if not args.quick else 1):
                # Fresh servers every round: one process's luck (its memory layout, its hash seed)
                # moves its throughput by a few per cent for as long as it lives, which a variant
                # served by one process all run long would carry into its figure.
                servers = _start_servers(python, db_dir, ready["cookies"])
                try:
                    order = VARIANTS if r % 2 == 0 else tuple(reversed(VARIANTS))
                    for v in order:
                        for s in SCENARIOS:
                            cookie = ready["cookies"][v] if s == "returning" else ""
                            cpu_before = worker_cpu_seconds(servers[v][0].pid)
                            out = subprocess.run(
                                [
                                    python,
                                    me,
                                    "--load",
                                    str(servers[v][1]),
                                    "--seconds",
                                    str(seconds),
                                    "--threads",
                                    str(args.threads),
                                    "--cookie",
                                    cookie,
                                ],
                                capture_output=True,
                                text=True,
                                check=True,
                                timeout=seconds + 60,
                            )
                            result = json.loads(out.stdout)
                            cpu_used = worker_cpu_seconds(servers[v][0].pid) - cpu_before
                            rps[(v, s)].append(result["rps"])
                            if cpu_used > 0:
                                capacity[(v, s)].append(result["count"] / cpu_used)
                            errors += result["errors"]
                finally:
                    _stop_servers(servers)

    report(medians, cpu_medians, cpu_p10, rps, capacity, errors, rounds, samples, seconds, args, micro)
    load_after = os.getloadavg()
    print()
    print(
        f"Machine: {os.cpu_count()} cores; load average (1 min) {load_before[0]:.1f} at the start, "
        f"{load_after[0]:.1f} at the end."
    )


_LABELS = {
    "bare": "bare Django",
    "cookiecharter-mw": "+ cookiecharter middleware",
    "cookiecharter": "+ cookiecharter (middleware + banner)",
    "cookiecharter-2sites": "+ cookiecharter, two sites",
    "cookiecharter-accounts": "+ cookiecharter, FOLLOW_ACCOUNT on",
    "cookie-consent": "+ django-cookie-consent 1.0.0",
}


def _start_servers(python: str, db_dir: str, cookies: dict[str, str]) -> dict[str, tuple[subprocess.Popen, int]]:
    """One gunicorn per variant, each probed for a 200 on both visits before it is measured."""
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    try:
        for v in VARIANTS:
            port = free_port()
            proc = subprocess.Popen(
                [
                    python,
                    "-m",
                    "gunicorn",
                    "requests_site.wsgi:application",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    "1",
                    "--log-level",
                    "warning",
                ],
                env=_env(v, db_dir),
                cwd=str(BENCH),
            )
            servers[v] = (proc, port)
            wait_for(port)
            for s in SCENARIOS:  # a server that errors would be measured as fast as it fails
                status = probe(port, cookies[v] if s == "returning" else "")
                if status != 200:
                    raise SystemExit(f"the {v} server answers {status} to a {s} visit, not 200")
    except BaseException:
        _stop_servers(servers)
        raise
    return servers


def _stop_servers(servers: dict[str, tuple[subprocess.Popen, int]]) -> None:
    for proc, _ in servers.values():
        proc.terminate()
    for proc, _ in servers.values():
        proc.wait(timeout=30)


def _header() -> str:
    return "| visitor | " + " | ".join(_LABELS[v] for v in VARIANTS) + " |\n" + "|---|" + "---:|" * len(VARIANTS)


def _print_ratios(runs: dict[tuple[str, str], list[float]]) -> None:
    """One table of per-run figures: each cell the median of its runs and its ratio to bare Django."""
    print(_header())
    for s in SCENARIOS:
        base = statistics.median(runs[("bare", s)])
        cells = [f"{base:.0f}"]
        for v in VARIANTS[1:]:
            m = statistics.median(runs[(v, s)])
            cells.append(f"{m:.0f} (×{m / base:.3f})")
        print(f"| {s} visit | " + " | ".join(cells) + " |")
    print()


def report(medians, cpu_medians, cpu_p10, rps, capacity, errors, rounds, samples, seconds, args, micro) -> None:
    print()
    print(
        f"The middleware alone (median CPU µs of the thread per call around a trivial view that sets the CSRF cookie; "
        f"median over {rounds} rounds of {samples * 5} calls)"
    )
    print()
    print("| visitor | view alone | view + CookieCharterMiddleware | added | same, two sites | added |")
    print("|---|---:|---:|---:|---:|---:|")
    for s in SCENARIOS:
        inner = statistics.median(m[f"{s}-inner"] for m in micro)
        wrapped = statistics.median(m[f"{s}-wrapped"] for m in micro)
        two = statistics.median(m[f"{s}-wrapped-2sites"] for m in micro)
        print(
            f"| {s} visit | {inner:.1f} | {wrapped:.1f} | +{wrapped - inner:.1f} µs | {two:.1f} | "
            f"+{two - inner:.1f} µs |"
        )
    print()
    blocks = sorted({b for b, _, _ in cpu_medians})
    for b in blocks:
        order = (
            "one request of each variant in turn"
            if b == 1
            else f"{b} requests of each variant in a row, the first of each run not kept"
        )
        for title, table in (
            ("median CPU time of the thread (what a loaded machine does not blur)", cpu_medians),
            ("10th percentile of the thread's CPU time (the fastest tenth: least interference)", cpu_p10),
            ("median wall-clock time", medians),
        ):
            print(
                f"In-process, {order}: {title}, µs per request (Django handler), "
                f"{rounds} interleaved rounds × {samples} requests per cell"
            )
            print()
            print(_header())
            for s in SCENARIOS:
                base = table[(b, "bare", s)]
                cells = [f"{base:.0f}"]
                for v in VARIANTS[1:]:
                    m = table[(b, v, s)]
                    cells.append(f"{m:.0f} ({m - base:+.0f} µs, ×{m / base:.3f})")
                print(f"| {s} visit | " + " | ".join(cells) + " |")
            print()
    if not args.no_server:
        print()
        print(
            f"Real server: gunicorn, 1 sync worker, 127.0.0.1, fresh servers every round; load from a second "
            f"process ({args.threads} threads, one connection per request), median of "
            f"{len(next(iter(rps.values())))} runs of {seconds:g} s: requests/second (ratio to bare)"
        )
        print()
        _print_ratios(rps)
        print(
            "Same runs, requests served per CPU-second of the gunicorn worker (its /proc CPU time): "
            "the throughput a core to itself would give (ratio to bare)"
        )
        print()
        _print_ratios(capacity)
        print(f"Load errors (non-200 or connection failures): {errors}")


if __name__ == "__main__":
    main()
