"""When the visitor is asked again: only when what consent is about changes (compliance rule 17).

A decision is made through the real endpoint; then the charter file is edited as a site's team
would edit it, and the next page view shows the banner again, or not.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BANNER = "data-cookiecharter-banner"

pytestmark = pytest.mark.django_db


@pytest.fixture
def charter_file(tmp_path, settings):
    path = tmp_path / "charter.toml"
    shutil.copy(ROOT / "demo" / "charter.toml", path)
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(path)}
    return path


def edit(path: Path, settings, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    # A deployment restarts the process; in a test, a settings change clears the same caches.
    settings.COOKIECHARTER = {**settings.COOKIECHARTER}


def banner_shown(client) -> bool:
    response = client.get("/fr/cookies/")
    assert response.status_code == 200
    return BANNER in response.content.decode()


def decide(client) -> None:
    response = client.post("/fr/cookies/consent/", {"choice": "refuse-all", "next": "/fr/cookies/"})
    assert response.status_code == 303
    assert not banner_shown(client)


def test_a_typo_fixed_in_a_necessary_cookies_text_does_not_ask_again(client, charter_file, settings):
    assert banner_shown(client)
    decide(client)
    edit(
        charter_file,
        settings,
        "Se souvenir de la langue du visiteur",
        "Se souvenir de la langue choisie par le visiteur",
    )
    assert not banner_shown(client)


def test_rewording_a_consent_purpose_does_not_ask_again(client, charter_file, settings):
    decide(client)
    edit(charter_file, settings, 'title.en = "Audience measurement"', 'title.en = "Audience statistics"')
    assert not banner_shown(client)


@pytest.mark.parametrize(
    "old, new",
    [
        ('lifetime = "13 months"', 'lifetime = "12 months"'),  # a consent purpose's cookie lives differently
        ('provider = "MapWidget (démonstration)"', 'provider = "Another map vendor"'),  # a new provider
        ('name = "portal_audience"', 'name = "portal_audience_v2"'),  # another cookie
    ],
)
def test_a_change_to_a_consent_purposes_cookies_asks_again(client, charter_file, settings, old, new):
    decide(client)
    edit(charter_file, settings, old, new)
    assert banner_shown(client)
