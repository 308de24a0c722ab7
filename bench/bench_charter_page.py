"""The charter page: what each output of the one page model costs, and what the PDF cache saves.

    .venv/bin/python bench/bench_charter_page.py

Side by side in one run, on the demo charter in French: building the page model; rendering it as
Markdown; the Django view (model + template, through the test client, middleware included); the
PDF drawn by reportlab; and the PDF view once its bytes are cached. Best of 5 repeats each.
"""

from __future__ import annotations

import os
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from cookiecharter.core.loading import load_charter  # noqa: E402
from cookiecharter.page import build_page, to_markdown  # noqa: E402
from cookiecharter.page.pdf import render_pdf  # noqa: E402


def best(func, number: int) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number


def main() -> None:
    setup_test_environment()
    from django.conf import settings
    from django.test.utils import get_runner

    # A throwaway database: the page's consent UI may touch the session under some settings.
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        charter = load_charter(ROOT / "demo" / "charter.toml")
        page = build_page(charter, "fr")
        client = Client()
        client.get("/fr/cookies/")
        client.get("/fr/cookies/pdf/")  # warms the PDF cache
        rows = [
            ("page model (build_page)", best(lambda: build_page(charter, "fr"), 200)),
            ("Markdown from the model", best(lambda: to_markdown(page), 500)),
            ("HTML view /fr/cookies/", best(lambda: client.get("/fr/cookies/"), 50)),
            ("PDF drawn (render_pdf)", best(lambda: render_pdf(page, controller=charter.controller.name), 5)),
            ("PDF view, cached bytes", best(lambda: client.get("/fr/cookies/pdf/"), 50)),
        ]
    finally:
        runner.teardown_databases(old)
    base = rows[0][1]
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}")
    print(f"{'demo charter, French':32} {'time':>10} {'x model':>8}")
    for label, seconds in rows:
        print(f"{label:32} {seconds * 1e3:8.2f} ms {seconds / base:7.1f}x")


if __name__ == "__main__":
    main()
