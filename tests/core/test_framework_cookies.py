"""Django's (or any framework's) own cookies declared from plain settings values, without Django."""

from __future__ import annotations

from pathlib import Path

from cookiecharter.core.charter import Exemption, Party
from cookiecharter.core.framework_cookies import FrameworkCookies, declare_framework_cookies
from cookiecharter.core.lifetime import Lifetime
from cookiecharter.core.loading import load_charter
from tests.charter_samples import NECESSARY, SEED, STATISTICS, language_cookie, write_charter


def test_cookies_the_charter_omits_are_declared_with_the_given_names_and_lifetimes(tmp_path: Path) -> None:
    charter = load_charter(write_charter(tmp_path, NECESSARY, STATISTICS))
    full = declare_framework_cookies(
        charter,
        FrameworkCookies(session_name="portal_session", session_age=86_400, language_age=None, consent_age=15_778_800),
    )
    added = {c.name.value: c for c in full.cookies[len(charter.cookies) :]}
    assert list(added) == ["portal_session", "csrftoken", "django_language", "cookies_preferences"]
    assert added["portal_session"].lifetime == Lifetime.parse("1 day")
    assert added["csrftoken"].lifetime == Lifetime.parse("52 weeks")
    assert added["django_language"].lifetime.is_session
    assert added["cookies_preferences"].lifetime == Lifetime.parse("6 months")
    for cookie in added.values():
        # Attached to the charter's own strictly-necessary purpose, set by the site itself.
        assert cookie.purpose == "basics"
        assert cookie.provider == "Commune de Test"
        assert cookie.party is Party.FIRST
        assert cookie.service["fr"] and cookie.service["en"] and cookie.service["fr"] != cookie.service["en"]
        assert cookie.reason["fr"] and cookie.reason["en"]
    assert added["csrftoken"].reason["fr"].startswith("Sécurité")
    assert full.purposes == charter.purposes


def test_a_charter_without_a_strictly_necessary_purpose_gets_a_built_in_one_first(tmp_path: Path) -> None:
    charter = load_charter(write_charter(tmp_path, STATISTICS))
    full = declare_framework_cookies(charter, FrameworkCookies())
    first = full.purposes[0]
    assert first.key == "necessary"
    assert first.exemption is Exemption.STRICTLY_NECESSARY
    assert first.title == {"fr": "Cookies strictement nécessaires", "en": "Strictly necessary cookies"}
    assert [c.name.value for c in full.cookies_for("necessary")] == [
        "sessionid", "csrftoken", "django_language", "cookies_preferences",
    ]  # fmt: skip
    # The statistics purpose is untouched and still the only one asking for consent.
    assert [p.key for p in full.consent_purposes] == ["statistics"]


def test_cookies_the_charter_declares_itself_are_left_alone() -> None:
    seed = load_charter(SEED)
    assert declare_framework_cookies(seed, FrameworkCookies()) is seed


def test_a_pattern_in_the_charter_counts_as_a_declaration(tmp_path: Path) -> None:
    pattern = NECESSARY + language_cookie("django_*", "session")
    charter = load_charter(write_charter(tmp_path, pattern))
    names = [c.name.value for c in declare_framework_cookies(charter, FrameworkCookies()).cookies]
    assert "django_language" not in names
    assert "sessionid" in names


def test_a_cookie_the_framework_does_not_set_is_not_declared(tmp_path: Path) -> None:
    charter = load_charter(write_charter(tmp_path, NECESSARY))
    full = declare_framework_cookies(charter, FrameworkCookies(csrf_name=None, session_name=None, language_name=None))
    # The consent cookie is this package's own: always declared.
    assert [c.name.value for c in full.cookies] == ["cart", "cookies_preferences"]


def test_languages_without_a_catalogue_fall_back_to_the_english_source(tmp_path: Path) -> None:
    charter = load_charter(
        write_charter(
            tmp_path,
            NECESSARY.replace("title.en", "title.de")
            .replace("description.en", "description.de")
            .replace("service.en", "service.de")
            .replace("description.en", "description.de")
            .replace("reason.en", "reason.de"),
            languages='["fr", "de"]',
        )
    )
    session = declare_framework_cookies(charter, FrameworkCookies()).match("sessionid")
    assert session is not None
    assert session.description["de"] == "Recognise a signed-in visitor from one page to the next."
    assert session.description["fr"] == "Reconnaître un visiteur connecté d'une page à l'autre."
