"""Reading a charter file (TOML) into the immutable model of ``core.charter``, validating everything.

Three passes, and every problem of every pass is collected before anything is raised, so a person
fixing a charter sees the whole list at once:

1. TOML syntax (``syntax``: ``tomllib``, whose error carries the line).
2. Structure (``schema``: pydantic, strict: types, required keys, unknown keys with a "did you
   mean"). Each section is validated on its own so one broken cookie does not hide the others.
3. Meaning (``rules``): references between purposes and cookies, overlapping names (``names``),
   lifetimes, translations, the CNIL rules for exempt cookies, and so on.

Each problem names its file, line (``locator``) and field. Nothing here imports Django. A file that
cannot be read raises ``OSError`` as ``open`` does (callers tell "missing" from "invalid");
everything else wrong raises ``CharterError``.
"""

from __future__ import annotations

import os

from ..charter import Charter
from .names import cookie_name_problem
from .problems import CharterError, Problem, Report
from .rules import Rules
from .syntax import parse_toml

__all__ = ["CharterError", "Problem", "cookie_name_problem", "load_charter", "loads_charter"]


def load_charter(path: str | os.PathLike[str]) -> Charter:
    """Read, validate and return the charter at ``path``.

    Raises ``OSError`` when the file cannot be read and ``CharterError`` when it is not a valid
    charter.
    """
    filename = os.fspath(path)
    with open(filename, "rb") as f:
        raw = f.read()
    # A byte-order mark left by a Windows editor is not worth an error; it is left out before
    # decoding, so that a decoding error's position is a position in ``body``.
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise CharterError(
            [Problem(filename, line, "", f"the file is not UTF-8 text (byte {body[exc.start]:#04x}); save it as UTF-8")]
        ) from None
    return loads_charter(text, filename)


def loads_charter(text: str, filename: str = "<string>") -> Charter:
    """Validate the TOML ``text`` and return its charter; ``filename`` is used in messages."""
    if text.startswith("\ufeff"):  # a byte-order mark decoded as text: not worth an error
        text = text[1:]
    data = parse_toml(text, filename)
    return Rules(Report(text, filename)).charter(data)
