"""Scanner speed: ours against cookieradar on the same page, then a 20-page audit of the demo portal.

    .venv/bin/python bench/bench_scan.py [--rounds 3] [--skip-demo]

1. ``bench/scan_site/`` (one page: a OneTrust-style banner both tools know, a server cookie, an
   analytics cookie on arrival, an advertising cookie after "accept all") is served on
   127.0.0.1. Each round runs, as separate processes and in alternating order, ``cookiecharter
   scan URL --pages 1`` (four phases: arrival, refuse, accept, GPC) and cookieradar's ``audit URL``
   (its three phases) through ``bench/cookieradar_shim.py``, which points it at the system
   Chromium and turns off its download of legal texts. Wall time of each whole command, median
   over the rounds, and the ratio. Both outputs are checked, so a tool that failed is not timed
   as fast.
2. The demo portal (runserver and its map widget, as the browser tests start them) audited with
   ``--pages 20``: wall time and peak memory of the scan's process tree (the Python process and
   every Chromium process, resident memory summed, sampled every 50 ms).

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


def _tree_rss_kib(root: int) -> int:
    children = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def timed(cmd: list[str], env: dict[str, str] | None = None, sample_memory: bool = False) -> tuple[float, int, str, int]:
    """(wall seconds, exit status, output, peak RSS of the tree in KiB when sampled)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    peak = 0
    output_parts: list[str] = []
    reader = threading.Thread(target=lambda: output_parts.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    while proc.poll() is None:
        if sample_memory:
            peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    reader.join()
    return wall, proc.returncode, "".join(output_parts), peak


def ours(url: str, out: Path, pages: int = 1, charter: Path | None = None, sample_memory: bool = False):
    cmd = [PYTHON, "-m", "cookiecharter", "scan", url, "--pages", str(pages), "--out", str(out), "--format", "json", "--fail-on", "never"]
    if charter:
        cmd += ["--charter", str(charter)]
    env = dict(os.environ, COLUMNS="120")
    wall, code, output, peak = timed(cmd, env, sample_memory)
    report = json.loads((out / "report.json").read_text()) if code == 0 and (out / "report.json").exists() else None
    if report is None:
        raise SystemExit(f"cookiecharter scan failed ({code}):\n{output[-3000:]}")
    phases = {p["name"]: p for p in report["phases"]}
    assert set(phases) == {"arrival", "refuse", "accept", "gpc"}, phases.keys()
    assert phases["refuse"]["decision_made"] and phases["accept"]["decision_made"], "a decision was not made"
    return wall, report, peak


def cookieradar(url: str) -> float:
    wall, code, output, _ = timed([PYTHON, str(ROOT / "bench" / "cookieradar_shim.py"), url])
    # It exits non-zero on violations (the page has one on purpose); what matters is that it ran
    # its three sessions and clicked the banner.
    if "Post-reject" not in output or "Banner found: ✅" not in output:
        raise SystemExit(f"cookieradar did not complete ({code}):\n{output[-3000:]}")
    return wall


def one_page(rounds: int) -> dict[str, float]:
    ensure_cookieradar()
    server, url = serve_site()
    ours_times: list[float] = []
    theirs: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds):
                # Alternate who goes first, so neither always meets a warmer machine.
                order = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
                for who in order:
                    if who == "ours":
                        wall, _, _ = ours(url, Path(tmp) / f"r{r}")
                        ours_times.append(wall)
                    else:
                        theirs.append(cookieradar(url))
                print(f"round {r + 1}: cookiecharter {ours_times[-1]:.2f} s, cookieradar {theirs[-1]:.2f} s", flush=True)
    finally:
        server.shutdown()
        server.server_close()
    result = {
        "ours_median": statistics.median(ours_times),
        "ours_min": min(ours_times),
        "theirs_median": statistics.median(theirs),
        "theirs_min": min(theirs),
    }
    result["ratio"] = result["theirs_median"] / result["ours_median"]
    return result


def demo(pages: int) -> dict[str, float]:
    spec = importlib.util.spec_from_file_location("cookiecharter_browser_harness", ROOT / "tests" / "browser" / "conftest.py")
    assert spec and spec.loader
    harness = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = harness
    spec.loader.exec_module(harness)
    server = harness.start_demo(ROOT / "demo" / "charter.toml")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wall, report, peak = ours(server.url + "/", Path(tmp), pages, ROOT / "demo" / "charter.toml", sample_memory=True)
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
    return {
        "wall": wall,
        "pages": len(report["pages"]),
        "peak_mib": peak / 1024,
        "errors": report["summary"]["errors"],
        "scan_ms": report["duration_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--demo-pages", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    r = one_page(args.rounds)
    print()
    print("| one page, whole command | median | best |")
    print("|---|---|---|")
    print(f"| cookiecharter scan (4 phases) | {r['ours_median']:.2f} s | {r['ours_min']:.2f} s |")
    print(f"| cookieradar audit (3 phases) | {r['theirs_median']:.2f} s | {r['theirs_min']:.2f} s |")
    print(f"| ratio (cookieradar / cookiecharter, medians) | {r['ratio']:.1f}x | |")
    if not args.skip_demo:
        d = demo(args.demo_pages)
        print()
        print(f"demo portal, --pages {args.demo_pages}: {d['pages']} pages audited x 4 phases in {d['wall']:.2f} s "
              f"(scan itself {d['scan_ms'] / 1000:.2f} s), peak memory of the process tree {d['peak_mib']:.0f} MiB, "
              f"{d['errors']} error(s)")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
