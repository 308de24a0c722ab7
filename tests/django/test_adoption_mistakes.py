"""Each mistake a new user made while adopting the package (issue 13), made on purpose: each is
caught where it is made, by a system check with a hint or by an error that names the fix."""

from __future__ import annotations

import sys

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.utils import translation

from cookiecharter.core.consent import UnknownPurpose
from tests.django.site import through_middleware

pytestmark = pytest.mark.django_db


def messages(**tags) -> dict[str, object]:
    return {m.id: m for m in run_checks(tags=["cookiecharter"], **tags)}


def test_without_the_request_context_processor(settings):
    templates = [dict(settings.TEMPLATES[0])]
    templates[0]["OPTIONS"] = {"context_processors": ["django.contrib.auth.context_processors.auth"]}
    settings.TEMPLATES = templates
    error = messages()["cookiecharter.E010"]
    assert "django.template.context_processors.request" in error.hint
    # And where it bites, the tag and the filter say the same, instead of vanishing or crashing.
    with pytest.raises(ImproperlyConfigured, match="E010"):
        Template("{% load cookiecharter %}{% cookiecharter_banner %}").render(Context({}))
    with pytest.raises(ImproperlyConfigured, match="E010"):
        Template('{% load cookiecharter %}{% if request|consent_allows:"statistics" %}x{% endif %}').render(Context({}))


def test_without_the_urls(settings):
    settings.ROOT_URLCONF = "tests.urls_without_cookiecharter"
    error = messages()["cookiecharter.E011"]
    assert 'include("cookiecharter.urls")' in error.hint and "from django.urls import include, path" in error.hint


def test_language_prefixed_urls_without_locale_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("LocaleMiddleware")]
    warning = messages()["cookiecharter.W012"]
    assert "/fr/cookies/" in warning.msg and "/en/cookies/" in warning.msg
    assert "LocaleMiddleware" in warning.hint
    assert Client().get("/en/cookies/").status_code == 404  # what the warning announces


def test_without_the_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "cookiecharter" not in m]
    assert "cookiecharter.W101" in messages()
    request = RequestFactory().get("/fr/")
    with pytest.raises(ImproperlyConfigured, match="CookieCharterMiddleware"):
        Template("{% load cookiecharter %}{% cookiecharter_banner %}").render(Context({"request": request}))


def test_a_typo_in_a_purpose_raises_under_debug_with_a_did_you_mean(settings):
    settings.DEBUG = True
    request = through_middleware(RequestFactory().get("/fr/"))
    with pytest.raises(UnknownPurpose, match='Did you mean "statistics"'):
        request.consent.allows("statistic")
    for source in (
        '{% load cookiecharter %}{% ifconsent "statistic" %}x{% endifconsent %}',
        '{% load cookiecharter %}{% if request|consent_allows:"statistic" %}x{% endif %}',
    ):
        with translation.override("fr"), pytest.raises(UnknownPurpose, match='Did you mean "statistics"'):
            Template(source).render(Context({"request": request}))
    # Outside DEBUG an unknown purpose is simply never allowed; an exempt one always is.
    settings.DEBUG = False
    request = through_middleware(RequestFactory().get("/fr/"))
    assert not request.consent.allows("statistic") and request.consent.allows("necessary")


def test_djangos_default_languages_give_one_warning_not_ninety_seven(settings):
    from django.conf import global_settings

    settings.LANGUAGES = global_settings.LANGUAGES
    found = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.W003"]
    assert len(found) == 1
    assert "LANGUAGES lists" in found[0].msg and "and " in found[0].msg and "LANGUAGES = [" in found[0].hint


def test_a_choice_kept_too_long_and_gpc_ignored_are_checks(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CONSENT_COOKIE_AGE": 400 * 86400, "HONOUR_GPC": False}
    found = messages()
    assert "six months" in found["cookiecharter.W013"].msg
    assert "Sec-GPC" in found["cookiecharter.W014"].msg


def test_a_missing_pdf_extra_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "reportlab", None)  # what an install without the "pdf" extra looks like
    assert "cookiecharter[django,pdf]" in messages()["cookiecharter.W015"].hint


@pytest.mark.parametrize("command", ["cookiecharter_verify", "cookiecharter_seal", "cookiecharter_observed"])
def test_a_ledger_command_before_migrate_names_the_fix(tmp_path, command):
    import os
    import subprocess

    (tmp_path / "unmigrated_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        f"DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', 'NAME': {str(tmp_path / 'new.sqlite3')!r}}}}}\n"
        f"COOKIECHARTER = {{**COOKIECHARTER, 'LEDGER_DIRECTORY': {str(tmp_path / 'ledger')!r}}}  # noqa: F405\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), root]),
        "DJANGO_SETTINGS_MODULE": "unmigrated_settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", command], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "manage.py migrate" in result.stderr and "Traceback" not in result.stderr
