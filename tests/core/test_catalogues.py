"""The gettext catalogues: compiled, up to date, complete in French, shipped in the package."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import polib
import pytest

from cookiecharter.core.catalogue import LOCALE_DIR, available_languages, translator
from cookiecharter.core.loading import load_charter
from cookiecharter.page import build_page
from scripts import compile_messages
from tests.charter_samples import DEMO, ROOT

CATALOGUES = compile_messages.catalogues()


def test_french_and_english_catalogues_exist() -> None:
    assert {"fr", "en"} <= set(available_languages())
    assert {p.parent.parent.name for p in CATALOGUES} >= {"fr", "en"}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_each_mo_is_up_to_date_with_its_po(po: Path) -> None:
    assert compile_messages.stale_reason(po) is None, "run: python scripts/compile_messages.py"


def test_the_check_mode_catches_a_stale_mo(tmp_path: Path) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "django.po"
    shutil.copy(LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po", po)
    assert compile_messages.stale_reason(po) == "missing"
    compile_messages.compile_catalogue(po)
    assert compile_messages.stale_reason(po) is None
    catalogue = polib.pofile(str(po))
    catalogue.find("Cookie charter").msgstr = "Charte des cookies"
    catalogue.save()
    assert "messages differ" in (compile_messages.stale_reason(po) or "")
    out = subprocess.run(
        [sys.executable, "scripts/compile_messages.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr  # the real catalogues, untouched


def test_every_french_string_of_the_page_is_translated() -> None:
    charter = load_charter(DEMO)
    fr, en = build_page(charter, "fr"), build_page(charter, "en")

    def general(page):
        return [page.title, *page.lead, page.cookies_heading, *page.cookies_intro, page.reason_label,
                                page.pdf_label, page.generated_note, page.page_label, page.edition_label, page.digest_label]  # fmt: skip

    for page_fr, page_en in ((fr, en),):
        pairs = list(zip(general(page_fr), general(page_en)))
        for section_fr, section_en in zip(page_fr.sections, page_en.sections):
            pairs += [(section_fr.heading, section_en.heading), *zip(section_fr.paragraphs, section_en.paragraphs)]
            pairs += [(a.term, b.term) for a, b in zip(section_fr.terms, section_en.terms)]
            pairs += [(a.text, b.text) for a, b in zip(section_fr.terms, section_en.terms)]
        for table_fr, table_en in zip(page_fr.tables, page_en.tables):
            pairs += [(table_fr.status, table_en.status), (table_fr.status_detail, table_en.status_detail)]
            pairs += [(a.label, b.label) for a, b in zip(table_fr.columns, table_en.columns)]
        untranslated = [en_text for fr_text, en_text in pairs if fr_text == en_text]
        assert untranslated == []


def test_no_french_entry_is_left_empty_or_fuzzy() -> None:
    po = polib.pofile(str(LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert translator("fr").gettext("Cookie charter") == "Charte cookies"


def test_the_wheel_ships_the_compiled_catalogues(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in ("fr", "en"):
        assert f"cookiecharter/locale/{lang}/LC_MESSAGES/django.mo" in names
    assert "cookiecharter/static/cookiecharter/charter.css" in names
    assert "cookiecharter/templates/cookiecharter/charter_page.html" in names


def test_every_exemption_and_lifetime_unit_is_translated() -> None:
    from cookiecharter.core.charter import Exemption
    from cookiecharter.page.model import _UNIT_FORMS, _exemption_detail

    fr, en = translator("fr"), translator("en")
    for exemption in Exemption:
        assert _exemption_detail(exemption, fr) != _exemption_detail(exemption, en), exemption
    for unit, form in _UNIT_FORMS.items():
        if unit not in {"minute"}:  # "minute(s)" is spelled the same in both languages
            assert form(fr, 2) != form(en, 2), unit
