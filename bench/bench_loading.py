"""Charter loading and matching: what validation costs over parsing alone, and what the compiled
matcher saves over trying each declaration in turn.

    .venv/bin/python bench/bench_loading.py

Charters: the demo's (6 cookies) and synthetic ones with N cookies (a third exact names, a third
prefixes, a third regexes, none overlapping). Loading is checked pairwise for overlaps, so its
cost grows with N squared; these figures say from what size that starts to matter.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from cookiecharter.core import loads_charter

ROOT = Path(__file__).resolve().parents[1]
DEMO = (ROOT / "demo" / "charter.toml").read_text(encoding="utf-8")

HEAD = """[charter]
languages = ["fr", "en"]
[controller]
name = "Bench"
contact = "dpo@example.org"
[purposes.necessary]
exemption = "strictly-necessary"
title = { fr = "N", en = "N" }
description = { fr = "N", en = "N" }
[purposes.statistics]
title = { fr = "S", en = "S" }
description = { fr = "S", en = "S" }
"""


def synthetic(n: int) -> str:
    parts = [HEAD]
    for i in range(n):
        kind = i % 3
        name = (f'name = "c{i}x"', f'name = "p{i}_*"', f'regex = "r{i}\\\\.[0-9a-f]{{4}}"')[kind]
        parts.append(
            f"""[[cookies]]
{name}
provider = "P{i % 7}"
purpose = "{"necessary" if i % 2 else "statistics"}"
service = {{ fr = "s", en = "s" }}
description = {{ fr = "d", en = "d" }}
lifetime = "{1 + i % 12} months"
{'reason = { fr = "r", en = "r" }' if i % 2 else ""}
"""
        )
    return "\n".join(parts)


def best(stmt, number: int) -> float:
    """Best of 5 runs, in microseconds per call (the minimum is the least noisy estimate)."""
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def main() -> None:
    print(f"Python {sys.version.split()[0]}")
    print(f"{'charter':<22}{'tomllib.loads':>16}{'loads_charter':>16}{'ratio':>8}")
    for label, text, number in [
        ("demo (6 cookies)", DEMO, 50),
        ("synthetic 30", synthetic(30), 20),
        ("synthetic 100", synthetic(100), 5),
        ("synthetic 300", synthetic(300), 1),
    ]:
        loads_charter(text)  # fail loudly now if a synthetic charter is invalid
        parse = best(lambda text=text: tomllib.loads(text), number)
        load = best(lambda text=text: loads_charter(text), number)
        print(f"{label:<22}{parse:>13.0f} us{load:>13.0f} us{load / parse:>7.1f}x")

    charter = loads_charter(synthetic(100))
    names = [f"c{i}x" for i in range(0, 100, 3)] + [f"p{i}_abc" for i in range(1, 100, 3)]
    names += [f"r{i}.beef" for i in range(2, 100, 3)] + ["undeclared", "_ga", "sessionid2"]
    charter.match("")  # compile once, outside the timing

    def compiled() -> None:
        for name in names:
            charter.match(name)

    def one_by_one() -> None:
        for name in names:
            next((c for c in charter.cookies if c.name.matches(name)), None)

    fast = best(compiled, 200) / len(names)
    slow = best(one_by_one, 20) / len(names)
    print(f"\nmatch one name against 100 declarations ({len(names)} names, 3 undeclared):")
    print(f"  Charter.match (one compiled matcher)   {fast:8.2f} us")
    print(f"  each CookieName.matches in turn        {slow:8.2f} us   ({slow / fast:.0f}x slower)")


if __name__ == "__main__":
    main()
