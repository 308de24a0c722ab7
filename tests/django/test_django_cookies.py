"""A site's charter: the declared file plus Django's own cookies, as the settings name and time them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cookiecharter.core.charter import Exemption
from cookiecharter.core.lifetime import Lifetime
from cookiecharter.core.loading import load_charter
from cookiecharter.sites import registry
from tests.charter_samples import DEMO, NECESSARY, STATISTICS, write_charter


def _names(charter) -> list[str]:
    return [c.name.value for c in charter.cookies]


def get_charter():
    return registry.get("default").charter


def test_demo_charter_declares_them_all_itself() -> None:
    assert _names(get_charter()) == _names(load_charter(DEMO))


def test_omitted_cookies_come_from_the_settings(tmp_path: Path) -> None:
    path = write_charter(tmp_path, NECESSARY, STATISTICS)
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}):
        charter = get_charter()
        assert _names(charter) == [
            "cart",
            "stats_id",
            "sessionid",
            "csrftoken",
            "django_language",
            "cookies_preferences",
        ]
        session = charter.match("sessionid")
        assert session.purpose == "basics" and session.provider == "Commune de Test"
        assert session.lifetime == Lifetime.parse("2 weeks")
        assert session.service == {"fr": "Session de connexion (tout le site)", "en": "Signed-in session (whole site)"}
        assert charter.match("django_language").lifetime.is_session
        # The declared charter is kept apart, for the checks.
        assert _names(registry.get("default").declared_charter) == ["cart", "stats_id"]


def test_the_charter_follows_the_settings_as_they_change(tmp_path: Path) -> None:
    path = write_charter(tmp_path, STATISTICS)
    with override_settings(
        COOKIECHARTER={"CHARTER": str(path), "CONSENT_COOKIE_NAME": "choix", "CONSENT_COOKIE_AGE": 86_400}
    ):
        first = get_charter()
        assert first.purposes[0].key == "necessary" and first.purposes[0].exemption is Exemption.STRICTLY_NECESSARY
        assert first.match("choix").lifetime == Lifetime.parse("1 day")
        with override_settings(
            SESSION_COOKIE_NAME="portal_session", SESSION_EXPIRE_AT_BROWSER_CLOSE=True,
            CSRF_USE_SESSIONS=True, LANGUAGE_COOKIE_AGE=86_400 * 30,
        ):  # fmt: skip
            charter = get_charter()
            assert charter.match("portal_session").lifetime.is_session
            assert not charter.declares("sessionid") and not charter.declares("csrftoken")
            assert charter.match("django_language").lifetime == Lifetime.parse("30 days")
        assert get_charter().declares("sessionid")  # the outer settings again
        with override_settings(USE_I18N=False, MIDDLEWARE=[]):
            # No session or CSRF middleware, no i18n: only the consent cookie is the framework's.
            assert _names(get_charter()) == ["stats_id", "choix"]


@pytest.mark.parametrize("debug", [True, False])
def test_the_file_is_reloaded_on_change_only_under_debug(tmp_path: Path, debug: bool) -> None:
    path = write_charter(tmp_path, NECESSARY)
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}, DEBUG=debug):
        assert get_charter().edition == "test-1"
        path.write_text(path.read_text(encoding="utf-8").replace("test-1", "test-2"), encoding="utf-8")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        assert get_charter().edition == ("test-2" if debug else "test-1")


def test_missing_setting_is_improperly_configured() -> None:
    with override_settings(COOKIECHARTER={}), pytest.raises(ImproperlyConfigured, match=r'\["CHARTER"\]: is not set'):
        get_charter()
