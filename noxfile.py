"""The suite on each supported Django: ``make test-matrix`` (or ``.venv/bin/nox``).

Django 4.2 and 5.2 run on Python 3.11, Django 6 on Python 3.12 (it needs 3.12 or later). The
interpreters are looked for on the PATH, then under pyenv (~/.pyenv/versions/3.1x.*/bin). Extra
arguments go to pytest: ``make test-matrix NOX_ARGS="-- tests/core -q"``.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

# Make pyenv's interpreters findable as python3.11 / python3.12 without activating pyenv.
_pyenv = sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / "3.1[12].*" / "bin")), reverse=True)
os.environ["PATH"] = os.pathsep.join([*_pyenv, os.environ.get("PATH", "")])


def _run_suite(session: nox.Session, requirement: str) -> None:
    # One install command, so pip resolves the test extra and the pinned Django together.
    session.install("-e", ".[test]", requirement)
    session.run(
        "python", "-c", "import sys, django; print('Python', sys.version.split()[0], '/ Django', django.get_version())"
    )
    session.run("python", "-m", "pytest", *(session.posargs or ["-q"]))


@nox.session(python="3.11", name="django-4.2")
def django_42(session: nox.Session) -> None:
    """The suite on Django 4.2 LTS (Python 3.11)."""
    _run_suite(session, "Django>=4.2,<5.0")


@nox.session(python="3.11", name="django-5.2")
def django_52(session: nox.Session) -> None:
    """The suite on Django 5.2 LTS (Python 3.11)."""
    _run_suite(session, "Django>=5.2,<6.0")


@nox.session(python="3.12", name="django-6")
def django_6(session: nox.Session) -> None:
    """The suite on Django 6.x (Python 3.12)."""
    _run_suite(session, "Django>=6.0,<7.0")
