"""Charter files and entries drafted for a person to complete.

``charter_toml`` writes a whole charter as a file (what ``cookiecharter_init`` starts a project
with). ``declaration_stub`` drafts the entry an undeclared cookie would need.

The enforcement's "raise" error, the scanner's ``--suggest`` and ``cookiecharter_observed --toml``
all print the ``[[cookies]]`` entry that would declare a cookie they saw. Only what was seen is
filled in (the name, the lifetime asked for); who sets it and why is for a person to write.
Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Mapping

from .charter import Charter, MatchKind, Party, Purpose
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


def charter_toml(charter: Charter, heading: str = "") -> str:
    """The whole charter as a charter file that loads back into the same charter (what
    ``cookiecharter_init`` writes for a person to complete). ``heading`` becomes comment lines."""
    lines = [f"# {_toml_comment(line)}" if line else "#" for line in heading.splitlines()]
    if lines:
        lines.append("")
    lines += ["[charter]"]
    if charter.edition:
        lines.append(f"edition = {_toml_string(charter.edition)}")
    lines.append("languages = [" + ", ".join(_toml_string(lang) for lang in charter.languages) + "]")
    lines += [
        "",
        "[controller]",
        f"name = {_toml_string(charter.controller.name)}",
        f"contact = {_toml_string(charter.controller.contact)}",
    ]
    if charter.controller.url:
        lines.append(f"url = {_toml_string(charter.controller.url)}")
    for purpose in charter.purposes:
        lines += ["", f"[purposes.{purpose.key}]"]
        if purpose.exemption is not None:
            lines.append(f"exemption = {_toml_string(purpose.exemption.value)}")
        lines += _texts("title", purpose.title) + _texts("description", purpose.description)
        if purpose.refused_by_gpc:
            lines.append("refused_by_gpc = true")
        if purpose.consent_mode:
            lines.append("consent_mode = [" + ", ".join(_toml_string(m) for m in purpose.consent_mode) + "]")
        if purpose.adpc:
            lines.append(f"adpc = {_toml_string(purpose.adpc)}")
        if purpose.adpc_consent:
            lines.append("adpc_consent = true")
    for cookie in charter.cookies:
        lines += ["", "[[cookies]]"]
        if cookie.name.kind is MatchKind.REGEX:
            lines.append(f"regex = {_toml_string(cookie.name.value)}")
        else:
            lines.append(f"name = {_toml_string(cookie.name.display)}")
        lines += [f"provider = {_toml_string(cookie.provider)}", f"purpose = {_toml_string(cookie.purpose)}"]
        lines += _texts("service", cookie.service) + _texts("description", cookie.description)
        lines.append(f"lifetime = {_toml_string(str(cookie.lifetime))}")
        lines += _texts("reason", cookie.reason)
        if cookie.party is Party.THIRD:
            lines += ['party = "third"', f"domain = {_toml_string(cookie.domain)}"]
        if cookie.path and cookie.path != "/":
            lines.append(f"path = {_toml_string(cookie.path)}")
        if cookie.cookie_domain:
            lines.append(f"cookie_domain = {_toml_string(cookie.cookie_domain)}")
        if cookie.policy_url:
            lines.append(f"policy_url = {_toml_string(cookie.policy_url)}")
    return "\n".join(lines) + "\n"


def _texts(field: str, texts: Mapping[str, str]) -> list[str]:
    return [f"{field}.{lang} = {_toml_string(text)}" for lang, text in texts.items()]
