"""The charter page renders without Django: nothing in ``cookiecharter.page`` imports it, even lazily.

The layers (issue 11): the core imports nothing above it; the page imports only the core; neither
imports the scanner. The Django view and the standalone HTML render the same page model through the
app's template, from the Django layer.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.layers import SRC, imports_of


def test_the_page_imports_only_itself_and_the_core() -> None:
    outside = [
        f"{path.relative_to(SRC)}:{line}: {module}"
        for path, line, module in imports_of("cookiecharter.page")
        if module.split(".")[0] in {"django", "cookiecharter"}
        and not module.startswith(("cookiecharter.core", "cookiecharter.page"))
    ]
    assert outside == []


PROBE = """
import json, sys
import cookiecharter.page
from cookiecharter.page import markdown, model, pdf, standalone
from cookiecharter.core.loading import load_charter
charter = load_charter(%r)
assert standalone.render_markdown(charter, "fr").startswith("# Charte cookies")
assert standalone.render_pdf_bytes(charter, "en").startswith(b"%%PDF-")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {"django", "playwright"})))
"""


def test_rendering_the_page_in_markdown_and_pdf_loads_no_django() -> None:
    from tests.charter_samples import DEMO, ROOT

    out = subprocess.run([sys.executable, "-c", PROBE % str(DEMO)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
