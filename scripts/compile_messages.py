#!/usr/bin/env python3
"""Compile the gettext catalogues (``.po`` -> ``.mo``) with polib, or check they are up to date.

    python scripts/compile_messages.py          # write every .mo next to its .po
    python scripts/compile_messages.py --check  # exit 1 listing each .mo that is stale or missing

Why not ``django-admin compilemessages``: it needs GNU msgfmt on the PATH, which ``make`` cannot
assume without root. polib is pure Python (it is in the ``test`` extra).

"Up to date" is judged by content, not bytes: the messages a ``.mo`` holds (context, id, plural,
translations) and its header must equal those of the ``.po``'s translated, non-fuzzy entries. So a
``.mo`` compiled by msgfmt instead of polib still passes when it says the same thing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIRS = [ROOT / "src" / "cookiecharter" / "locale"]

Message = tuple[str, str, str, tuple[str, ...]]


def catalogues(dirs: Iterable[Path] = LOCALE_DIRS) -> list[Path]:
    return sorted(po for d in dirs for po in d.glob("*/LC_MESSAGES/*.po"))


def _po_messages(po: polib.POFile) -> set[Message]:
    found: set[Message] = set()
    for entry in po:
        if entry.obsolete or entry.fuzzy or not entry.translated():
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))
            found.add((entry.msgctxt or "", entry.msgid, entry.msgid_plural, forms))
        else:
            found.add((entry.msgctxt or "", entry.msgid, "", (entry.msgstr,)))
    return found


def _mo_messages(mo: polib.MOFile) -> set[Message]:
    found: set[Message] = set()
    for entry in mo:
        if entry.msgid == "":
            continue  # the header, compared separately
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))
            found.add((entry.msgctxt or "", entry.msgid, entry.msgid_plural, forms))
        else:
            found.add((entry.msgctxt or "", entry.msgid, "", (entry.msgstr,)))
    return found


def stale_reason(po_path: Path) -> str | None:
    """Why the ``.mo`` beside ``po_path`` does not match it, or None when it does."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return "missing"
    po = polib.pofile(str(po_path))
    try:
        mo = polib.mofile(str(mo_path))
    except Exception as exc:  # noqa: BLE001 - any unreadable file is stale
        return f"unreadable ({exc})"
    expected, actual = _po_messages(po), _mo_messages(mo)
    if expected != actual:
        missing = sorted(m[1] for m in expected - actual)[:3]
        extra = sorted(m[1] for m in actual - expected)[:3]
        return f"messages differ (in .po only: {missing}; in .mo only: {extra})"
    plural = po.metadata.get("Plural-Forms", "").strip()
    if plural and mo.metadata.get("Plural-Forms", "").strip() != plural:
        return "Plural-Forms header differs"
    return None


def compile_catalogue(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    return mo_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that every .mo matches its .po")
    args = parser.parse_args(argv)
    found = catalogues()
    if not found:
        print("no .po catalogue found under", ", ".join(map(str, LOCALE_DIRS)), file=sys.stderr)
        return 1
    if args.check:
        stale = [(po, reason) for po in found if (reason := stale_reason(po))]
        for po, reason in stale:
            print(f"{po.relative_to(ROOT)}: .mo is stale: {reason}", file=sys.stderr)
        if stale:
            print("run: python scripts/compile_messages.py", file=sys.stderr)
            return 1
        print(f"{len(found)} catalogue(s) up to date")
        return 0
    for po in found:
        print("compiled", compile_catalogue(po).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
