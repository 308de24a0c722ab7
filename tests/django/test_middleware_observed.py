"""What the enforcement saw: the ObservedCookie rows, the command that lists them, the admin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from cookiecharter.models import ObservedCookie

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

CHARTER = Path(__file__).with_name("enforcement_charter.toml")
MIDDLEWARE = "cookiecharter.middleware.CookieCharterMiddleware"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enforcement(settings):
    settings.MIDDLEWARE = [MIDDLEWARE, *[m for m in settings.MIDDLEWARE if m != MIDDLEWARE]]
    settings.ROOT_URLCONF = "tests.django.enforcement_urls"
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(CHARTER), "UNDECLARED": "block"}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("cookiecharter_observed", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_counts_per_name_and_reason_one_row_each():
    client = Client()
    for _ in range(3):
        client.get("/tracker/")
    client.get("/ga/")
    rows = {(r.name, r.reason): r.count for r in ObservedCookie.objects.all()}
    assert rows == {("tracker", "undeclared"): 3, ("_ga", "not-consented"): 1}


def test_command_table_and_toml_for_what_is_still_missing():
    assert run() == "No cookie observed.\n"
    Client().get("/tracker/")
    Client().get("/ga/")
    table = run()
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["NAME", "REASON", "COUNT"]
    assert any(
        line.split()[:3] == ["tracker", "undeclared", "1"] and line.rstrip().endswith("/tracker/") for line in lines
    )
    assert any(line.split()[:2] == ["_ga", "not-consented"] for line in lines)
    assert "_ga" not in run("--reason", "undeclared")
    (entry,) = tomllib.loads(run("--toml"))["cookies"]
    assert (entry["name"], entry["lifetime"]) == ("tracker", "400 days")


def test_toml_skips_names_declared_since(settings, tmp_path):
    Client().get("/tracker/")
    fixed = tmp_path / "charter.toml"
    fixed.write_text(
        CHARTER.read_text()
        + '\n[[cookies]]\nname = "tracker"\nprovider = "X"\npurpose = "statistics"\nservice.en = "s"\n'
        'service.fr = "s"\ndescription.en = "d"\ndescription.fr = "d"\nlifetime = "400 days"\n'
    )
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(fixed)}
    assert run("--toml") == "No undeclared cookie observed that the charter still lacks.\n"


def test_admin_lists_observed_cookies_read_only(admin_client):
    Client().get("/tracker/")
    response = admin_client.get("/admin/cookiecharter/observedcookie/")
    assert response.status_code == 200
    assert b"tracker" in response.content
    assert admin_client.get("/admin/cookiecharter/observedcookie/add/").status_code == 403
