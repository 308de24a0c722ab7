"""The structure of a charter file: its tables and their keys, checked with pydantic (the second pass).

Each table is validated on its own, so one broken cookie does not hide the others; a key with a
wrong type or an unknown key is reported and dropped, and the rest of its table still goes on to
the meaning checks (``rules``).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .locator import Loc
from .problems import Report, did_you_mean

#: The top-level keys a charter may have.
TOP_KEYS = ("charter", "controller", "purposes", "cookies")


class Section(BaseModel):
    """A table of the charter file.

    strict: TOML already has types; a number where a string is expected is a mistake to report,
    not to coerce. Required keys are declared optional here and listed in ``required``: the
    loader reports them missing itself, so a table with one bad key still gets every other
    check (pydantic gives no partial result).
    """

    model_config = ConfigDict(extra="forbid", strict=True)
    required: ClassVar[tuple[str, ...]] = ()


class CharterSection(Section):
    required = ("languages",)
    edition: str = ""
    languages: list[str] | None = None


class ControllerSection(Section):
    required = ("name", "contact")
    name: str | None = None
    contact: str | None = None
    url: str = ""


class PurposeSection(Section):
    required = ("title", "description")
    # Kept as plain strings so that a misspelling gets a "did you mean" from the meaning pass.
    exemption: str | None = None
    title: dict[str, str] | None = None
    description: dict[str, str] | None = None
    refused_by_gpc: bool = False
    consent_mode: list[str] = []


class CookieSection(Section):
    # name or regex: checked by the loader, which says which one is missing.
    required = ("provider", "purpose", "service", "description", "lifetime")
    name: str | None = None
    regex: str | None = None
    provider: str | None = None
    purpose: str | None = None
    service: dict[str, str] | None = None
    description: dict[str, str] | None = None
    lifetime: str | None = None
    party: str = "first"
    domain: str = ""
    reason: dict[str, str] = {}
    path: str = "/"
    cookie_domain: str = ""
    policy_url: str = ""


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
SectionT = TypeVar("SectionT", bound=Section)

_TOML_TYPES: dict[type, str] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    list: "an array",
    dict: "a table",
}


def toml_type(value: Any) -> str:
    """What a person wrote, in TOML's words: "a string", "an array", "a date/time"..."""
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


def read_section(report: Report, prefix: Loc, model: type[SectionT], value: Any) -> SectionT | None:
    """The table validated; keys with a wrong type or unknown are reported and dropped."""
    if not isinstance(value, dict):
        report.problem(prefix, f"expected a table, got {toml_type(value)}")
        return None
    try:
        section = model.model_validate(value)
    except ValidationError as exc:
        dropped = set()
        for error in exc.errors():
            _structure_error(report, prefix, error, model)
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
            report.problem((*prefix, key), f"required, but missing: {_REQUIRED_HINTS.get(key, key)}")
    return section


def _structure_error(report: Report, prefix: Loc, error: Any, model: type[Section]) -> None:
    loc = prefix + tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = list(model.model_fields) if len(error["loc"]) == 1 else []
        message = f"unknown key {key!r}{did_you_mean(key, allowed)}"
        if allowed:
            message += f"; expected one of: {', '.join(allowed)}"
    elif kind == "dict_type":
        # Only the per-language texts are dicts in the schema.
        key = loc[-1]
        message = f'expected a text per language, such as {key}.en = "...", got {toml_type(error.get("input"))}'
    else:
        expected = _expected(kind)
        message = f"expected {expected}, got {toml_type(error.get('input'))}" if expected else error["msg"]
    report.problem(loc, message)
