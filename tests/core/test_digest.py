"""The charter's digest covers everything it says; its consent version only what consent is about.

The digest identifies the exact texts a visitor was shown (kept in the ledger); the consent
version decides whether every visitor is asked again, so it must not move for a reworded text or
a change to a cookie that needs no consent, and must move when the consent purposes' cookies do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cookiecharter.core import Charter, loads_charter

ROOT = Path(__file__).resolve().parents[2]
VALID = ROOT / "tests" / "fixtures" / "charters" / "valid.toml"
DEMO_TEXT = (ROOT / "demo" / "charter.toml").read_text(encoding="utf-8")
BASE_TEXT = VALID.read_text(encoding="utf-8")

# Pinned: a digest must not change with the Python version, the platform or the hash seed. If the
# model's as_data() changes on purpose, every stored charter version changes with it: update this
# value in the same commit and say so.
VALID_DIGEST = "811c38cfecd993642cc7c6bd19a850a3c3239f20376af3d66891f75d4ea3c9af"
VALID_CONSENT_VERSION = "15086508cd"


def load(text: str) -> Charter:
    return loads_charter(text, "test.toml")


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BASE = load(BASE_TEXT)
DEMO = load(DEMO_TEXT)


def test_pinned_digest_and_consent_version() -> None:
    assert BASE.digest == VALID_DIGEST
    assert BASE.consent_version == VALID_CONSENT_VERSION


def test_digest_is_the_same_in_another_process_with_another_hash_seed() -> None:
    code = f"from cookiecharter.core import load_charter; c = load_charter({str(VALID)!r}); print(c.digest, c.consent_version)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [VALID_DIGEST, VALID_CONSENT_VERSION]


def test_reordered_keys_whitespace_comments_and_table_style_do_not_change_the_digest() -> None:
    text = BASE_TEXT
    # keys within a table in another order
    text = edit(
        text, 'name = "sessionid"\nprovider = "Commune de Test"\n', 'provider = "Commune de Test"\nname = "sessionid"\n'
    )
    # dotted keys rewritten as an inline table, in another language order
    text = edit(
        text,
        'title.fr = "Statistiques"\ntitle.en = "Statistics"\n',
        'title = { en = "Statistics", fr = "Statistiques" }\n',
    )
    # a sub-table instead of dotted keys
    text = edit(text, 'reason.fr = "Authentification."\nreason.en = "Authentication."\n', "")
    text = edit(
        text,
        '\n[[cookies]]\nname = "_pk_id.*"',
        '[cookies.reason]\nen = "Authentication."\nfr = "Authentification."\n\n[[cookies]]\nname = "_pk_id.*"',
    )
    # whitespace, blank lines, comments, another quoting style
    text = text.replace(" = ", "   =   ").replace("\n\n", "\n\n# a comment\n\n\n")
    text = edit(text, 'provider   =   "Commune de Test"', "provider = 'Commune de Test'")
    changed = load(text)
    assert text != BASE_TEXT
    assert changed == BASE
    assert changed.digest == BASE.digest
    assert changed.consent_version == BASE.consent_version


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('description.en = "Count visits."', 'description.en = "Counts visits."'),  # a consent purpose's text
        ('title.fr = "Nécessaires"', 'title.fr = "Strictement nécessaires"'),  # an exempt purpose's text
        ('service.en = "Audience measurement"', 'service.en = "Audience statistics"'),  # a consent cookie's text
        ('name = "Commune de Test"', 'name = "Mairie de Test"'),  # the controller
        ('edition = "test-1"', 'edition = "test-2"'),
        ('lifetime = "2 weeks"', 'lifetime = "4 weeks"'),  # a necessary cookie
        ('name = "sessionid"', 'name = "sid"'),  # a necessary cookie's name
    ],
)
def test_text_and_necessary_changes_change_the_digest_but_not_the_consent_version(old: str, new: str) -> None:
    changed = load(edit(BASE_TEXT, old, new))
    assert changed.digest != BASE.digest
    assert changed.consent_version == BASE.consent_version


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('lifetime = "13 months"', 'lifetime = "12 months"'),
        ('provider = "Matomo (auto-hébergé)"', 'provider = "Matomo Cloud"'),
        ('name = "_pk_id.*"', 'name = "_pk_ref.*"'),
        ('regex = "_pk_ses\\\\.[0-9]+\\\\.[0-9a-f]{4}"', 'regex = "_pk_ses\\\\.[0-9]+\\\\.[0-9a-f]{6}"'),
        ('lifetime = "30 minutes"', 'lifetime = "30 minutes"\nparty = "third"\ndomain = "stats.example.net"'),
    ],
)
def test_changing_a_consent_purpose_cookie_changes_the_consent_version(old: str, new: str) -> None:
    changed = load(edit(BASE_TEXT, old, new))
    assert changed.consent_version != BASE.consent_version
    assert changed.digest != BASE.digest


def test_adding_or_removing_a_consent_cookie_changes_the_consent_version() -> None:
    cookie = BASE_TEXT[BASE_TEXT.index("[[cookies]]\nregex") :]
    removed = load(BASE_TEXT.replace(cookie, ""))
    added = load(BASE_TEXT + "\n" + cookie.replace("_pk_ses", "_pk_cvar"))
    assert len({BASE.consent_version, removed.consent_version, added.consent_version}) == 3


def test_adding_a_necessary_cookie_keeps_the_consent_version() -> None:
    extra = BASE_TEXT[
        BASE_TEXT.index('[[cookies]]\nname = "sessionid"') : BASE_TEXT.index('[[cookies]]\nname = "_pk_id')
    ]
    added = load(BASE_TEXT + "\n" + extra.replace("sessionid", "csrftoken"))
    assert added.consent_version == BASE.consent_version and added.digest != BASE.digest


def test_demo_statistics_and_embeds_move_the_consent_version_but_not_the_seed_cookies() -> None:
    assert (
        load(edit(DEMO_TEXT, 'lifetime = "6 months"', 'lifetime = "3 months"')).consent_version == DEMO.consent_version
    )
    assert load(edit(DEMO_TEXT, 'lifetime = "1 year"', 'lifetime = "2 years"')).consent_version != DEMO.consent_version
    assert (
        load(edit(DEMO_TEXT, 'domain = "localhost"', 'domain = "maps.example.net"')).consent_version
        != DEMO.consent_version
    )


def test_as_data_is_plain_json() -> None:
    import json

    data = BASE.as_data()
    assert json.loads(json.dumps(data)) == data
    assert data["cookies"][0]["lifetime"] == "2 weeks"
