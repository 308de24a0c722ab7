"""Audits of many sites: locally on a bounded pool, and on real Celery workers over a real broker
(RabbitMQ and Redis on 127.0.0.1), a worker killed mid-audit included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner

from cookiecharter.cli import main

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/0"
UNDER_CI = os.environ.get("CI") == "true"


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def sites_file(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "sites.txt"
    path.write_text("# the sites to audit\n" + "\n".join(urls) + "\n", encoding="utf-8")
    return path


def summary(out: Path) -> dict[str, dict]:
    return {o["url"]: o for o in json.loads((out / "summary.json").read_text())}


def test_many_sites_locally_one_report_each_and_a_summary(site_server, chromium, tmp_path) -> None:
    ours, ignoring = site_server("ours"), site_server("ignores-refusal")
    with socket.socket() as sock:  # nobody listens there
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["scan", "--sites", str(sites_file(tmp_path, ours.url, ignoring.url, dead)), "--pages", "1", "--jobs", "2",
               "--out", str(out), "--timeout", "5"], catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 2, result.output  # a site could not be audited
    got = summary(out)
    assert got[ours.url]["status"] == "audited" and set(got[ours.url]["verdicts"].values()) == {"yes"}
    assert got[ignoring.url]["verdicts"]["refusal-respected"] == "no"
    assert got[dead]["status"] == "failed" and "could not be loaded" in got[dead]["error"]
    for url in (ours.url, ignoring.url):
        report = Path(got[url]["report_dir"])
        assert (report / "report.json").exists() and (report / "report.html").exists()
    csv_lines = (out / "summary.csv").read_text().splitlines()
    assert csv_lines[0].startswith("url,status,attempts") and len(csv_lines) == 4
    assert "Refusal respected" in (out / "summary.html").read_text()


class Workers:
    """Celery workers started for real (``celery -A cookiecharter.scan.fleet.tasks worker``)."""

    def __init__(self, broker: str, count: int, tmp_path: Path) -> None:
        self.broker = broker
        self.queue = f"cookiecharter-test-{uuid.uuid4().hex[:8]}"
        env = dict(os.environ, COOKIECHARTER_BROKER=broker, COOKIECHARTER_QUEUE=self.queue)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env = env
        self.logs = [(tmp_path / f"worker{i}.log").open("w") for i in range(count)]
        self.procs = [self._start(i, log) for i, log in enumerate(self.logs)]
        from celery import Celery

        self.control = Celery(broker=broker)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            replies = self.control.control.inspect(timeout=1, destination=self.names()).ping() or {}
            if len(replies) == count:
                return
        self.stop()
        raise AssertionError("the workers did not start: see worker*.log in " + str(tmp_path))

    def _start(self, index: int, log: IO[str]) -> subprocess.Popen:
        command = [
            sys.executable, "-m", "celery", "-A", "cookiecharter.scan.fleet.tasks", "worker", "--pool", "threads",
            "--concurrency", "1", "-n", f"w{index}-{self.queue}@%h", "--loglevel", "warning", "--without-gossip",
            "--without-mingle",
        ]  # fmt: skip
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def names(self) -> list[str]:
        return [f"w{i}-{self.queue}@{socket.gethostname()}" for i in range(len(self.procs))]

    def active(self) -> dict[str, list[dict]]:
        return self.control.control.inspect(timeout=1, destination=self.names()).active() or {}

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in self.logs:
            log.close()


def _scan_command(tmp_path: Path, broker: str, env: dict[str, str], *urls: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cookiecharter", "scan", "--sites", str(sites_file(tmp_path, *urls)), "--pages", "1",
         "--out", str(tmp_path / "out"), "--broker", broker, "--format", "json"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.mark.parametrize("broker, port", [(RABBITMQ, 5672), (REDIS, 6379)])
def test_two_workers_share_the_sites(site_server, chromium, tmp_path, broker, port) -> None:
    if not _reachable(port):
        if UNDER_CI:
            pytest.fail(f"CI=true requires the broker at 127.0.0.1:{port}")
        pytest.skip(f"no broker at 127.0.0.1:{port}")
    urls = [site_server(name).url for name in ("ours", "ignores-refusal", "lib-klaro-leaky", "dead-refuse")]
    workers = Workers(broker, 2, tmp_path)
    try:
        command = _scan_command(tmp_path, broker, workers.env, *urls)
        output, _ = command.communicate(timeout=600)
    finally:
        workers.stop()
    got = summary(tmp_path / "out")
    assert all(got[u]["status"] == "audited" for u in urls), output
    assert {got[u]["worker"] for u in urls} == set(workers.names())  # both took sites
    assert got[urls[1]]["verdicts"]["refusal-respected"] == "no"
    assert got[urls[3]]["verdicts"]["refusal-respected"] == "not tested"


def test_a_killed_worker_loses_no_site(site_server, npm_libraries, chromium, tmp_path) -> None:
    if not _reachable(5672):
        if UNDER_CI:
            pytest.fail("CI=true requires RabbitMQ at 127.0.0.1:5672")
        pytest.skip("no RabbitMQ at 127.0.0.1:5672")
    slow = site_server("slow").url  # its page answers after 8 s: a worker is busy with it long enough
    urls = [slow, site_server("ours").url, site_server("lib-klaro").url]
    workers = Workers(RABBITMQ, 2, tmp_path)
    try:
        command = _scan_command(tmp_path, RABBITMQ, workers.env, *urls)
        victim = None
        deadline = time.monotonic() + 120
        while victim is None and time.monotonic() < deadline:
            for name, tasks in workers.active().items():
                for task in tasks:
                    if slow in json.dumps(task.get("args")):
                        victim = (name, task["worker_pid"])
        assert victim is not None, "no worker took the slow site"
        os.kill(victim[1], signal.SIGKILL)  # mid-audit: its message was never acknowledged
        output, _ = command.communicate(timeout=600)
    finally:
        workers.stop()
    got = summary(tmp_path / "out")
    assert all(got[u]["status"] == "audited" for u in urls), output
    survivor = next(n for n in workers.names() if n != victim[0])
    assert got[slow]["worker"] == survivor and got[slow]["attempts"] >= 2  # redelivered, and says so
