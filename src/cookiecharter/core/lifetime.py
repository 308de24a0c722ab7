"""Cookie lifetimes in the units people write: "session", "2 weeks", "13 months"."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A month is a twelfth of a Julian year, so that "12 months" and "1 year" are the same length
# and "13 months" is the CNIL ceiling to the second whatever the calendar.
_DAY = 86_400
_UNITS: dict[str, int] = {
    "second": 1,
    "minute": 60,
    "hour": 3_600,
    "day": _DAY,
    "week": 7 * _DAY,
    "month": 2_629_800,
    "year": 31_557_600,
}
_ALIASES = {
    "s": "second", "sec": "second", "seconds": "second",
    "min": "minute", "minutes": "minute",
    "h": "hour", "hours": "hour",
    "d": "day", "days": "day",
    "w": "week", "weeks": "week",
    "months": "month",
    "y": "year", "years": "year",
}  # fmt: skip
_PATTERN = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")


class LifetimeError(ValueError):
    pass


@dataclass(frozen=True)
class Lifetime:
    """How long a cookie lives. ``seconds is None`` means a session cookie."""

    seconds: int | None
    count: int = 0
    unit: str = ""

    @classmethod
    def session(cls) -> Lifetime:
        return cls(None)

    @classmethod
    def of_seconds(cls, seconds: int | None) -> Lifetime:
        """The most readable exact spelling of a number of seconds (``None`` is a session cookie)."""
        if seconds is None:
            return cls.session()
        for unit in ("year", "month", "week", "day", "hour", "minute"):
            size = _UNITS[unit]
            if seconds and seconds % size == 0:
                return cls(seconds, seconds // size, unit)
        return cls(seconds, seconds, "second")

    @classmethod
    def parse(cls, text: str) -> Lifetime:
        value = text.strip().lower()
        if value == "session":
            return cls.session()
        m = _PATTERN.match(value)
        if not m:
            raise LifetimeError(
                f'expected "session" or a number and a unit such as "2 weeks" or "13 months", got {text!r}'
            )
        count, unit = int(m.group(1)), _ALIASES.get(m.group(2), m.group(2))
        if unit not in _UNITS:
            raise LifetimeError(f"unknown unit {m.group(2)!r} in {text!r}; use one of: {', '.join(_UNITS)}")
        if count <= 0:
            raise LifetimeError(f"a lifetime must be positive, got {text!r}")
        return cls(count * _UNITS[unit], count, unit)

    @property
    def is_session(self) -> bool:
        return self.seconds is None

    def exceeds(self, other: Lifetime) -> bool:
        """True when this lifetime is longer than ``other`` (a session cookie exceeds nothing)."""
        if self.seconds is None:
            return False
        if other.seconds is None:
            return True
        return self.seconds > other.seconds

    def __str__(self) -> str:
        if self.seconds is None:
            return "session"
        return f"{self.count} {self.unit}{'s' if self.count != 1 else ''}"
