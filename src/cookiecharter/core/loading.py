"""Reading a charter file (TOML) into the immutable model of ``charter.py``, validating everything.

Three passes, and every problem of every pass is collected before anything is raised, so a person
fixing a charter sees the whole list at once:

1. TOML syntax (``tomllib``; its error carries the line).
2. Structure (pydantic, strict: types, required keys, unknown keys with a "did you mean").
   Each section is validated on its own so one broken cookie does not hide the others.
3. Meaning (this module): references between purposes and cookies, overlapping names,
   lifetimes, translations, the CNIL rules for exempt cookies, and so on.

tomllib gives no positions for values, so ``_Locator`` scans the source text for table headers
and ``key =`` lines to turn a path such as ``("cookies", 2, "lifetime")`` into a line number.

Nothing here imports Django. A file that cannot be read raises ``OSError`` as ``open`` does
(callers tell "missing" from "invalid"); everything else wrong raises ``CharterError``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Optional, TypeVar, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from .charter import (
    AUDIENCE_MAX_LIFETIME,
    CONSENT_MODE_TYPES,
    PURPOSE_KEY_RE,
    Charter,
    Controller,
    Cookie,
    CookieName,
    Exemption,
    MatchKind,
    Party,
    Purpose,
    Source,
)
from .lifetime import Lifetime, LifetimeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

try:  # the regular-expression parser moved (and its old name warns) in Python 3.11
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]

__all__ = ["CharterError", "Problem", "cookie_name_problem", "load_charter", "loads_charter"]

Loc = tuple[Union[str, int], ...]


# -- the error ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a charter file, located as precisely as the source allows."""

    file: str
    line: int | None
    #: A dotted path into the charter: ``cookies[2].lifetime``, ``purposes.statistics.title.en``.
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class CharterError(ValueError):
    """A charter that cannot be used; ``problems`` lists everything found, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=lambda p: p.line or 0)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[Any, ...]:
        # So it survives pickling (multiprocessing, test runners) with its problems intact.
        return (type(self), (self.problems,))


# -- public entry points -----------------------------------------------------------------------
def load_charter(path: str | os.PathLike[str]) -> Charter:
    """Read, validate and return the charter at ``path``.

    Raises ``OSError`` when the file cannot be read and ``CharterError`` when it is not a valid
    charter.
    """
    filename = os.fspath(path)
    with open(filename, "rb") as f:
        raw = f.read()
    try:
        # utf-8-sig: a byte-order mark left by a Windows editor is not worth an error.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CharterError(
            [Problem(filename, line, "", f"the file is not UTF-8 text (byte {raw[exc.start]:#04x}); save it as UTF-8")]
        ) from None
    return loads_charter(text, filename)


def loads_charter(text: str, filename: str = "<string>") -> Charter:
    """Validate the TOML ``text`` and return its charter; ``filename`` is used in messages."""
    if text.startswith("\ufeff"):  # a byte-order mark decoded as text: not worth an error
        text = text[1:]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CharterError([_syntax_problem(exc, text, filename)]) from None
    except RecursionError:
        raise CharterError([Problem(filename, None, "", "the TOML is nested too deeply to read")]) from None
    return _Loader(text, filename).load(data)


#: tomllib's messages are exact but terse: what each usually means in a charter file.
_SYNTAX_HINTS = (
    ("Illegal character '\\n'", 'a string left open: close its quote on the same line, or use """ for several lines'),
    ("Cannot overwrite a value", "this key is given twice"),
    ("Cannot declare", "this table is declared twice"),
    ("Invalid value", 'strings need quotes ("2 weeks"), booleans are true or false, arrays are closed with ]'),
    ("Expected '=' after a key", 'expected key = value, with a bare key of letters, digits, "-" and "_"'),
    ("Invalid statement", 'expected key = value or a [table] header; quote a key with other characters'),
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
    field = _field(_Locator(text).paths.get(line, ())) if line else ""
    return Problem(filename, line, field, detail)


# -- structure (pydantic) ----------------------------------------------------------------------
class _Section(BaseModel):
    """A table of the charter file.

    strict: TOML already has types; a number where a string is expected is a mistake to report,
    not to coerce. Required keys are declared optional here and listed in ``required``: the
    loader reports them missing itself, so a table with one bad key still gets every other
    check (pydantic gives no partial result).
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    required: ClassVar[tuple[str, ...]] = ()


class _CharterSection(_Section):
    required = ("languages",)
    edition: str = ""
    languages: Optional[list[str]] = None


class _ControllerSection(_Section):
    required = ("name", "contact")
    name: Optional[str] = None
    contact: Optional[str] = None
    url: str = ""


class _PurposeSection(_Section):
    required = ("title", "description")
    # Kept as plain strings so that a misspelling gets a "did you mean" from the meaning pass.
    exemption: Optional[str] = None
    title: Optional[dict[str, str]] = None
    description: Optional[dict[str, str]] = None
    refused_by_gpc: bool = False
    consent_mode: list[str] = []


class _CookieSection(_Section):
    # name or regex: checked by the loader, which says which one is missing.
    required = ("provider", "purpose", "service", "description", "lifetime")
    name: Optional[str] = None
    regex: Optional[str] = None
    provider: Optional[str] = None
    purpose: Optional[str] = None
    service: Optional[dict[str, str]] = None
    description: Optional[dict[str, str]] = None
    lifetime: Optional[str] = None
    party: str = "first"
    domain: str = ""
    reason: dict[str, str] = {}
    path: str = "/"
    cookie_domain: str = ""
    policy_url: str = ""


_TOP_KEYS = ("charter", "controller", "purposes", "cookies")
#: What a missing required key should hold, said in the message.
_REQUIRED_HINTS = {
    "languages": 'languages = ["fr", "en"] (the first is the default)',
    "name": 'name = "..." (who sets the cookies and answers for them)',
    "contact": 'contact = "dpo@example.org" (an e-mail address, a URL or a postal address)',
    "title": 'a title per language, such as title.en = "..."',
    "description": 'a description per language, such as description.en = "..."',
    "provider": 'provider = "..." (who sets this cookie)',
    "purpose": 'purpose = "KEY", the key of one of the [purposes.KEY] tables',
    "service": 'the service and location per language, such as service.en = "Sign-in (every page)"',
    "lifetime": 'lifetime = "session", or a duration such as "2 weeks" or "13 months"',
}
_SectionT = TypeVar("_SectionT", bound=_Section)

_TOML_TYPES: dict[type, str] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    list: "an array",
    dict: "a table",
}


def _toml_type(value: Any) -> str:
    for py_type, name in _TOML_TYPES.items():
        if type(value) is py_type:
            return name
    return "a date/time" if hasattr(value, "isoformat") else type(value).__name__


def _expected(error_type: str) -> str | None:
    return {
        "string_type": 'a string in quotes, such as "text"',
        "bool_type": "true or false",
        "list_type": 'an array in square brackets, such as ["a", "b"]',
        "model_type": "a table",
    }.get(error_type)


def _texts(texts: Mapping[str, str] | None) -> Mapping[str, str]:
    """Per-language texts as a read-only mapping: the charter is immutable all the way down."""
    return MappingProxyType(dict(texts or {}))


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


# -- locating paths in the source --------------------------------------------------------------
_KEY_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\')'
_KEY_PATH = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEY_PATH})\s*\]\]\s*(?:#.*)?$")
_TABLE_HEADER = re.compile(rf"^\s*\[\s*({_KEY_PATH})\s*\]\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^\s*({_KEY_PATH})\s*=")
_PART = re.compile(_KEY_PART)


def _key_parts(path: str) -> list[str]:
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


class _Locator:
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
                in_string = _open_multiline_string(line, in_string)
                continue
            m = _ARRAY_HEADER.match(line)
            if m:
                parts = _key_parts(m.group(1))
                arrays[tuple(parts)] = arrays.get(tuple(parts), 0) + 1
                table = self._resolve(parts, arrays)
                self.lines.setdefault(table, number)
                self.paths[number] = table
                continue
            m = _TABLE_HEADER.match(line)
            if m:
                table = self._resolve(_key_parts(m.group(1)), arrays)
                self.lines.setdefault(table, number)
                self.paths[number] = table
                continue
            m = _KEY_LINE.match(line)
            if m:
                parts = _key_parts(m.group(1))
                for i in range(1, len(parts) + 1):
                    self.lines.setdefault(table + tuple(parts[:i]), number)
                self.paths[number] = table + tuple(parts)
                rest = line[m.end() :]
            else:
                self.paths[number] = table
                rest = line
            in_string = _open_multiline_string(rest)

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


def _open_multiline_string(line: str, quote: str | None = None) -> str | None:
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


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part, ensure_ascii=False)
        out += f".{text}" if out else text
    return out


# -- cookie names and patterns -----------------------------------------------------------------
#: RFC 6265 section 4.1.1: cookie-name is an RFC 2616 token: visible ASCII but the separators.
_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')
_TOKEN_CHARS = "".join(c for c in map(chr, range(33, 127)) if c not in _SEPARATORS)
# Characters tried first when building example names from a pattern (the usual ones).
_EXAMPLE_CHARS = "a0_xZ9-." + "".join(c for c in _TOKEN_CHARS if c not in "a0_xZ9-.")
#: Names so unlike each other that a pattern matching them all matches anything.
_UNRELATED_NAMES = ("a", "Z9", "zz_top", "__Host-x", "sessionid", "_ga_ABC123", "x.y-z", "QQQQQQQQQQQQ")
_MAX_EXAMPLES = 12
_MAX_REPEAT_EXAMPLE = 8


def _compile_declared(pattern: str) -> re.Pattern[str]:
    """A declared regex as the charter's matcher embeds it: in a group, with DOTALL."""
    return re.compile(f"(?:{pattern})", re.DOTALL)


def _op_name(op: Any) -> str:
    return str(getattr(op, "name", op)).upper()


def _in_class(ch: str, items: Iterable[tuple[Any, Any]]) -> bool:
    """Whether ``ch`` belongs to a parsed character class (the ``IN`` node of the parser)."""
    negate = hit = False
    code = ord(ch)
    for op, av in items:
        name = _op_name(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or code == av
        elif name == "RANGE":
            hit = hit or av[0] <= code <= av[1]
        elif name == "CATEGORY":
            category = _op_name(av)
            positive = {
                "CATEGORY_DIGIT": ch.isdigit(),
                "CATEGORY_SPACE": ch.isspace(),
                "CATEGORY_WORD": ch.isalnum() or ch == "_",
                "CATEGORY_LINEBREAK": ch == "\n",
            }
            key = category.replace("NOT_", "")
            if key in positive:
                hit = hit or (positive[key] != ("NOT_" in category))
            else:  # an unknown category: assume it may hold the character
                hit = True
        else:
            hit = True
    return hit != negate


def _satisfiable(pattern: Any) -> bool:
    """Whether a parsed regex can match some string made of cookie-name characters only."""
    for op, av in pattern:
        name = _op_name(op)
        if name == "LITERAL":
            ok = chr(av) in _TOKEN_CHARS
        elif name == "IN":
            ok = any(_in_class(c, av) for c in _TOKEN_CHARS)
        elif name == "BRANCH":
            ok = any(_satisfiable(branch) for branch in av[1])
        elif name == "SUBPATTERN":
            ok = _satisfiable(av[-1])
        elif name == "ATOMIC_GROUP":
            ok = _satisfiable(av)
        elif name.endswith("_REPEAT"):
            ok = av[0] == 0 or _satisfiable(av[2])
        else:  # anchors, look-arounds, NOT_LITERAL, ANY...: no restriction we can prove
            ok = True
        if not ok:
            return False
    return True


def _pattern_examples(pattern: Any) -> list[str]:
    """A few candidate strings for a parsed regex (the caller keeps the ones that really match)."""
    results = [""]
    for op, av in pattern:
        name = _op_name(op)
        if name == "LITERAL":
            options = [chr(av)]
        elif name == "NOT_LITERAL":
            options = [c for c in _EXAMPLE_CHARS if ord(c) != av][:1]
        elif name == "ANY":
            options = ["a"]
        elif name == "IN":
            options = [c for c in _EXAMPLE_CHARS if _in_class(c, av)][:2]
            if not options:
                options = [c for c in map(chr, range(32, 127)) if _in_class(c, av)][:1]
        elif name == "BRANCH":
            options = [e for branch in av[1] for e in _pattern_examples(branch)]
        elif name == "SUBPATTERN":
            options = _pattern_examples(av[-1])
        elif name == "ATOMIC_GROUP":
            options = _pattern_examples(av)
        elif name.endswith("_REPEAT"):
            low, high, item = av
            inner = _pattern_examples(item)
            counts = sorted({min(low, _MAX_REPEAT_EXAMPLE), min(max(low, 1), high, _MAX_REPEAT_EXAMPLE),
                             min(low + 2, high, _MAX_REPEAT_EXAMPLE)})  # fmt: skip
            options = [e * n for n in counts for e in inner]
        else:  # anchors and look-arounds consume nothing
            options = [""]
        if not options:
            return []
        results = [r + o for r in results for o in options][:_MAX_EXAMPLES]
    return results


_GLOBAL_FLAGS = (
    "invalid regular expression: an inline flag such as (?i) applies to the whole charter's matcher; "
    "scope it instead, as (?i:...)"
)


def cookie_name_problem(name: CookieName) -> str | None:
    """Why a declared name or pattern cannot work as a cookie declaration, or None when it can.

    Public so that a charter built in code (``Charter.with_cookies``) can be held to the same
    rules as one read from a file.
    """
    if name.kind is not MatchKind.REGEX:
        if name.kind is MatchKind.PREFIX and not name.value:
            return 'a prefix needs at least one character before "*": "*" alone would match every cookie'
        bad = sorted({c for c in name.value if c not in _TOKEN_CHARS})
        if not name.value:
            return "a cookie name cannot be empty"
        if bad:
            what = "prefix" if name.kind is MatchKind.PREFIX else "cookie name"
            consequence = "; no cookie name can start with it" if name.kind is MatchKind.PREFIX else ""
            return (
                f"{name.display!r} is not a valid {what}: a cookie name cannot contain "
                f"{', '.join(repr(c) for c in bad)} (RFC 6265: visible ASCII except separators){consequence}"
            )
        return None
    pattern = name.value
    if not pattern:
        return "an empty regex would match no cookie"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            compiled = _compile_declared(pattern)
            parsed = _sre_parse.parse(pattern)
    except re.error as exc:
        if "flags" in str(exc).lower():
            return _GLOBAL_FLAGS
        return f"invalid regular expression: {exc}"
    except (RecursionError, OverflowError, ValueError) as exc:
        return f"invalid regular expression: {exc}"
    if caught:
        warned = str(caught[0].message)
        if "flags" in warned.lower():  # Python 3.10 only warns where 3.11 refuses
            return _GLOBAL_FLAGS
        # Python's "possible nested set" and the like: the meaning may change in a later Python.
        return f"ambiguous regular expression: {warned} (escape the character, e.g. \\[)"
    if compiled.groupindex:
        return f"named groups ({', '.join(compiled.groupindex)}) are not allowed; use (?:...)"
    if {"GROUPREF", "GROUPREF_EXISTS"} & set(_op_names(parsed)):
        # Group numbers shift when the patterns are combined into the charter's one matcher.
        return "back-references are not supported: the patterns are combined into one matcher"
    if parsed.getwidth()[1] == 0:
        return f"`{pattern}` only matches the empty name, and a cookie name is never empty"
    if not _satisfiable(parsed):
        return f"`{pattern}` can never match a valid cookie name (RFC 6265: visible ASCII except separators)"
    if all(compiled.fullmatch(candidate) for candidate in _UNRELATED_NAMES):
        return f"`{pattern}` matches any cookie name; declare names, or a narrower pattern"
    return None


def _op_names(pattern: Any) -> Iterable[str]:
    """Every operation in a parsed regex, nested ones included."""
    for op, av in pattern:
        yield _op_name(op)
        for part in av if isinstance(av, (tuple, list)) else (av,):
            if isinstance(part, _sre_parse.SubPattern):
                yield from _op_names(part)
            elif isinstance(part, list) and part and isinstance(part[0], _sre_parse.SubPattern):
                for branch in part:  # BRANCH's alternatives
                    yield from _op_names(branch)


@dataclass(frozen=True)
class _Named:
    """A cookie declaration's name, checked for overlaps: where it is, and sample names it matches."""

    name: CookieName
    field: Loc
    examples: tuple[str, ...]
    regex: re.Pattern[str] | None
    #: What every name it matches starts with: two declarations whose heads are not one a prefix
    #: of the other cannot overlap, which spares most pairs the example search.
    head: str

    def could_overlap(self, other: _Named) -> bool:
        return self.head.startswith(other.head) or other.head.startswith(self.head)

    def matches(self, candidate: str) -> bool:
        if self.regex is not None:
            return self.regex.fullmatch(candidate) is not None
        return self.name.matches(candidate)


def _literal_head(name: CookieName) -> str:
    """The literal text every name matched by ``name`` starts with ("" when there is none)."""
    if name.kind is not MatchKind.REGEX:
        return name.value
    head = ""
    try:
        parsed = _sre_parse.parse(name.value)
    except (re.error, RecursionError, OverflowError, ValueError):  # pragma: no cover - compiled already
        return ""
    for op, av in parsed:
        op_name = _op_name(op)
        if op_name == "LITERAL":
            head += chr(av)
        elif op_name == "AT" and _op_name(av) == "AT_BEGINNING" and not head:
            continue
        else:
            break
    return head


def _examples_for(name: CookieName, regex: re.Pattern[str] | None) -> tuple[str, ...]:
    if name.kind is MatchKind.EXACT:
        return (name.value,)
    if name.kind is MatchKind.PREFIX:
        return tuple(name.value + suffix for suffix in ("", "x", "_1", "Z9", "-a.b"))
    assert regex is not None
    try:
        candidates = _pattern_examples(_sre_parse.parse(name.value))
    except (re.error, RecursionError, OverflowError, ValueError):  # pragma: no cover - compiled already
        candidates = []
    seen = dict.fromkeys(c for c in candidates if regex.fullmatch(c))
    return tuple(seen)


def _overlap_witness(a: _Named, b: _Named) -> str | None:
    """A name both declarations match, or None when we find none."""
    if a.name.kind is MatchKind.PREFIX and b.name.kind is MatchKind.PREFIX:
        if a.name.value.startswith(b.name.value):
            return a.name.value
        if b.name.value.startswith(a.name.value):
            return b.name.value
        return None
    for prefixed, other in ((a, b), (b, a)):
        # A prefix followed by the tail of one of the other's examples: "_pk_id." + "0" against
        # "_pk_[a-z]+\\.[0-9]+" finds the overlap that neither's own examples show.
        if prefixed.name.kind is MatchKind.PREFIX:
            for example in other.examples:
                for k in range(len(example) + 1):
                    if other.matches(prefixed.name.value + example[k:]):
                        return prefixed.name.value + example[k:]
    for candidate in a.examples:
        if b.matches(candidate):
            return candidate
    for candidate in b.examples:
        if a.matches(candidate):
            return candidate
    return None


# -- the loader --------------------------------------------------------------------------------
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"^\.?(?:{_LABEL}\.)*{_LABEL}$")
_EMAIL_RE = re.compile(r"^(?:mailto:)?[^@\s]+@[^@\s]+\.[^@\s.]+$")
_URL_RE = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$")
_EXEMPTIONS = tuple(e.value for e in Exemption)
_ADVERTISING_MODES = frozenset({"ad_storage", "ad_user_data", "ad_personalization"})
_PARTIES = tuple(p.value for p in Party)


class _Loader:
    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.locator = _Locator(text)
        self.problems: list[Problem] = []
        #: The purpose keys declared, valid or not; None when there is no readable [purposes]
        #: table (then cookies' purposes are not checked: that one problem is reported once).
        self.purpose_keys: list[str] | None = None

    # reporting
    def problem(self, loc: Loc, message: str, *, line_of: Loc | None = None) -> None:
        line = self.locator.line(line_of if line_of is not None else loc)
        self.problems.append(Problem(self.filename, line, _field(loc), message))

    def where(self, loc: Loc) -> str:
        line = self.locator.line(loc)
        return f"{_field(loc)} (line {line})" if line else _field(loc)

    def validate(self, prefix: Loc, model: type[_SectionT], value: Any) -> _SectionT | None:
        """The table validated; keys with a wrong type or unknown are reported and dropped."""
        if not isinstance(value, dict):
            self.problem(prefix, f"expected a table, got {_toml_type(value)}")
            return None
        try:
            section = model.model_validate(value)
        except ValidationError as exc:
            dropped = set()
            for error in exc.errors():
                self.structure_error(prefix, error, model)
                if error["loc"]:
                    dropped.add(error["loc"][0])
            try:
                section = model.model_validate({k: v for k, v in value.items() if k not in dropped})
            except ValidationError:  # pragma: no cover - every failing key was dropped
                return None
        else:
            dropped = set()
        for key in model.required:
            if getattr(section, key) is None and key not in dropped:
                self.problem(prefix + (key,), f"required, but missing: {_REQUIRED_HINTS.get(key, key)}")
        return section

    def structure_error(self, prefix: Loc, error: Any, model: type[_Section]) -> None:
        loc = prefix + tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = list(model.model_fields) if len(error["loc"]) == 1 else []
            message = f"unknown key {key!r}{_did_you_mean(key, allowed)}"
            if allowed:
                message += f"; expected one of: {', '.join(allowed)}"
        elif kind == "dict_type":
            # Only the per-language texts are dicts in the schema.
            key = loc[-1]
            message = (
                f"expected a text per language, such as {key}.en = \"...\", got {_toml_type(error.get('input'))}"
            )
        else:
            expected = _expected(kind)
            message = f"expected {expected}, got {_toml_type(error.get('input'))}" if expected else error["msg"]
        self.problem(loc, message)

    # the passes
    def load(self, data: dict[str, Any]) -> Charter:
        for key in data:
            if key not in _TOP_KEYS:
                self.problem(
                    (key,),
                    f"unknown top-level key{_did_you_mean(key, _TOP_KEYS)}; a charter has [charter], [controller], "
                    "[purposes.KEY] and [[cookies]]",
                )
        for key in ("charter", "controller", "purposes"):
            if key not in data:
                self.problem((key,), f"the [{key}] table is required, but missing")

        head = self.validate(("charter",), _CharterSection, data["charter"]) if "charter" in data else None
        controller = (
            self.validate(("controller",), _ControllerSection, data["controller"]) if "controller" in data else None
        )
        languages = self.check_languages(head) if head is not None else None
        if controller is not None:
            self.check_controller(controller)
        purposes = self.load_purposes(data["purposes"], languages) if "purposes" in data else {}
        cookies = self.load_cookies(data.get("cookies", []), purposes, languages)
        self.check_overlaps(cookies)

        if self.problems:
            raise CharterError(self.problems)
        assert head is not None and controller is not None and languages is not None
        charter = Charter(
            controller=Controller(name=controller.name or "", contact=controller.contact or "", url=controller.url),
            languages=languages,
            purposes=tuple(purposes.values()),
            cookies=tuple(c for c, _ in cookies if c is not None),
            edition=head.edition,
            source=Source(self.filename),
        )
        try:
            charter.match("")  # compiles every pattern into the one matcher now, not on first request
        except re.error as exc:  # pragma: no cover - each regex was checked on its own
            raise CharterError(
                [Problem(self.filename, None, "cookies", f"the patterns do not compile together: {exc}")]
            ) from None
        return charter

    def check_languages(self, head: _CharterSection) -> tuple[str, ...] | None:
        loc: Loc = ("charter", "languages")
        if head.languages is None:
            return None
        if not head.languages:
            self.problem(loc, 'list at least one language, such as ["fr", "en"] (the first is the default)')
            return None
        ok = True
        seen: set[str] = set()
        for i, lang in enumerate(head.languages):
            if not _LANGUAGE_RE.match(lang):
                self.problem(
                    loc + (i,), f'{lang!r} is not a language code; expected a code such as "fr", "en" or "pt-BR"',
                    line_of=loc,
                )  # fmt: skip
                ok = False
            elif lang in seen:
                self.problem(loc + (i,), f"{lang!r} is listed twice", line_of=loc)
                ok = False
            seen.add(lang)
        return tuple(head.languages) if ok else None

    def check_controller(self, controller: _ControllerSection) -> None:
        for key in ("name", "contact"):
            value = getattr(controller, key)
            if value is not None and not value.strip():
                self.problem(("controller", key), "must not be empty: the charter page shows it")
        contact = (controller.contact or "").strip()
        if contact.startswith(("http://", "https://")):
            if not _URL_RE.match(contact):
                self.problem(("controller", "contact"), f"expected an http(s) URL, got {contact!r}")
        elif "@" in contact and "\n" not in contact and not _EMAIL_RE.match(contact):
            # One line with an "@" is meant as an address; a postal address spans lines.
            self.problem(("controller", "contact"), f"expected an e-mail address such as dpo@example.org, got {contact!r}")
        if controller.url and not _URL_RE.match(controller.url):
            self.problem(("controller", "url"), f"expected an http(s) URL, got {controller.url!r}")

    def check_texts(self, loc: Loc, texts: Mapping[str, str] | None, languages: tuple[str, ...] | None) -> None:
        """Every listed language has a non-empty text, and no text is in an unlisted language."""
        if languages is None or texts is None:
            return
        for lang in languages:
            if lang not in texts:
                self.problem(
                    loc + (lang,),
                    f"missing the {lang!r} translation (every language of [charter].languages needs one)",
                    line_of=loc,
                )
            elif not texts[lang].strip():
                self.problem(loc + (lang,), "must not be empty")
        for lang in texts:
            if lang not in languages:
                self.problem(
                    loc + (lang,),
                    f"{lang!r} is not in [charter].languages ({', '.join(languages)}){_did_you_mean(lang, languages)}",
                )

    def load_purposes(self, raw: Any, languages: tuple[str, ...] | None) -> dict[str, Purpose]:
        """The purposes that could be read, even with problems (so cookies can be checked against them)."""
        if not isinstance(raw, dict):
            self.problem(("purposes",), f"expected a table of purposes ([purposes.KEY]), got {_toml_type(raw)}")
            return {}
        if not raw:
            self.problem(("purposes",), "declare at least one purpose, such as [purposes.necessary]")
        self.purpose_keys = list(raw)
        purposes: dict[str, Purpose] = {}
        for key, value in raw.items():
            loc: Loc = ("purposes", key)
            if not PURPOSE_KEY_RE.match(key):
                self.problem(
                    loc,
                    "a purpose key is 1 to 32 lower-case letters, digits, '-' or '_', starting with a letter "
                    f"(it goes into the consent cookie); got {key!r}",
                )
            section = self.validate(loc, _PurposeSection, value)
            if section is None:
                continue
            exemption: Exemption | None = None
            if section.exemption is not None:
                try:
                    exemption = Exemption(section.exemption)
                except ValueError:
                    self.problem(
                        loc + ("exemption",),
                        f"unknown exemption {section.exemption!r}{_did_you_mean(section.exemption, _EXEMPTIONS)}; "
                        f"expected one of: {', '.join(_EXEMPTIONS)} (or no exemption key: the purpose needs consent)",
                    )
            if section.refused_by_gpc and section.exemption is not None:
                self.problem(
                    loc + ("refused_by_gpc",),
                    "an exempt purpose is never asked about, so a Global Privacy Control signal cannot refuse it; "
                    "remove refused_by_gpc or the exemption",
                )
            for i, mode in enumerate(section.consent_mode):
                if mode not in CONSENT_MODE_TYPES:
                    self.problem(
                        loc + ("consent_mode", i),
                        f"unknown Consent Mode type {mode!r}{_did_you_mean(mode, CONSENT_MODE_TYPES)}; "
                        f"expected one of: {', '.join(sorted(CONSENT_MODE_TYPES))}",
                        line_of=loc + ("consent_mode",),
                    )
            advertising = sorted(set(section.consent_mode) & _ADVERTISING_MODES)
            if advertising and section.exemption is not None:
                self.problem(
                    loc + ("consent_mode",),
                    f"{', '.join(advertising)} are advertising: no exemption covers them, so this purpose "
                    "must ask for consent (remove the exemption)",
                )
            elif advertising and not section.refused_by_gpc:
                self.problem(
                    loc + ("consent_mode",),
                    f"a purpose granting {', '.join(advertising)} is advertising, which a Global Privacy "
                    "Control signal refuses: add refused_by_gpc = true",
                )
            self.check_texts(loc + ("title",), section.title, languages)
            self.check_texts(loc + ("description",), section.description, languages)
            purposes[key] = Purpose(
                key=key,
                title=_texts(section.title or {}),
                description=_texts(section.description or {}),
                exemption=exemption,
                refused_by_gpc=section.refused_by_gpc,
                consent_mode=tuple(dict.fromkeys(section.consent_mode)),
                source=Source(self.filename, self.locator.line(loc)),
            )
        return purposes

    def load_cookies(
        self, raw: Any, purposes: dict[str, Purpose], languages: tuple[str, ...] | None
    ) -> list[tuple[Cookie | None, _Named]]:
        """Each cookie whose name could be read, with the cookie itself when it has no problem."""
        if not isinstance(raw, list):
            self.problem(("cookies",), f"expected an array of tables ([[cookies]]), got {_toml_type(raw)}")
            return []
        cookies: list[tuple[Cookie | None, _Named]] = []
        for index, value in enumerate(raw):
            loc: Loc = ("cookies", index)
            section = self.validate(loc, _CookieSection, value)
            if section is None:
                continue
            start = len(self.problems)
            named = self.cookie_name(loc, section)
            cookie = self.load_cookie(loc, section, purposes, languages)
            if named is not None:
                cookies.append((cookie if len(self.problems) == start else None, named))
        return cookies

    def load_cookie(
        self, loc: Loc, section: _CookieSection, purposes: dict[str, Purpose], languages: tuple[str, ...] | None
    ) -> Cookie | None:
        purpose: Purpose | None = None
        if section.purpose is not None:
            purpose = purposes.get(section.purpose)
            # A purpose that is declared but broken has its own problem; do not repeat it here.
            declared = self.purpose_keys
            if purpose is None and declared is not None and section.purpose not in declared:
                self.problem(
                    loc + ("purpose",),
                    f"unknown purpose {section.purpose!r}{_did_you_mean(section.purpose, declared)}; "
                    f"declared purposes: {', '.join(declared) or 'none'}",
                )

        lifetime: Lifetime | None = None
        if section.lifetime is not None:
            try:
                lifetime = Lifetime.parse(section.lifetime)
            except LifetimeError as exc:
                self.problem(loc + ("lifetime",), str(exc))

        party: Party | None = None
        try:
            party = Party(section.party)
        except ValueError:
            self.problem(
                loc + ("party",),
                f'expected "first" or "third", got {section.party!r}{_did_you_mean(section.party, _PARTIES)}',
            )
        if party is Party.THIRD and not section.domain:
            self.problem(
                loc + ("party",),
                'a third-party cookie needs `domain`: the host that sets and reads it, such as "maps.example.net"',
            )
        if party is Party.FIRST and section.domain:
            self.problem(
                loc + ("domain",),
                "`domain` names the third party that sets a third-party cookie; set party = \"third\", "
                "or use `cookie_domain` for where a first-party cookie is scoped",
            )
        for key in ("domain", "cookie_domain"):
            host = getattr(section, key)
            if host and not _HOST_RE.match(host):
                self.problem(
                    loc + (key,), f'expected a host name such as "example.org" or ".example.org", got {host!r}'
                )
        host_prefixed = section.name is not None and section.name.startswith("__Host-")
        if host_prefixed and (section.cookie_domain or section.path != "/"):
            # Browsers refuse a __Host- cookie with a Domain or a Path other than "/", so a deletion
            # header built from these attributes would never reach it.
            self.problem(
                loc + ("cookie_domain" if section.cookie_domain else "path",),
                'a "__Host-" cookie is set with path "/" and no domain (browsers refuse it otherwise)',
            )
        if not section.path.startswith("/"):
            self.problem(loc + ("path",), f"a cookie path starts with '/', got {section.path!r}")
        if section.policy_url and not _URL_RE.match(section.policy_url):
            self.problem(loc + ("policy_url",), f"expected an http(s) URL, got {section.policy_url!r}")
        if section.provider is not None and not section.provider.strip():
            self.problem(loc + ("provider",), "must not be empty: say who sets this cookie")

        self.check_texts(loc + ("service",), section.service, languages)
        self.check_texts(loc + ("description",), section.description, languages)
        if section.reason:
            self.check_texts(loc + ("reason",), section.reason, languages)

        if purpose is not None and purpose.exemption is not None:
            if not section.reason:
                first = (languages or ("en",))[0]
                self.problem(
                    loc + ("reason",),
                    f"a cookie of the exempt purpose {purpose.key!r} ({purpose.exemption.value}) needs "
                    f'`reason.{first} = "..."` saying why it does without consent (CNIL asks for one)',
                )
            if purpose.exemption is Exemption.AUDIENCE_MEASUREMENT and party is Party.THIRD:
                self.problem(
                    loc + ("party",),
                    "an exempt audience-measurement cookie must be first-party: a third-party cookie can "
                    "follow the visitor from site to site, which the CNIL exemption rules out",
                )
            if (
                purpose.exemption is Exemption.AUDIENCE_MEASUREMENT
                and lifetime is not None
                and lifetime.exceeds(AUDIENCE_MAX_LIFETIME)
            ):
                self.problem(
                    loc + ("lifetime",),
                    f"an exempt audience-measurement cookie may live at most 13 months (CNIL), got "
                    f"{section.lifetime!r}; shorten it, or drop the exemption so the purpose asks for consent",
                )

        if lifetime is None or party is None or purpose is None or section.name is None and section.regex is None:
            return None
        return Cookie(
            name=CookieName.from_declaration(name=section.name, regex=section.regex),
            provider=section.provider or "",
            purpose=purpose.key,
            service=_texts(section.service or {}),
            description=_texts(section.description or {}),
            lifetime=lifetime,
            party=party,
            domain=section.domain,
            reason=_texts(section.reason),
            path=section.path,
            cookie_domain=section.cookie_domain,
            policy_url=section.policy_url,
            source=Source(self.filename, self.locator.line(loc)),
        )

    def cookie_name(self, loc: Loc, section: _CookieSection) -> _Named | None:
        name = self.cookie_name_declared(loc, section)
        if name is None:
            return None
        field_loc = loc + ("regex" if name.kind is MatchKind.REGEX else "name",)
        regex = _compile_declared(name.value) if name.kind is MatchKind.REGEX else None
        return _Named(name, field_loc, _examples_for(name, regex), regex, _literal_head(name))

    def cookie_name_declared(self, loc: Loc, section: _CookieSection) -> CookieName | None:
        if section.name is None and section.regex is None:
            self.problem(loc, 'a cookie needs `name` (exact, or a prefix ending in "*") or `regex`')
            return None
        if section.name is not None and section.regex is not None:
            self.problem(loc + ("regex",), "give `name` or `regex`, not both")
            return None
        name = CookieName.from_declaration(name=section.name, regex=section.regex)
        problem = cookie_name_problem(name)
        if problem is not None:
            self.problem(loc + ("regex" if name.kind is MatchKind.REGEX else "name",), problem)
            return None
        return name

    def check_overlaps(self, cookies: list[tuple[Cookie | None, _Named]]) -> None:
        named = [n for _, n in cookies]
        for later_i, later in enumerate(named):
            for earlier in named[:later_i]:
                if later.name == earlier.name:
                    self.problem(
                        later.field,
                        f"duplicate cookie `{later.name.display}`: already declared at {self.where(earlier.field)}",
                    )
                    break
                witness = _overlap_witness(later, earlier) if later.could_overlap(earlier) else None
                if witness is not None:
                    self.problem(
                        later.field,
                        f"`{later.name.display}` overlaps `{earlier.name.display}` declared at "
                        f"{self.where(earlier.field)}: a cookie named {witness!r} matches both; each cookie "
                        "must fall under exactly one declaration",
                    )
                    break
