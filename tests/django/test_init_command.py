"""``cookiecharter_init`` writes a starting charter from the project's settings that validates as
written: Django's own cookies with the settings' names and lifetimes, in the project's languages."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cookiecharter.core.lifetime import Lifetime
from cookiecharter.core.loading import load_charter


def test_a_charter_from_the_settings(settings, tmp_path):
    settings.SESSION_COOKIE_NAME = "portal_session"
    settings.SESSION_COOKIE_AGE = 3 * 86_400
    path = tmp_path / "charter.toml"
    out = io.StringIO()
    call_command(
        "cookiecharter_init",
        "--controller",
        "Ville de Test",
        "--contact",
        "dpo@test.example",
        "--output",
        str(path),
        stdout=out,
    )
    charter = load_charter(path)
    assert charter.languages == ("fr", "en") and charter.controller.name == "Ville de Test"
    names = [c.name.value for c in charter.cookies]
    assert names == ["portal_session", "csrftoken", "django_language", "cookies_preferences"]
    assert charter.match("portal_session").lifetime == Lifetime.parse("3 days")
    assert charter.match("django_language").lifetime.is_session
    session = charter.match("portal_session")
    assert session.service["fr"] == "Session de connexion (tout le site)"
    assert session.service["en"] == "Signed-in session (whole site)"
    assert "wrote" in out.getvalue()
    # As the site then uses it: the checks find nothing to say about Django's cookies.
    from django.core.checks import run_checks

    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(path)}
    assert not {m.id for m in run_checks(tags=["cookiecharter"])} & {"cookiecharter.E004", "cookiecharter.W001"}
    with pytest.raises(CommandError, match="exists"):
        call_command("cookiecharter_init", "--controller", "X", "--contact", "a@b.example", "--output", str(path))


def test_djangos_default_languages_give_the_projects_own_language_only(settings, tmp_path):
    from django.conf import global_settings

    settings.LANGUAGES = global_settings.LANGUAGES
    settings.LANGUAGE_CODE = "en-us"
    path = tmp_path / "charter.toml"
    call_command(
        "cookiecharter_init",
        "--controller",
        "Org",
        "--contact",
        "https://org.example/contact",
        "--output",
        str(path),
        stdout=io.StringIO(),
    )
    assert load_charter(path).languages == ("en",)


def test_a_contact_the_charter_would_refuse_is_said_at_once(tmp_path):
    with pytest.raises(CommandError, match="expected an e-mail address"):
        call_command(
            "cookiecharter_init",
            "--controller",
            "Org",
            "--contact",
            "dpo@nowhere",
            "--output",
            str(tmp_path / "c.toml"),
            stdout=io.StringIO(),
        )


def test_init_scan_without_the_scan_extra_names_it_and_writes_nothing(tmp_path, monkeypatch):
    # A Python where rich cannot be imported, as without the extra (None in sys.modules blocks it).
    monkeypatch.setitem(sys.modules, "rich", None)
    path = tmp_path / "charter.toml"
    with pytest.raises(CommandError, match=r"needs the 'scan' extra: pip install 'cookiecharter\[scan\]'"):
        call_command(
            "cookiecharter_init", "--controller", "Org", "--contact", "dpo@org.example",
            "--output", str(path), "--scan", "http://127.0.0.1:8000/", stdout=io.StringIO(),
        )  # fmt: skip
    assert not path.exists()


def test_init_scan_refuses_what_is_not_a_web_address_before_any_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("COOKIECHARTER_CHROMIUM", str(tmp_path / "no-browser-here"))  # none is started
    path = tmp_path / "charter.toml"
    with pytest.raises(CommandError, match=r"--scan: '127\.0\.0\.1:8000' is not an http\(s\) URL"):
        call_command(
            "cookiecharter_init", "--controller", "Org", "--contact", "dpo@org.example",
            "--output", str(path), "--scan", "http://127.0.0.1:8000/", "--scan", "127.0.0.1:8000", stdout=io.StringIO(),
        )  # fmt: skip
    assert not path.exists()
