"""A brand-new Django project with cookiecharter adopted as a page says: the fenced blocks of the
README's adoption (or the tutorial, which repeats them word for word) applied to what
``django-admin startproject`` writes. Shared by tests/readme/ and tests/docs/."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
ENV = {"PATH": f"{BIN}:/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}


def fenced(text: str, marker: str, name: str) -> str:
    """The fenced block right after ``<!-- MARKER:NAME -->`` in ``text``."""
    found = re.search(rf"<!-- {marker}:{name} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert found, f"no {marker}:{name} block"
    return found.group(1)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=ENV)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done


def manage(line: str, cwd: Path) -> subprocess.CompletedProcess:
    """A ``python manage.py ...`` line of a page, run with this environment's Python."""
    args = shlex.split(line)
    assert args[:2] == ["python", "manage.py"], line
    return run([sys.executable, *args[1:]], cwd)


def adopt(home: Path, block: Callable[[str], str]) -> None:
    """``startproject`` in ``home``, then the adoption's steps: settings, URLs, the base template, the
    shell commands, the charter (validated)."""
    run([str(BIN / "django-admin"), "startproject", "mysite", str(home)], home)
    with (home / "mysite" / "settings.py").open("a", encoding="utf-8") as f:
        f.write("\n" + block("settings"))
    with (home / "mysite" / "urls.py").open("a", encoding="utf-8") as f:
        f.write("\n" + block("urls"))
    (home / "templates").mkdir()
    (home / "templates" / "base.html").write_text(block("template"), encoding="utf-8")
    for line in block("shell").strip().splitlines():
        manage(line, home)
    with (home / "charter.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + block("charter"))
    run([str(BIN / "cookiecharter"), "validate", "charter.toml"], home)
