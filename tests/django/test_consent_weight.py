"""The consent UI's script and style stay within their 5 KB budget (gzip -9, each file on its own,
as a static server sends them): a size, not a timing, so it is the same on every machine."""

from __future__ import annotations

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "src" / "cookiecharter" / "static" / "cookiecharter"
BUDGET = 5 * 1024


def test_script_and_style_weigh_at_most_5_kb_gzipped():
    sizes = {
        name: len(gzip.compress((STATIC / name).read_bytes(), compresslevel=9, mtime=0))
        for name in ("consent.js", "consent.css")
    }
    assert sum(sizes.values()) <= BUDGET, f"{sizes}: {sum(sizes.values()):,} bytes, over {BUDGET:,}"
