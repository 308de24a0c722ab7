"""Charter entries drafted for a person to complete: what an undeclared cookie would need.

The enforcement's "raise" error, the scanner's ``--suggest`` and ``cookiecharter_observed --toml``
all print the ``[[cookies]]`` entry that would declare a cookie they saw. Only what was seen is
filled in (the name, the lifetime asked for); who sets it and why is for a person to write.
Nothing here imports Django.
"""

from __future__ import annotations

from .lifetime import Lifetime


def declaration_stub(name: str, lifetime: int | None = None, example_path: str = "") -> str:
    """The ``[[cookies]]`` TOML entry to add to the charter for an undeclared cookie.

    Filled with what is known (the name, the lifetime the site asked for); the rest is marked
    for a person to complete, since only they know the purpose and the provider.
    """
    if lifetime is not None and lifetime > 0:
        spelled = str(Lifetime.of_seconds(lifetime))
    else:
        spelled = "session"
    lines = ["[[cookies]]"]
    if example_path:
        lines.append(f"# seen on {_toml_comment(example_path)}")
    lines += [
        f"name = {_toml_string(name)}",
        'provider = "TODO: who sets it"',
        'purpose = "TODO: a purpose key of this charter"',
        'service.en = "TODO: the service and where it is used"',
        'description.en = "TODO: what it is for"',
        f'lifetime = "{spelled}"',
    ]
    return "\n".join(lines)


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def _toml_comment(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)
