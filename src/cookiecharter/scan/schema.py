"""Print the scan report's JSON Schema: ``python -m cookiecharter.scan.schema > docs/scan-report-schema.json``.

The schema is generated from the pydantic models the reports are written with, so it cannot
drift from them (a test compares the published file with this output).
"""

from __future__ import annotations

import json
import sys

from .report import json_schema

if __name__ == "__main__":
    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n")
