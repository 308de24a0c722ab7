"""Cookie names and patterns: whether a declaration can work, and whether two declarations overlap.

A declared name is exact (``sessionid``), a prefix (``_ga_*``) or a regular expression. A name or
prefix must be an RFC 6265 token; a pattern must be able to match one, must not match every name,
and must keep working when the charter combines all patterns into one matcher. Two declarations
overlap when some cookie name matches both: every cookie must fall under exactly one.

Overlaps between patterns cannot be decided exactly in general, so ``overlap_witness`` looks for a
name both match among examples built from each pattern's parse tree; what it reports is always a
real overlap (the example is matched by both), though it may miss an exotic one.

Patterns are matched with RE2 (``core.patterns``), here as on every request, so this analysis
costs time linear in the charter whatever its patterns: Python's parser only reads a pattern's
structure (for examples, the literal head, what can never match), and never runs it. A pattern must
therefore mean the same to both: what RE2 lacks (back-references, look-arounds, atomic groups) or
reads differently (``{,n}``) is refused with a problem that says so.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..charter import CookieName, MatchKind
from ..patterns import compile_problem
from .locator import Loc

if sys.version_info >= (3, 11):  # the regular-expression parser moved (and its old name warns)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]  # private, and absent from the stubs
else:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse

#: RFC 6265 section 4.1.1: cookie-name is an RFC 2616 token: visible ASCII but the separators.
_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')
TOKEN_CHARS = "".join(c for c in map(chr, range(33, 127)) if c not in _SEPARATORS)
# Characters tried first when building example names from a pattern (the usual ones).
_EXAMPLE_CHARS = "a0_xZ9-." + "".join(c for c in TOKEN_CHARS if c not in "a0_xZ9-.")
#: Names so unlike each other that a pattern matching them all matches anything.
_UNRELATED_NAMES = ("a", "Z9", "zz_top", "__Host-x", "sessionid", "_ga_ABC123", "x.y-z", "QQQQQQQQQQQQ")
_MAX_EXAMPLES = 12
_MAX_REPEAT_EXAMPLE = 8
#: Longer examples are dropped, so nested repeats such as ((a{8}){8}){8} cannot make huge ones.
_MAX_EXAMPLE_LENGTH = 256


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
            # An unknown category: assume it may hold the character.
            in_category = positive[key] != ("NOT_" in category) if key in positive else True
            hit = hit or in_category
        else:
            hit = True
    return hit != negate


def _satisfiable(pattern: Any) -> bool:
    """Whether a parsed regex can match some string made of cookie-name characters only."""
    for op, av in pattern:
        name = _op_name(op)
        if name == "LITERAL":
            ok = chr(av) in TOKEN_CHARS
        elif name == "IN":
            ok = any(_in_class(c, av) for c in TOKEN_CHARS)
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
            options = [e * n for n in counts for e in inner if len(e) * n <= _MAX_EXAMPLE_LENGTH]
        else:  # anchors consume nothing
            options = [""]
        results = [r + o for r in results for o in options if len(r) + len(o) <= _MAX_EXAMPLE_LENGTH]
        if not results:
            return []
        results = results[:_MAX_EXAMPLES]
    return results


_GLOBAL_FLAGS = (
    "invalid regular expression: an inline flag such as (?i) may not apply to the whole pattern; "
    "scope it instead, as (?i:...)"
)
_ENGINE = "cookie-name patterns run on RE2, a linear-time engine"
#: Python's parse operations RE2 has no equivalent of, and what to tell the charter's author.
_UNSUPPORTED = {
    "GROUPREF": f"back-references are not supported: {_ENGINE} that has none",
    "GROUPREF_EXISTS": f"back-references are not supported: {_ENGINE} that has none",
    "ASSERT": (
        f"look-ahead and look-behind, (?=...) (?!...) (?<=...) (?<!...), are not supported: {_ENGINE} that "
        "has none (a pattern always matches the whole cookie name)"
    ),
    "ASSERT_NOT": (
        f"look-ahead and look-behind, (?=...) (?!...) (?<=...) (?<!...), are not supported: {_ENGINE} that "
        "has none (a pattern always matches the whole cookie name)"
    ),
    "ATOMIC_GROUP": (
        f"atomic groups and possessive repeats, (?>...) a++ a*+ a?+, are not supported: {_ENGINE} that never "
        "backtracks anyway; write (?:...) and a+"
    ),
    "POSSESSIVE_REPEAT": (
        f"atomic groups and possessive repeats, (?>...) a++ a*+ a?+, are not supported: {_ENGINE} that never "
        "backtracks anyway; write (?:...) and a+"
    ),
}
#: RE2's refusals that need a word more.
_RE2_HINTS = (
    ("invalid escape sequence: \\Z", "a pattern always matches the whole cookie name: drop the \\Z"),
    ("invalid repetition size", "RE2 repeats at most 1000 times"),
    ("invalid perl operator: (?#", "comments (?#...) are not supported"),
)


def cookie_name_problem(name: CookieName) -> str | None:
    """Why a declared name or pattern cannot work as a cookie declaration, or None when it can.

    Public so that a charter built in code (``Charter.with_cookies``) can be held to the same
    rules as one read from a file.
    """
    if name.kind is not MatchKind.REGEX:
        if name.kind is MatchKind.PREFIX and not name.value:
            return 'a prefix needs at least one character before "*": "*" alone would match every cookie'
        bad = sorted({c for c in name.value if c not in TOKEN_CHARS})
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
            parsed = _sre_parse.parse(pattern)
    except re.error as exc:
        if "flags" in str(exc).lower():  # Python 3.11+: "global flags not at the start"
            return _GLOBAL_FLAGS
        return f"invalid regular expression: {exc}"
    except (RecursionError, OverflowError, ValueError) as exc:
        return f"invalid regular expression: {exc}"
    if parsed.state.flags & ~re.UNICODE:
        # A global flag such as (?i) at the start: the analysis below reads literals as written.
        return _GLOBAL_FLAGS
    if caught:
        warned = str(caught[0].message)
        if "flags" in warned.lower():  # Python 3.10 only warns where 3.11 refuses
            return _GLOBAL_FLAGS
        # Python's "possible nested set" and the like: the meaning may change in a later Python.
        return f"ambiguous regular expression: {warned} (escape the character, e.g. \\[)"
    if parsed.state.groupdict:
        return f"named groups ({', '.join(parsed.state.groupdict)}) are not allowed; use (?:...)"
    unsupported = next((_UNSUPPORTED[op] for op in _op_names(parsed) if op in _UNSUPPORTED), None)
    if unsupported is not None:
        return unsupported
    if "{," in pattern:
        # Python reads a{,3} as a{0,3}; RE2 reads it as the text "a{,3}". Refused, so that the
        # pattern means the same to the analysis here and to the matcher.
        return "write {0,n} rather than {,n}: RE2, the engine cookie names are matched with, reads {,n} as plain text"
    engine_problem = compile_problem(pattern)
    if engine_problem is not None:
        hint = next((f"; {h}" for start, h in _RE2_HINTS if engine_problem.startswith(start)), "")
        return f"not supported by RE2, the linear-time engine cookie names are matched with: {engine_problem}{hint}"
    if parsed.getwidth()[1] == 0:
        return f"`{pattern}` only matches the empty name, and a cookie name is never empty"
    if not _satisfiable(parsed):
        return f"`{pattern}` can never match a valid cookie name (RFC 6265: visible ASCII except separators)"
    if all(name.matches(candidate) for candidate in _UNRELATED_NAMES):
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
class Named:
    """A cookie declaration's name, checked for overlaps: where it is, and sample names it matches."""

    name: CookieName
    field: Loc
    examples: tuple[str, ...]
    #: What every name it matches starts with: two declarations whose heads are not one a prefix
    #: of the other cannot overlap, which spares most pairs the example search.
    head: str

    @classmethod
    def of(cls, name: CookieName, field: Loc) -> Named:
        """A declaration's name (already free of ``cookie_name_problem``), ready for overlap checks."""
        return cls(name, field, _examples_for(name), _literal_head(name))

    def could_overlap(self, other: Named) -> bool:
        return self.head.startswith(other.head) or other.head.startswith(self.head)

    def matches(self, candidate: str) -> bool:
        return self.name.matches(candidate)  # with RE2 for a pattern: linear in the candidate


def _literal_head(name: CookieName) -> str:
    """The literal text every name matched by ``name`` starts with ("" when there is none)."""
    if name.kind is not MatchKind.REGEX:
        return name.value
    head = ""
    try:
        parsed = _sre_parse.parse(name.value)
    except (re.error, RecursionError, OverflowError, ValueError):  # pragma: no cover - parsed already
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


def _examples_for(name: CookieName) -> tuple[str, ...]:
    if name.kind is MatchKind.EXACT:
        return (name.value,)
    if name.kind is MatchKind.PREFIX:
        return tuple(name.value + suffix for suffix in ("", "x", "_1", "Z9", "-a.b"))
    try:
        candidates = _pattern_examples(_sre_parse.parse(name.value))
    except (re.error, RecursionError, OverflowError, ValueError):  # pragma: no cover - parsed already
        candidates = []
    seen = dict.fromkeys(c for c in candidates if name.matches(c))
    return tuple(seen)


def overlap_witness(a: Named, b: Named) -> str | None:
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
