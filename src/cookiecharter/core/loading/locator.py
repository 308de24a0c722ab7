"""Where a path into the parsed charter was written: the line to put in an error message.

tomllib gives no positions for values, so ``Locator`` scans the source text for table headers and
``key =`` lines to turn a path such as ``("cookies", 2, "lifetime")`` into a line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

#: A path into the parsed data: table names and keys, and indexes into arrays.
Loc = tuple[str | int, ...]

_KEY_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\')'
_KEY_PATH = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEY_PATH})\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_KEY_PATH})\s*\]\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_PART = re.compile(_KEY_PART)


def key_parts(path: str) -> list[str]:
    """The keys of a dotted TOML key path, unquoted: ``a."b.c"`` -> ``["a", "b.c"]``."""
    parts = []
    for raw in _PART.findall(path):
        if raw.startswith('"'):
            try:
                parts.append(json.loads(raw))
            except ValueError:  # a TOML escape JSON does not know: the raw text is close enough
                parts.append(raw[1:-1])
        elif raw.startswith("'"):
            parts.append(raw[1:-1])
        else:
            parts.append(raw)
    return parts


class Locator:
    """Maps a path into the parsed data to the line that declared it.

    A heuristic over the source text, not a second TOML parser: it knows table headers, arrays
    of tables (counted in order, as TOML does) and ``key =`` lines, and skips multi-line strings.
    A path not found falls back to its nearest declared ancestor (a missing key is reported on
    its table's header).
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[Loc, int] = {}
        #: The reverse: what each line declares (its table, or table and key), for syntax errors.
        self.paths: dict[int, Loc] = {}
        arrays: dict[tuple[str, ...], int] = {}
        table: Loc = ()
        in_string: str | None = None
        # split("\n"), not splitlines(): TOML counts only newlines, while splitlines() would also
        # break on a U+2028 inside a string and shift every line after it.
        for number, line in enumerate(text.split("\n"), start=1):
            if in_string is not None:
                in_string = open_multiline_string(line, in_string)
                continue
            m = _ARRAY_HEADER.match(line)
            if m:
                parts = key_parts(m.group(1))
                arrays[tuple(parts)] = arrays.get(tuple(parts), 0) + 1
                table = self._resolve(parts, arrays)
                self.lines.setdefault(table, number)
                self.paths[number] = table
                continue
            m = _TABLE_HEADER.match(line)
            if m:
                table = self._resolve(key_parts(m.group(1)), arrays)
                self.lines.setdefault(table, number)
                self.paths[number] = table
                continue
            m = _KEY_LINE.match(line)
            if m:
                parts = key_parts(m.group(1))
                for i in range(1, len(parts) + 1):
                    self.lines.setdefault(table + tuple(parts[:i]), number)
                self.paths[number] = table + tuple(parts)
                rest = line[m.end() :]
            else:
                self.paths[number] = table
                rest = line
            in_string = open_multiline_string(rest)

    @staticmethod
    def _resolve(parts: Sequence[str], arrays: Mapping[tuple[str, ...], int]) -> Loc:
        # Inside an array of tables, a sub-table header refers to the array's last element.
        resolved: list[str | int] = []
        for i, part in enumerate(parts):
            resolved.append(part)
            count = arrays.get(tuple(parts[: i + 1]))
            if count:
                resolved.append(count - 1)
        return tuple(resolved)

    def line(self, loc: Loc) -> int | None:
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return None


def open_multiline_string(line: str, quote: str | None = None) -> str | None:
    """The multi-line string delimiter still open at the end of ``line``, or None.

    ``quote`` is the delimiter open when the line starts. Every kind of TOML string is followed,
    so a ``'''`` inside a basic string (or a ``#`` inside any string) is read as text.
    """
    i, n = 0, len(line)
    while i < n:
        if quote is None:
            if line[i] == "#":
                return None
            for opening in ('"""', "'''", '"', "'"):
                if line.startswith(opening, i):
                    quote, i = opening, i + len(opening)
                    break
            else:
                i += 1
            continue
        if line[i] == "\\" and quote[0] == '"':
            i += 2
            continue
        if line.startswith(quote, i):
            i += len(quote)
            if len(quote) == 3:  # up to two quotes may stand just before the closing delimiter
                while i < n and line[i] == quote[0]:
                    i += 1
            quote = None
            continue
        i += 1
    return quote if quote is not None and len(quote) == 3 else None


def field_name(loc: Loc) -> str:
    """``loc`` as written in messages: ``cookies[2].lifetime``, ``purposes.ads.title.en``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part, ensure_ascii=False)
        out += f".{text}" if out else text
    return out
