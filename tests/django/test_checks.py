"""Each system check fires on a broken configuration and stays quiet on a good one."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.checks import CheckMessage, run_checks
from django.test import override_settings

from cookiecharter.checks import check_charter
from tests.charter_samples import DEMO, NECESSARY, STATISTICS, language_cookie, write_charter

OURS = {f"cookiecharter.{k}{n:03d}" for k in "EW" for n in range(1, 100)}


def _ids(messages: list[CheckMessage]) -> list[str]:
    return [m.id for m in messages if m.id in OURS]


def _one(messages: list[CheckMessage], check_id: str) -> CheckMessage:
    found = [m for m in messages if m.id == check_id]
    assert len(found) == 1, [str(m) for m in messages]
    return found[0]


def test_the_test_settings_and_demo_charter_pass_every_check() -> None:
    assert _ids(run_checks(tags=["cookiecharter"])) == []


def test_e001_charter_setting_missing() -> None:
    with override_settings(COOKIECHARTER={}):
        message = _one(check_charter(), "cookiecharter.E001")
    assert 'COOKIECHARTER["CHARTER"]' in message.msg and "charter.toml" in message.hint


def test_e002_charter_file_unreadable(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    with override_settings(COOKIECHARTER={"CHARTER": str(missing)}):
        message = _one(check_charter(), "cookiecharter.E002")
    assert str(missing) in message.msg and "No such file" in message.msg


def test_e003_charter_invalid_lists_every_problem(tmp_path: Path) -> None:
    broken = NECESSARY.replace('"1 day"', '"1 dya"') + STATISTICS.replace('purpose = "statistics"', 'purpose = "stats"')
    path = write_charter(tmp_path, broken)
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}):
        message = _one(check_charter(), "cookiecharter.E003")
    assert "2 problems" in message.msg
    assert f"{path}:" in message.msg and "cookies[0].lifetime" in message.msg and "cookies[1].purpose" in message.msg
    assert "cookiecharter validate" in message.hint


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        ({"SESSION_COOKIE_AGE": 86_400}, ["'sessionid'", "2 weeks", "SESSION_COOKIE_AGE", "1 day"]),
        ({"SESSION_EXPIRE_AT_BROWSER_CLOSE": True}, ["'sessionid'", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "session"]),
        ({"CSRF_COOKIE_AGE": 3_600}, ["'csrftoken'", "52 weeks", "CSRF_COOKIE_AGE", "1 hour"]),
        ({"LANGUAGE_COOKIE_AGE": 31_557_600}, ["'django_language'", "session", "LANGUAGE_COOKIE_AGE", "1 year"]),
    ],
)
def test_e004_declared_lifetime_contradicts_the_settings(overrides: dict, fragments: list[str]) -> None:
    with override_settings(**overrides):
        message = _one(check_charter(), "cookiecharter.E004")
    for fragment in fragments:
        assert fragment in message.msg
    assert f"{DEMO}:" in message.msg  # where the entry is, with its line
    assert "lifetime =" in message.hint


def test_e004_consent_cookie_age() -> None:
    with override_settings(COOKIECHARTER={"CHARTER": str(DEMO), "CONSENT_COOKIE_AGE": 13 * 2_629_800}):
        message = _one(check_charter(), "cookiecharter.E004")
    assert "'cookies_preferences'" in message.msg and "6 months" in message.msg and "13 months" in message.msg


def test_w001_charter_keeps_a_default_name_the_settings_changed() -> None:
    with override_settings(SESSION_COOKIE_NAME="portal_session"):
        messages = check_charter()
    message = _one(messages, "cookiecharter.W001")
    assert "'sessionid'" in message.msg and "'portal_session'" in message.msg
    assert "cookiecharter.E004" not in _ids(messages)  # portal_session is declared from the settings


def test_w002_charter_language_missing_from_languages() -> None:
    with override_settings(LANGUAGES=[("fr", "Français")]):
        message = _one(check_charter(), "cookiecharter.W002")
    assert "'en'" in message.msg


def test_w003_site_language_missing_from_the_charter() -> None:
    with override_settings(LANGUAGES=[("fr", "Français"), ("en", "English"), ("es", "Español")]):
        message = _one(check_charter(), "cookiecharter.W003")
    assert "'es'" in message.msg and "'fr'" in message.msg


def test_w004_charter_declares_a_cookie_django_never_sets() -> None:
    with override_settings(CSRF_USE_SESSIONS=True):
        message = _one(check_charter(), "cookiecharter.W004")
    assert "'csrftoken'" in message.msg and "CSRF_USE_SESSIONS" in message.msg


def test_w005_charter_language_without_a_shipped_catalogue(tmp_path: Path) -> None:
    german = NECESSARY.replace(".en =", ".de =")
    path = write_charter(tmp_path, german, languages='["fr", "de"]')
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}, LANGUAGES=[("fr", "Français"), ("de", "Deutsch")]):
        messages = check_charter()
    assert _ids(messages) == ["cookiecharter.W005"]
    assert "'de'" in messages[0].msg
    # A catalogue the site keeps in its LOCALE_PATHS counts.
    (tmp_path / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.mo").write_bytes(b"")
    with override_settings(
        COOKIECHARTER={"CHARTER": str(path)},
        LANGUAGES=[("fr", "Français"), ("de", "Deutsch")],
        LOCALE_PATHS=[str(tmp_path / "locale")],
    ):
        assert _ids(check_charter()) == []


def test_checks_are_registered_under_the_cookiecharter_tag() -> None:
    with override_settings(COOKIECHARTER={}):
        assert "cookiecharter.E001" in _ids(run_checks(tags=["cookiecharter"]))


def test_e004_allows_calendar_rounding_but_not_a_real_difference(tmp_path: Path) -> None:
    one_year = NECESSARY + language_cookie("django_language", "1 year")
    path = write_charter(tmp_path, one_year)
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}, LANGUAGE_COOKIE_AGE=365 * 86_400):
        assert _ids(check_charter()) == []  # "1 year" is 365.25 days: the same, said in calendar units
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}, LANGUAGE_COOKIE_AGE=300 * 86_400):
        assert "300 days" in _one(check_charter(), "cookiecharter.E004").msg


def _templates(directory: Path) -> list[dict]:
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(directory)],
            "APP_DIRS": True,
        }
    ]


def _layout_ids(tmp_path: Path, files: dict[str, str]) -> list[CheckMessage]:
    from cookiecharter.checks import check_layout

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with override_settings(TEMPLATES=_templates(tmp_path)):
        return check_layout()


SITE_BASE = "<html><head>{% block extra_head %}{% endblock %}</head><body>{% block main %}{% endblock %}</body></html>"


def test_layout_override_that_nests_the_blocks_in_the_site_base_passes(tmp_path: Path) -> None:
    messages = _layout_ids(tmp_path, {
        "site_base.html": SITE_BASE,
        "cookiecharter/base.html": '{% extends "site_base.html" %}'
        "{% block extra_head %}{% block cookiecharter_head %}{% endblock %}{% endblock %}"
        "{% block main %}{% block content %}{% endblock %}{% endblock %}",
    })  # fmt: skip
    assert messages == []
    assert check_layout_default() == []


def check_layout_default() -> list[CheckMessage]:
    from cookiecharter.checks import check_layout

    return check_layout()


def test_e005_w006_layout_override_that_drops_the_blocks(tmp_path: Path) -> None:
    # Blocks at the top level of a child are never rendered: its parent has no such block.
    messages = _layout_ids(tmp_path, {
        "site_base.html": SITE_BASE,
        "cookiecharter/base.html": '{% extends "site_base.html" %}'
        "{% block cookiecharter_head %}{% endblock %}{% block content %}{% endblock %}",
    })  # fmt: skip
    assert [m.id for m in messages] == ["cookiecharter.E005", "cookiecharter.W006"]
    assert "block content" in messages[0].msg and str(tmp_path) in messages[0].msg


def test_w006_override_extending_the_package_base_keeps_its_blocks(tmp_path: Path) -> None:
    # An override may extend the very template it overrides and still render everything.
    messages = _layout_ids(tmp_path, {
        "cookiecharter/base.html": '{% extends "cookiecharter/base.html" %}{% block title %}Site{% endblock %}',
    })  # fmt: skip
    assert messages == []
    messages = _layout_ids(
        tmp_path, {"cookiecharter/base.html": "<html><body>{% block content %}{% endblock %}</body></html>"}
    )
    assert [m.id for m in messages] == ["cookiecharter.W006"]


def test_w004_charter_declares_the_messages_cookie_the_session_storage_never_sets(tmp_path: Path) -> None:
    messages_cookie = NECESSARY.replace('name = "cart"', 'name = "messages"')
    path = write_charter(tmp_path, messages_cookie)
    storage = "django.contrib.messages.storage.session.SessionStorage"
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}, MESSAGE_STORAGE=storage):
        message = _one(check_charter(), "cookiecharter.W004")
    assert "'messages'" in message.msg and "MESSAGE_STORAGE keeps no cookie" in message.msg


def test_w017_adpc_ignored_and_e018_follow_account_without_authentication(settings):
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "HONOUR_ADPC": False}
    assert "HONOUR_ADPC" in _one(run_checks(tags=["cookiecharter"]), "cookiecharter.W017").msg
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "HONOUR_ADPC": True, "FOLLOW_ACCOUNT": True}
    assert "cookiecharter.E018" not in {m.id for m in run_checks(tags=["cookiecharter"])}
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("AuthenticationMiddleware")]
    error = _one(run_checks(tags=["cookiecharter"]), "cookiecharter.E018")
    assert "AuthenticationMiddleware" in error.hint
