"""What changed between two versions of a charter, as a data protection officer reads it.

The ledger keeps every charter version ever shown as ``Charter.as_data()`` (``CharterVersion.data``).
``compare(older, newer)`` takes two of those and says, in the charter's own terms, what changed:
purposes and cookies added, removed or changed (field by field, each text in each language), the
controller, the languages. A changed text comes with its words marked (``difflib`` over words), so
"13 mois" → "25 mois" shows as one word struck out and one added, not as two paragraphs.

Plain data in, plain data out, no Django: the back office (``admin/versions.py``) translates the
field names and renders it; a test needs only two dicts. Purposes are matched by key, cookies by
their declared name (exact, prefix or pattern); a cookie renamed is one removed and one added, as
it is for the visitor's browser.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CharterChanges", "FieldChange", "ItemChange", "Words", "compare", "cookie_key", "word_diff"]

#: How a run of words or an item compares: in both versions, only in the older, only in the newer.
Kind = Literal["same", "removed", "added"]


@dataclass(frozen=True)
class Words:
    """A run of text (words with the spaces between them) that is in both versions or in one only."""

    text: str
    kind: Kind


@dataclass(frozen=True)
class FieldChange:
    """One field whose value differs. ``language`` is set for a translated text ("" otherwise).

    ``before`` and ``after`` are the stored values (a text, a flag, a list of names; None when the
    field is absent on that side). ``words`` marks the changed words when both are texts.
    """

    field: str
    language: str
    before: Any
    after: Any
    words: tuple[Words, ...] = ()


@dataclass(frozen=True)
class ItemChange:
    """A purpose or a cookie added, removed or changed.

    ``key`` is the purpose's key or the cookie's name as declared (``_ga_*`` for a prefix);
    ``titles`` its title per language (purposes; the newer version's when it has one). For an
    added or removed item ``fields`` lists what it declares (so one reads what came or went), for a
    changed one only what differs.
    """

    kind: Literal["added", "removed", "changed"]
    key: str
    titles: Mapping[str, str]
    fields: tuple[FieldChange, ...]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or next(iter(self.titles.values()), "")


@dataclass(frozen=True)
class CharterChanges:
    edition: FieldChange | None
    controller: tuple[FieldChange, ...]
    languages: FieldChange | None
    purposes: tuple[ItemChange, ...]
    cookies: tuple[ItemChange, ...]

    @property
    def empty(self) -> bool:
        """Nothing a reader would see differs (the two digests may still differ, e.g. key order)."""
        return not (self.edition or self.controller or self.languages or self.purposes or self.cookies)


# The fields compared, in the order a reader expects them. A purpose's "needs_consent" is derived
# from its exemption (None: it needs consent), so the plain question comes first.
_PURPOSE_FIELDS = (
    "title",
    "needs_consent",
    "exemption",
    "refused_by_gpc",
    "description",
    "consent_mode",
    "adpc",
    "adpc_consent",
)
_COOKIE_FIELDS = (
    "purpose",
    "provider",
    "lifetime",
    "party",
    "domain",
    "service",
    "description",
    "reason",
    "path",
    "cookie_domain",
    "policy_url",
)
_CONTROLLER_FIELDS = ("name", "contact", "url")

#: A word with the spaces after it: a changed phrase then reads as one struck run and one added
#: run ("~~Visit statistics~~ Audience measurement"), not word against word.
_WORD = re.compile(r"\S+\s*|\s+")
#: Values an item takes when its declaration leaves them out: not worth a line when it comes or goes.
_DEFAULTS = {"path": "/", "party": "first"}


def word_diff(before: str, after: str) -> tuple[Words, ...]:
    """``after`` against ``before``, word by word: runs of unchanged, removed and added text."""
    old, new = _WORD.findall(before), _WORD.findall(after)
    runs: list[Words] = []

    def add(tokens: Sequence[str], kind: Kind) -> None:
        text = "".join(tokens)
        if not text:
            return
        if runs and runs[-1].kind == kind:
            runs[-1] = Words(runs[-1].text + text, kind)
        else:
            runs.append(Words(text, kind))

    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            add(old[i1:i2], "same")
            continue
        # The older words first, then the newer: "13 months" → "~~13~~ 25 months".
        add(old[i1:i2], "removed")
        add(new[j1:j2], "added")
    return tuple(runs)


def _field(name: str, before: Any, after: Any, language: str = "") -> FieldChange:
    words = word_diff(before or "", after or "") if _is_text(before) and _is_text(after) else ()
    return FieldChange(name, language, before, after, words)


def _is_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _fields(names: Sequence[str], older: Mapping[str, Any], newer: Mapping[str, Any]) -> list[FieldChange]:
    """The fields among ``names`` that differ; a translated text (a dict) gives one per language."""
    out: list[FieldChange] = []
    for name in names:
        before, after = older.get(name), newer.get(name)
        if isinstance(before, Mapping) or isinstance(after, Mapping):
            before, after = before or {}, after or {}
            for lang in sorted(set(before) | set(after)):
                if before.get(lang) != after.get(lang):
                    out.append(_field(name, before.get(lang), after.get(lang), lang))
        elif before != after:
            out.append(_field(name, before, after))
    return out


def _purpose(data: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "needs_consent": data.get("exemption") is None}


def cookie_key(data: Mapping[str, Any]) -> str:
    """A stored cookie's name as the charter page shows it: ``_ga_*`` for a prefix."""
    kind, value = (*(data.get("match") or ["exact", "?"]), "?")[:2]
    return f"{value}*" if kind == "prefix" else str(value)


def _declared(names: Sequence[str], data: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """What an item added or removed declares, as changes from (or to) nothing."""
    return tuple(
        f
        for f in _fields(names, {}, data)
        # A flag that is off says nothing of an item, except whether it needs consent.
        if f.after not in (None, "", [], {})
        and (f.after is not False or f.field == "needs_consent")
        and _DEFAULTS.get(f.field) != f.after
    )


def _items(
    older: Sequence[Mapping[str, Any]],
    newer: Sequence[Mapping[str, Any]],
    key: Any,
    names: Sequence[str],
) -> tuple[ItemChange, ...]:
    before = {key(item): item for item in older}
    after = {key(item): item for item in newer}
    out: list[ItemChange] = []
    # The newer version's order, then what it no longer has in the older one's order.
    for k, item in after.items():
        titles = dict(item.get("title") or {})
        if k not in before:
            out.append(ItemChange("added", k, titles, _declared(names, item)))
            continue
        changed = _fields(names, before[k], item)
        if changed:
            out.append(ItemChange("changed", k, titles or dict(before[k].get("title") or {}), tuple(changed)))
    for k, item in before.items():
        if k not in after:
            # What it declared, turned round: from its value to nothing, every word removed.
            removed = tuple(
                FieldChange(f.field, f.language, f.after, None, tuple(Words(w.text, "removed") for w in f.words))
                for f in _declared(names, item)
            )
            out.append(ItemChange("removed", k, dict(item.get("title") or {}), removed))
    return tuple(out)


def compare(older: Mapping[str, Any], newer: Mapping[str, Any]) -> CharterChanges:
    """What changed from ``older`` to ``newer`` (two ``Charter.as_data()`` dicts)."""
    edition = _fields(["edition"], older, newer)
    languages = _fields(["languages"], older, newer)
    return CharterChanges(
        edition=edition[0] if edition else None,
        controller=tuple(_fields(_CONTROLLER_FIELDS, older.get("controller") or {}, newer.get("controller") or {})),
        languages=languages[0] if languages else None,
        purposes=_items(
            [_purpose(p) for p in older.get("purposes") or []],
            [_purpose(p) for p in newer.get("purposes") or []],
            lambda p: str(p.get("key", "?")),
            _PURPOSE_FIELDS,
        ),
        cookies=_items(older.get("cookies") or [], newer.get("cookies") or [], cookie_key, _COOKIE_FIELDS),
    )
