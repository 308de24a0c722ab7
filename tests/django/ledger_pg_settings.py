"""tests.settings with PostgreSQL as the default database, for test_ledger_postgres.py's inner run.

The test database gets a name of its own per run, so engineers and CI jobs never collide.
"""

import os

from tests.conftest import POSTGRES
from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        **POSTGRES,
        "TEST": {"NAME": os.environ.get("COOKIECHARTER_PG_TEST_NAME", f"cookiecharter_ledger_{os.getpid()}")},
    }
}
