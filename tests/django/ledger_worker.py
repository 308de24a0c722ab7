"""A separate process making consent decisions against the test database (test_ledger_concurrency).

    python tests/django/ledger_worker.py N START_AT

``COOKIECHARTER_WORKER_DB`` holds the test database's connection settings as JSON; the worker
waits until the wall clock reaches START_AT so that all workers write at the same moment.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def main() -> None:
    n, start_at = int(sys.argv[1]), float(sys.argv[2])
    settings.DATABASES["default"].update(json.loads(os.environ["COOKIECHARTER_WORKER_DB"]))
    django.setup()
    from django.test import Client

    client = Client()
    time.sleep(max(0.0, start_at - time.time()))
    statuses = []
    for i in range(n):
        client.cookies.clear()
        choice = ("accept-all", "refuse-all", "custom")[i % 3]
        response = client.post(
            "/fr/cookies/consent/", {"choice": choice, "purpose": "embeds"}, HTTP_ACCEPT="application/json"
        )
        statuses.append(response.status_code)
    print(json.dumps(statuses))


if __name__ == "__main__":
    main()
