"""What is wrong with a charter file: one ``Problem`` per mistake, all raised together as ``CharterError``.

``Report`` collects the problems of one file while the passes run, each placed on its line by the
``Locator``: the passes only say *where in the data* (a path such as ``("cookies", 2, "lifetime")``)
and *what*.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .locator import Loc, Locator, field_name


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


class Report:
    """The problems found so far in one file, each placed on the line that declared it."""

    def __init__(self, text: str, filename: str) -> None:
        self.filename = filename
        self.locator = Locator(text)
        self.problems: list[Problem] = []

    def problem(self, loc: Loc, message: str, *, line_of: Loc | None = None) -> None:
        """Record ``message`` about ``loc``; ``line_of`` is where to point when ``loc`` has no line of its own."""
        line = self.locator.line(line_of if line_of is not None else loc)
        self.problems.append(Problem(self.filename, line, field_name(loc), message))

    def where(self, loc: Loc) -> str:
        """``loc`` as a person finds it in the file: ``cookies[0].name (line 27)``."""
        line = self.locator.line(loc)
        return f"{field_name(loc)} (line {line})" if line else field_name(loc)

    def line(self, loc: Loc) -> int | None:
        return self.locator.line(loc)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "X"?)`` for the closest of ``choices``, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
