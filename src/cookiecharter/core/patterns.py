"""Cookie-name patterns, matched with RE2: in time linear in the name, whatever the pattern.

A charter's ``regex`` declarations are matched against the cookie names visitors send, on every
request. Python's ``re`` backtracks: ``(a+)+$`` against a 25-character name took 0.59 s, and each
extra character doubles that. RE2 (Google's engine, through its maintained ``google-re2``
bindings) runs a pattern as an automaton and never backtracks, so a match costs time linear in the
name. What it gives up is what needs backtracking: back-references, look-arounds, atomic groups and
possessive repeats. The charter loader refuses those with a clear problem.

Every pattern is matched against the whole name (a full match), with ``.`` matching any character,
newlines included. ``PatternSet`` matches many patterns in one pass and tells which matched
(RE2's ``Set``); it is what ``Charter.match`` runs on each cookie name that is not an exact one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2


def _options() -> re2.Options:
    options = re2.Options()
    options.dot_nl = True  # "." matches any character, as Python's re.DOTALL did here before
    # Which pattern matched is all a caller asks: no group is ever read, so none is kept.
    options.never_capture = True
    # RE2 logs every pattern it refuses to stderr; the loader reports them as charter problems.
    options.log_errors = False
    return options


_OPTIONS = _options()


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message is RE2's own."""


def _message(exc: Exception) -> str:
    # The bindings raise their error with RE2's message as bytes.
    detail = exc.args[0] if exc.args else exc
    return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)


def compile_problem(pattern: str) -> str | None:
    """Why RE2 cannot compile ``pattern``, in its own words, or None when it can."""
    try:
        re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        return _message(exc)
    return None


def escape(text: str) -> str:
    """``text`` as a pattern that matches it literally."""
    return str(re2.escape(text))


class PatternSet:
    """Patterns compiled together: which of them, if any, matches a whole name, found in one pass.

    Raises ``PatternError`` for a pattern RE2 cannot compile. Thread-safe, as RE2's matching is.
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self._set = re2.Set.FullMatchSet(_OPTIONS)
        for pattern in self.patterns:
            # Each pattern is added on its own, never spliced into a larger one: a pattern such
            # as "a)|(b" cannot escape into its neighbours, and no group numbers shift.
            try:
                self._set.Add(pattern)
            except re2.error:
                # The set only says that it failed; compiling the pattern alone says why.
                raise PatternError(f"{pattern!r}: {compile_problem(pattern) or 'RE2 refuses it'}") from None
        try:
            self._set.Compile()
        except re2.error as exc:  # the patterns together need more memory than RE2 allows
            raise PatternError(_message(exc)) from None

    def first(self, name: str) -> int | None:
        """The index of the first pattern that matches all of ``name``, or None."""
        # "surrogatepass": a name decoded from odd request bytes may hold a lone surrogate, which
        # strict UTF-8 refuses to encode; it must still get an answer (no pattern matches it).
        # RE2 answers "no match" when it cannot finish (its automaton out of memory, which the
        # set's small patterns and short names do not reach): a cookie then counts as undeclared,
        # and is blocked, the side a doubt should fall on.
        found = self._set.Match(name.encode("utf-8", "surrogatepass"))
        return min(found) if found else None

    def __reduce__(self) -> tuple[Any, ...]:
        # RE2's compiled set cannot be pickled; the patterns can, and compile again.
        return (PatternSet, (self.patterns,))
