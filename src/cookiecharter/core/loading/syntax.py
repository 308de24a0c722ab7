"""The TOML itself (the first pass): parsed with ``tomllib``, whose errors become a ``Problem`` with a hint.

tomllib's messages are exact but terse; a person editing a charter gets the line, the table (and
key) the line belongs to, and what the mistake usually is.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from .locator import Locator, field_name
from .problems import CharterError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def parse_toml(text: str, filename: str) -> dict[str, Any]:
    """The data of ``text``; raises ``CharterError`` with one problem when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CharterError([_syntax_problem(exc, text, filename)]) from None
    except RecursionError:
        raise CharterError([Problem(filename, None, "", "the TOML is nested too deeply to read")]) from None


#: tomllib's messages are exact but terse: what each usually means in a charter file.
_SYNTAX_HINTS = (
    ("Illegal character '\\n'", 'a string left open: close its quote on the same line, or use """ for several lines'),
    ("Cannot overwrite a value", "this key is given twice"),
    (
        "Cannot declare ('cookies',)",
        "a [cookies] table is declared twice: each cookie is an entry of the array of "
        "tables [[cookies]], with double brackets",
    ),
    ("Cannot declare", "this table is declared twice"),
    (
        "Expected newline or end of document after a statement",
        'a value that goes on after its end: strings need quotes ("13 months", "2 weeks")',
    ),
    ("Invalid value", 'strings need quotes ("2 weeks"), booleans are true or false, arrays are closed with ]'),
    ("Expected '=' after a key", 'expected key = value, with a bare key of letters, digits, "-" and "_"'),
    ("Invalid statement", "expected key = value or a [table] header; quote a key with other characters"),
)


def _syntax_problem(exc: Exception, text: str, filename: str) -> Problem:
    message = str(exc)
    line: int | None = getattr(exc, "lineno", None)  # Python 3.14+ and recent tomli
    column: int | None = getattr(exc, "colno", None)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if m:
        line, column = line or int(m.group(1)), column or int(m.group(2))
        message = message[: m.start()]
    elif message.endswith("(at end of document)"):
        line = line or text.count("\n") + 1
        message = message[: -len("(at end of document)")].rstrip()
    detail = f"TOML syntax error: {message}"
    if column:
        detail += f" (column {column})"
    for start, hint in _SYNTAX_HINTS:
        if message.startswith(start):
            detail += f"; {hint}"
            break
    # The table (and key) the broken line belongs to, as far as a line scan can tell.
    field = field_name(Locator(text).paths.get(line, ())) if line else ""
    return Problem(filename, line, field, detail)
