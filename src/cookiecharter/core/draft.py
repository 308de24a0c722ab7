"""Charter entries drafted for a person to complete: what an undeclared cookie would need.

The enforcement's "raise" error, the scanner's ``--suggest`` and ``cookiecharter_observed --toml``
all print the ``[[cookies]]`` entry that would declare a cookie they saw. Only what was seen is
filled in (the name, the lifetime asked for); who sets it and why is for a person to write.
Nothing here imports Django.
"""

from __future__ import annotations

from .charter import Charter, Purpose
from .lifetime import Lifetime


def declaration_stub(
    name: str, lifetime: int | None = None, example_path: str = "", charter: Charter | None = None
) -> str:
    """The ``[[cookies]]`` TOML entry to add to ``charter`` for an undeclared cookie.

    Filled with what is known (the name, the lifetime the site asked for); the rest is marked for a
    person to complete, since only they know the provider and what the cookie is for. Given the
    charter, the entry validates as written once pasted into it: a text in each of its languages,
    and a purpose it declares (the first that needs consent, so that until a person decides
    otherwise the cookie waits for the visitor's consent; a reason too if that purpose is exempt).
    """
    spelled = str(Lifetime.of_seconds(lifetime)) if lifetime is not None and lifetime > 0 else "session"
    languages = charter.languages if charter is not None and charter.languages else ("en",)
    purpose = _likely_purpose(charter)
    lines = ["[[cookies]]"]
    if example_path:
        lines.append(f"# seen on {_toml_comment(example_path)}")
    lines += [f"name = {_toml_string(name)}", 'provider = "TODO: who sets it"']
    if purpose is None:
        lines.append('purpose = "TODO: a purpose key of this charter"')
    else:
        lines.append(f"purpose = {_toml_string(purpose.key)}  # TODO: check: the purpose this cookie serves")
    for lang in languages:
        lines.append(f'service.{lang} = "TODO: the service and where it is used"')
    for lang in languages:
        lines.append(f'description.{lang} = "TODO: what it is for"')
    if purpose is not None and not purpose.needs_consent:
        for lang in languages:
            lines.append(f'reason.{lang} = "TODO: why it is strictly necessary"')
    lines.append(f'lifetime = "{spelled}"')
    return "\n".join(lines)


def _likely_purpose(charter: Charter | None) -> Purpose | None:
    if charter is None or not charter.purposes:
        return None
    return next((p for p in charter.purposes if p.needs_consent), charter.purposes[0])


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def _toml_comment(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)
