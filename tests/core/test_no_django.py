"""The core and `cookiecharter validate` work without Django: nothing on those paths imports it.

Checked in a fresh interpreter, since this test process has Django loaded by pytest-django, and in
the source, which also shows the imports inside functions (the page has its own such test).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.layers import SRC, imports_of

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "charter.toml"

PROBE = """
import json, sys
import cookiecharter.core
import cookiecharter.core.loading
from cookiecharter.cli import main
try:
    main(["validate", %r], standalone_mode=False)
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"django", "playwright", "reportlab"})
print(json.dumps(heavy))
"""


def test_core_and_validate_never_import_django() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE % str(DEMO)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    summary, imported = out.stdout.strip().splitlines()
    assert summary.startswith(f"{DEMO}: valid: ")
    assert json.loads(imported) == []


def test_python_dash_m_runs_the_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cookiecharter", "validate", str(DEMO)], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{DEMO}: valid: 3 purposes, 6 cookies")
    bad = ROOT / "tests" / "fixtures" / "charters" / "broken" / "bad-lifetime.toml"
    out = subprocess.run([sys.executable, "-m", "cookiecharter", "validate", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1
    assert f"{bad}:34: cookies[0].lifetime: unknown unit 'weks'" in out.stdout


def test_the_core_imports_nothing_above_it_even_lazily() -> None:
    outside = [
        f"{path.relative_to(SRC)}:{line}: {module}"
        for path, line, module in imports_of("cookiecharter.core")
        if module.split(".")[0] in {"django", "cookiecharter", "reportlab", "playwright"}
        and not module.startswith("cookiecharter.core")
    ]
    assert outside == []
