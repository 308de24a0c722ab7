"""Scanner speed: ours against cookieradar on the same page, then a 20-page audit of the demo portal.

    .venv/bin/python bench/bench_scan.py [--rounds 3] [--skip-demo] [--hundred] [--only-hundred]

1. ``bench/scan_site/`` (one page: a OneTrust-style banner both tools know, a server cookie, an
   analytics cookie on arrival, an advertising cookie after "accept all") is served on
   127.0.0.1. Each round runs, as separate processes and in alternating order, ``cookiecharter
   scan URL --pages 1`` (four phases: arrival, refuse, accept, GPC) and cookieradar's ``audit URL``
   (its three phases) through ``bench/cookieradar_shim.py``, which points it at the system
   Chromium and turns off its download of legal texts. Wall time of each whole command, median
   over the rounds, and the ratio. Both outputs are checked, so a tool that failed is not timed
   as fast.
   In the same rounds, a **floor**: a bare Playwright script that does only what any four-phase
   scan must do, with nothing of ours (no hooks, no settle, no banner search, no click, no
   screenshot, no report): start Playwright, launch the same Chromium with the same arguments,
   open four fresh contexts at once and load the page in each (twice in the two phases that
   decide). What ours takes above it is our own cost; what the floor takes is Chromium's and
   Playwright's, on this machine, under its load at that moment.
2. The demo portal (runserver and its map widget, as the browser tests start them) audited with
   ``--pages 20``: wall time and peak memory of the scan's process tree (the Python process, the
   Playwright driver and every Chromium process).
3. **100 pages x 4 phases** (``--hundred``): the benchmark page served as 100 linked pages
   (``/`` and ``/p/1`` ... ``/p/99``, each with the banner and its cookies), audited with
   ``--pages 100 --concurrency 4``, against a floor that loads the same pages with the same
   concurrency: four fresh contexts, each loading the 100 pages (the start page twice in the two
   phases that decide), at most 4 pages open at once over all of them. Wall time, CPU and peak
   memory of each whole command, median over the rounds.

For every command the process tree is sampled every 50 ms from /proc: peak memory (proportional
set size summed over the tree, so pages shared between Chromium's processes count once) and CPU
seconds (each process's own, as last seen: its final 50 ms may be
missed). CPU seconds do not depend on how busy the machine is; wall times do, a lot.

cookieradar is installed into the running virtualenv with pip when it is missing.
"""

from __future__ import annotations

import argparse
import http.server
import importlib.util
import json
import os
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "bench" / "scan_site"
PYTHON = sys.executable


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        if self.path in ("/", "/index.html"):
            self.send_header("Set-Cookie", "shop_session=s1; Path=/; HttpOnly; SameSite=Lax")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve_site() -> tuple[_Server, str]:
    server = _Server(("127.0.0.1", 0), partial(_Handler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


HUNDRED = 100


class _ManyHandler(_Handler):
    """The benchmark page as HUNDRED pages: / links to /p/1 ... /p/99, each the same page."""

    def do_GET(self) -> None:  # http.server's naming
        path = self.path.split("?")[0]
        if path == "/" or (path.startswith("/p/") and path[3:].isdigit()):
            html = (SITE / "index.html").read_text(encoding="utf-8")
            links = "".join(f'<a href="/p/{i}">page {i}</a> ' for i in range(1, HUNDRED)) if path == "/" else ""
            body = html.replace("</body>", f"<nav>{links}</nav></body>").encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        # Every page sets the server cookie, as a site's pages do.
        self.send_header("Set-Cookie", "shop_session=s1; Path=/; HttpOnly; SameSite=Lax")
        self.send_header("Cache-Control", "no-store")
        http.server.SimpleHTTPRequestHandler.end_headers(self)


def serve_many() -> tuple[_Server, str]:
    server = _Server(("127.0.0.1", 0), partial(_ManyHandler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


#: The floor of the 100-page audit: the same pages, the same concurrency, nothing else.
HUNDRED_FLOOR_SCRIPT = """
import asyncio, sys
from playwright.async_api import async_playwright
from cookiecharter.scan.browser import LAUNCH_ARGS, find_chromium

start, count, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
urls = [start] + [start + "p/" + str(i) for i in range(1, count)]
slots = asyncio.Semaphore(concurrency)

async def load(context, url, times=1):
    async with slots:
        page = await context.new_page()
        for _ in range(times):
            await page.goto(url, wait_until="load")
        await page.close()

async def phase(browser, decides):
    context = await browser.new_context()
    await load(context, urls[0], 2 if decides else 1)
    await asyncio.gather(*(load(context, u) for u in urls[1:]))
    await context.close()

async def main():
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=find_chromium(None), args=list(LAUNCH_ARGS))
        await asyncio.gather(*(phase(browser, d) for d in (False, True, True, False)))
        await browser.close()
    print("floor ok")

asyncio.run(main())
"""


def hundred(rounds: int, concurrency: int = 4) -> dict[str, float]:
    server, url = serve_many()
    ours_runs: list[Run] = []
    floors: list[Run] = []
    failed: list[int] = []
    pages_seen = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds):
                order = ("ours", "floor") if r % 2 == 0 else ("floor", "ours")
                for who in order:
                    if who == "ours":
                        out = Path(tmp) / f"h{r}"
                        cmd = [PYTHON, "-m", "cookiecharter", "scan", url, "--pages", str(HUNDRED), "--concurrency",
                               str(concurrency), "--out", str(out), "--format", "json", "--fail-on", "never"]  # fmt: skip
                        run = timed(cmd, dict(os.environ, COLUMNS="120"))
                        report = (
                            json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else None
                        )
                        if run.code != 0 or report is None:
                            raise SystemExit(f"cookiecharter scan failed ({run.code}):\n{run.output[-3000:]}")
                        pages_seen = len(report["pages"])
                        phases = {p["name"]: p for p in report["phases"]}
                        assert phases["refuse"]["decision_verified"] and phases["accept"]["decision_verified"], (
                            "a decision did not take effect"
                        )
                        assert all(len(p["pages"]) == pages_seen for p in report["phases"]), "a phase missed pages"
                        failed.append(sum(1 for p in report["phases"] for v in p["pages"] if v["error"]))
                        ours_runs.append(run)
                    else:
                        run = timed([PYTHON, "-c", HUNDRED_FLOOR_SCRIPT, url, str(HUNDRED), str(concurrency)])
                        if run.code != 0 or "floor ok" not in run.output:
                            raise SystemExit(f"the floor script failed ({run.code}):\n{run.output[-3000:]}")
                        floors.append(run)
                print(
                    f"100 pages, round {r + 1} (load {os.getloadavg()[0]:.1f}): cookiecharter {ours_runs[-1].wall:.1f} s "
                    f"({ours_runs[-1].cpu:.0f} s CPU, {ours_runs[-1].peak_kib / 1024:.0f} MiB), floor {floors[-1].wall:.1f} s "
                    f"({floors[-1].cpu:.0f} s CPU, {floors[-1].peak_kib / 1024:.0f} MiB)",
                    flush=True,
                )
    finally:
        server.shutdown()
        server.server_close()
    return {
        "pages": pages_seen,
        "ours": statistics.median(r.wall for r in ours_runs),
        "ours_cpu": statistics.median(r.cpu for r in ours_runs),
        "ours_peak": max(r.peak_kib for r in ours_runs) / 1024,
        "floor": statistics.median(r.wall for r in floors),
        "floor_cpu": statistics.median(r.cpu for r in floors),
        "floor_peak": max(r.peak_kib for r in floors) / 1024,
        "ratios": [o.wall / f.wall for o, f in zip(ours_runs, floors)],
        "failed": max(failed, default=0),
    }


def ensure_cookieradar() -> None:
    if importlib.util.find_spec("cookieradar") is None:
        print("cookieradar is not installed: pip install cookieradar", flush=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "cookieradar"], check=True)


# -- peak memory of a process tree (no psutil: /proc is enough on Linux) -------------------------
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ")".
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


_TICK = os.sysconf("SC_CLK_TCK")


def _sample_tree(root: int, cpu: dict[int, float]) -> int:
    """Memory of the tree now (PSS, KiB); updates ``cpu`` with each process's CPU seconds so far."""
    children = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            # utime and stime (fields 14 and 15): the process's own CPU time, children apart.
            cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK
            # Proportional set size: Chromium's processes share most of their pages, and summing
            # their resident sizes would count those pages once per process.
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


@dataclass
class Run:
    wall: float
    code: int
    output: str
    peak_kib: int
    #: CPU seconds of the whole process tree (sampled; a process's last 50 ms may be missed).
    cpu: float


def timed(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    peak = 0
    cpu: dict[int, float] = {}
    output_parts: list[str] = []
    reader = threading.Thread(target=lambda: output_parts.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    while proc.poll() is None:
        peak = max(peak, _sample_tree(proc.pid, cpu))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    reader.join()
    return Run(wall, proc.returncode, "".join(output_parts), peak, sum(cpu.values()))


#: The floor (see the module docstring): four fresh contexts, the page loaded once in two of
#: them and twice in the other two, nothing else. Run as its own process, like the two tools.
FLOOR_SCRIPT = """
import asyncio, sys
from playwright.async_api import async_playwright
from cookiecharter.scan.browser import LAUNCH_ARGS, find_chromium

async def phase(browser, loads):
    context = await browser.new_context()
    page = await context.new_page()
    for _ in range(loads):
        await page.goto(sys.argv[1], wait_until="load")
    await context.close()

async def main():
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=find_chromium(None), args=list(LAUNCH_ARGS))
        await asyncio.gather(*(phase(browser, loads) for loads in (1, 2, 2, 1)))
        await browser.close()
    print("floor ok")

asyncio.run(main())
"""


def floor(url: str) -> Run:
    run = timed([PYTHON, "-c", FLOOR_SCRIPT, url])
    if run.code != 0 or "floor ok" not in run.output:
        raise SystemExit(f"the floor script failed ({run.code}):\n{run.output[-3000:]}")
    return run


def ours(url: str, out: Path, pages: int = 1, charter: Path | None = None) -> tuple[Run, dict]:
    cmd = [
        PYTHON,
        "-m",
        "cookiecharter",
        "scan",
        url,
        "--pages",
        str(pages),
        "--out",
        str(out),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    if charter:
        cmd += ["--charter", str(charter)]
    env = dict(os.environ, COLUMNS="120")
    run = timed(cmd, env)
    report = json.loads((out / "report.json").read_text()) if run.code == 0 and (out / "report.json").exists() else None
    if report is None:
        raise SystemExit(f"cookiecharter scan failed ({run.code}):\n{run.output[-3000:]}")
    phases = {p["name"]: p for p in report["phases"]}
    assert set(phases) == {"arrival", "refuse", "accept", "gpc"}, phases.keys()
    assert phases["refuse"]["decision_made"] and phases["accept"]["decision_made"], "a decision was not made"
    return run, report


def cookieradar(url: str) -> Run:
    run = timed([PYTHON, str(ROOT / "bench" / "cookieradar_shim.py"), url])
    # It exits non-zero on violations (the page has one on purpose); what matters is that it ran
    # its three sessions and clicked the banner.
    if "Post-reject" not in run.output or "Banner found: ✅" not in run.output:
        raise SystemExit(f"cookieradar did not complete ({run.code}):\n{run.output[-3000:]}")
    return run


def one_page(rounds: int) -> dict[str, float]:
    ensure_cookieradar()
    server, url = serve_site()
    ours_runs: list[Run] = []
    theirs: list[Run] = []
    floors: list[Run] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds):
                # Alternate who goes first, so neither always meets a warmer machine.
                order = ("ours", "floor", "theirs") if r % 2 == 0 else ("theirs", "floor", "ours")
                for who in order:
                    if who == "ours":
                        ours_runs.append(ours(url, Path(tmp) / f"r{r}")[0])
                    elif who == "floor":
                        floors.append(floor(url))
                    else:
                        theirs.append(cookieradar(url))
                print(
                    f"round {r + 1} (load {os.getloadavg()[0]:.1f}): cookiecharter {ours_runs[-1].wall:.2f} s "
                    f"({ours_runs[-1].cpu:.1f} s CPU), floor {floors[-1].wall:.2f} s ({floors[-1].cpu:.1f} s CPU), "
                    f"cookieradar {theirs[-1].wall:.2f} s ({theirs[-1].cpu:.1f} s CPU)",
                    flush=True,
                )
    finally:
        server.shutdown()
        server.server_close()
    result = {
        "ours_median": statistics.median(r.wall for r in ours_runs),
        "ours_min": min(r.wall for r in ours_runs),
        "ours_cpu": statistics.median(r.cpu for r in ours_runs),
        "ours_peak": max(r.peak_kib for r in ours_runs) / 1024,
        "floor_median": statistics.median(r.wall for r in floors),
        "floor_min": min(r.wall for r in floors),
        "floor_cpu": statistics.median(r.cpu for r in floors),
        "floor_peak": max(r.peak_kib for r in floors) / 1024,
        "theirs_median": statistics.median(r.wall for r in theirs),
        "theirs_min": min(r.wall for r in theirs),
        "theirs_cpu": statistics.median(r.cpu for r in theirs),
        "theirs_peak": max(r.peak_kib for r in theirs) / 1024,
    }
    result["ratio"] = result["theirs_median"] / result["ours_median"]
    result["floor_ratio"] = result["theirs_median"] / result["floor_median"]
    # Per round, so a load that changed between rounds moves both sides of each ratio together.
    result["round_ratios"] = [t.wall / o.wall for t, o in zip(theirs, ours_runs)]
    return result


def demo(pages: int) -> dict[str, float]:
    spec = importlib.util.spec_from_file_location(
        "cookiecharter_browser_harness", ROOT / "tests" / "browser" / "conftest.py"
    )
    assert spec and spec.loader
    harness = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = harness
    spec.loader.exec_module(harness)
    server = harness.start_demo(ROOT / "demo" / "charter.toml")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run, report = ours(server.url + "/", Path(tmp), pages, ROOT / "demo" / "charter.toml")
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
    return {
        "wall": run.wall,
        "cpu": run.cpu,
        "pages": len(report["pages"]),
        "peak_mib": run.peak_kib / 1024,
        "errors": report["summary"]["errors"],
        "scan_ms": report["duration_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--demo-pages", type=int, default=20)
    parser.add_argument("--hundred", action="store_true", help="also 100 pages x 4 phases against the floor")
    parser.add_argument("--only-hundred", action="store_true", help="only the 100-page comparison")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    if args.hundred or args.only_hundred:
        h = hundred(args.rounds)
        print()
        print(f"| {h['pages']} pages x 4 phases, --concurrency 4 | wall, median | CPU, median | peak memory |")
        print("|---|---|---|---|")
        print(f"| cookiecharter scan | {h['ours']:.1f} s | {h['ours_cpu']:.0f} s | {h['ours_peak']:.0f} MiB |")
        print(
            f"| floor: bare Playwright, same pages, same concurrency | {h['floor']:.1f} s | {h['floor_cpu']:.0f} s | {h['floor_peak']:.0f} MiB |"
        )
        print(f"| ratio (cookiecharter / floor, median wall times) | {h['ours'] / h['floor']:.2f}x | | |")
        print("ratio per round: " + ", ".join(f"{x:.2f}x" for x in h["ratios"]))
        print(f"page visits that failed (of {h['pages'] * 4}): {h['failed']} at most in a round")
        if args.only_hundred:
            return
    r = one_page(args.rounds)
    print()
    print("| one page, whole command | wall, median | wall, best | CPU, median | peak memory |")
    print("|---|---|---|---|---|")
    print(
        f"| cookiecharter scan (4 phases) | {r['ours_median']:.2f} s | {r['ours_min']:.2f} s | {r['ours_cpu']:.1f} s | {r['ours_peak']:.0f} MiB |"
    )
    print(
        f"| cookieradar audit (3 phases) | {r['theirs_median']:.2f} s | {r['theirs_min']:.2f} s | {r['theirs_cpu']:.1f} s | {r['theirs_peak']:.0f} MiB |"
    )
    print(
        f"| floor: bare Playwright, 4 contexts, 6 page loads | {r['floor_median']:.2f} s | {r['floor_min']:.2f} s | {r['floor_cpu']:.1f} s | {r['floor_peak']:.0f} MiB |"
    )
    print(f"| ratio (cookieradar / cookiecharter, median wall times) | {r['ratio']:.1f}x | | | |")
    print(f"| ratio (cookieradar / floor, median wall times) | {r['floor_ratio']:.1f}x | | | |")
    print("ratio per round: " + ", ".join(f"{x:.1f}x" for x in r["round_ratios"]))
    if not args.skip_demo:
        d = demo(args.demo_pages)
        print()
        print(f"demo portal, --pages {args.demo_pages}: {d['pages']} pages audited x 4 phases in {d['wall']:.2f} s "
              f"(scan itself {d['scan_ms'] / 1000:.2f} s, {d['cpu']:.1f} s CPU), peak memory of the process tree "
              f"{d['peak_mib']:.0f} MiB, {d['errors']} error(s)")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
