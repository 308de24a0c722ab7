"""Several sites, one installation: each host its own charter, page, banner, consent and enforcement;
one ledger table holding every site's records, each site with its own chain of seals."""

from __future__ import annotations

import io
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings

from cookiecharter import ledger
from cookiecharter.conf import read_settings
from cookiecharter.core.consent import Consent, new_consent_id
from cookiecharter.models import ConsentRecord, LedgerSeal, ObservedCookie
from cookiecharter.sites import registry
from tests.charter_samples import NECESSARY, STATISTICS, write_charter

ENFORCEMENT = Path(__file__).with_name("enforcement_charter.toml")
SISTER = "sister.example"

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sites(settings, tmp_path):
    """The default site (the enforcement tests' charter, "Test city") for every host but the sister
    portal's, which has a charter of its own ("Commune de Test": a statistics purpose with its own
    cookie, no ``_ga``)."""
    sister = write_charter(tmp_path, NECESSARY, STATISTICS, name="sister.toml")
    settings.ROOT_URLCONF = "tests.django.enforcement_urls"
    settings.COOKIECHARTER = {
        "CHARTER": str(ENFORCEMENT),
        "UNDECLARED": "block",
        "SITES": {"sister": {"HOSTS": [SISTER, f".{SISTER}"], "CHARTER": str(sister)}},
    }
    return settings


def signed_for(site: str, *granted: str) -> str:
    s = registry.get(site)
    return s.enforcer.codec.encode(
        Consent(new_consent_id(), datetime.now(timezone.utc), s.charter.consent_version, frozenset(granted))
    )


def test_each_host_gets_its_own_charter_page(two_sites):
    client = Client()
    default = client.get("/fr/cookies/").content.decode()
    sister = client.get("/fr/cookies/", HTTP_HOST=SISTER).content.decode()
    www = client.get("/fr/cookies/", HTTP_HOST=f"www.{SISTER}:8000").content.decode()
    assert "Test city" in default and "Commune de Test" not in default
    assert "Commune de Test" in sister and "Test city" not in sister
    assert "stats_id" in sister and "stats_id" not in default
    assert "Commune de Test" in www  # a leading dot in HOSTS claims the subdomains
    # Each page's PDF is its own site's.
    assert client.get("/fr/cookies/pdf/").content != client.get("/fr/cookies/pdf/", HTTP_HOST=SISTER).content


def test_a_cookie_allowed_on_one_site_is_blocked_on_the_other(two_sites):
    on_default = Client()
    on_default.cookies["cookies_preferences"] = signed_for("default", "statistics")
    assert "_ga" in on_default.get("/ga/").cookies  # declared, and its purpose granted
    on_sister = Client()
    on_sister.cookies["cookies_preferences"] = signed_for("sister", "statistics")
    response = on_sister.get("/ga/", HTTP_HOST=SISTER)
    assert "_ga" not in response.cookies  # the sister charter does not declare it
    assert set(ObservedCookie.objects.filter(name="_ga").values_list("site", "reason")) == {
        ("default", "lifetime-capped"),  # let through on the default site, capped to its 13 months
        ("sister", "undeclared"),
    }


def test_a_choice_made_on_one_site_is_no_choice_on_the_other(two_sites):
    client = Client()
    response = client.post("/fr/cookies/consent/", {"choice": "accept-all"})
    assert response.status_code == 303
    assert client.get("/consent-state/").content == b"statistics=True"
    # The same browser (the same cookie jar) on the sister portal: its charter's consent version
    # differs, so the cookie answers nothing there and the banner asks again.
    assert client.get("/consent-state/", HTTP_HOST=SISTER).content == b"statistics=False"


def _seal(*args: str) -> None:
    call_command("cookiecharter_seal", "--grace", "0", *args, stdout=io.StringIO())


def _verify(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("cookiecharter_verify", "--settle", "0", *args, stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def test_two_sites_records_in_one_table_each_site_its_own_chain(two_sites):
    for host, choice in [
        ("testserver", "accept-all"),
        (SISTER, "refuse-all"),
        ("testserver", "refuse-all"),
        (SISTER, "accept-all"),
        (SISTER, "custom"),
    ]:
        client = Client()
        assert client.post("/fr/cookies/consent/", {"choice": choice}, HTTP_HOST=host).status_code == 303
    by_site = {s: list(ConsentRecord.objects.filter(site=s).order_by("id")) for s in ("default", "sister")}
    assert [r.method for r in by_site["default"]] == ["accept-all", "refuse-all"]
    assert [r.method for r in by_site["sister"]] == ["refuse-all", "accept-all", "custom"]
    assert by_site["sister"][1].choices == {"statistics": True}  # the sister charter's purposes
    assert by_site["default"][0].choices == {"statistics": True, "embeds": True}

    _seal()
    seals = {s: list(LedgerSeal.objects.filter(site=s)) for s in ("default", "sister")}
    assert [(x.number, x.count) for x in seals["default"]] == [(1, 2)]
    assert [(x.number, x.count) for x in seals["sister"]] == [(1, 3)]
    ok, out = _verify()
    assert ok, out
    assert "site default: ledger intact: 2 records" in out and "site sister: ledger intact: 3 records" in out

    # A record moved from one site to the other (its hash covers its site) shows, on both sides.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentRecord._meta.db_table} SET site = 'default' WHERE id = %s", [by_site["sister"][2].id]
        )
    ok, out = _verify("--site", "sister")
    assert not ok and f"record {by_site['sister'][2].id} (sealed by seal 1) is missing" in out
    ok, out = _verify("--site", "default")
    assert not ok and f"record {by_site['sister'][2].id} does not match its hash" in out


def test_the_ledger_names_every_site_it_holds_configured_or_not(two_sites):
    """What the commands go through: the sites of the records, read one look-up per site, and of
    the seals (a site whose records were all pruned), in order."""
    for host in ("testserver", SISTER, "testserver"):
        Client().post("/fr/cookies/consent/", {"choice": "refuse-all"}, HTTP_HOST=host)
    assert ledger.sites_in_ledger() == ["default", "sister"]
    first = ConsentRecord.objects.order_by("id").first()
    ConsentRecord.objects.filter(pk=first.pk).update(site="a-retired-portal")
    LedgerSeal.objects.create(
        site="pruned-portal", number=1, first_id=1, last_id=1, count=1, ids="1", records_digest="",
        previous_hash="", created_at=first.created_at, seal_hash="",
    )  # fmt: skip
    assert ledger.sites_in_ledger() == ["a-retired-portal", "default", "pruned-portal", "sister"]


def test_a_sites_verification_tells_a_deletion_from_the_other_sites_records(two_sites):
    for host in ("testserver", SISTER, "testserver", SISTER):
        Client().post("/fr/cookies/consent/", {"choice": "refuse-all"}, HTTP_HOST=host)
    # Unsealed, interleaved ids: the other site's records are not gaps.
    assert _verify()[0]
    newest = ConsentRecord.objects.filter(site="sister").order_by("-id").first()
    ConsentRecord.objects.filter(pk=newest.pk).delete()
    ok, out = _verify("--site", "default")
    assert not ok and f"record {newest.pk} missing from the unsealed tail" in out


def test_prune_and_observed_take_a_site(two_sites):
    out = io.StringIO()
    call_command("cookiecharter_prune", "--site", "sister", stdout=out)
    assert out.getvalue().startswith("site sister: pruned 0 records")
    with pytest.raises(CommandError, match="unknown site 'elsewhere'"):
        call_command("cookiecharter_prune", "--site", "elsewhere", stdout=io.StringIO())


def test_the_overview_switches_between_sites(two_sites, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw"))
    Client().post("/fr/cookies/consent/", {"choice": "accept-all"}, HTTP_HOST=SISTER)
    page = "/admin/cookiecharter/complianceoverview/"
    default = client.get(page).content.decode()
    assert '<option value="sister">Commune de Test (sister)</option>' in default
    assert '<option value="default" selected>Test city (default)</option>' in default
    sister = client.get(page, {"site": "sister"}).content.decode()
    assert '<option value="sister" selected>' in sister
    assert str(ENFORCEMENT) in default and "sister.toml" in sister
    # Served on the sister's host, the back office opens on the sister's figures.
    assert '<option value="sister" selected>' in client.get(page, HTTP_HOST=SISTER).content.decode()
    # Verifying one site keeps its outcome for that site only.
    response = client.post(page + "verify/", {"site": "sister"})
    assert response["Location"].endswith("?site=sister#proof")
    assert 'data-verification="clean"' in client.get(page, {"site": "sister"}).content.decode()
    assert 'data-verification="clean"' not in client.get(page).content.decode()


def test_without_a_default_site_an_unknown_host_is_answered_404(settings, tmp_path):
    sister = write_charter(tmp_path, NECESSARY)
    settings.COOKIECHARTER = {"SITES": {"sister": {"HOSTS": [SISTER], "CHARTER": str(sister)}}}
    response = Client().get("/fr/cookies/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 404
    assert response.content == b"No site of this installation serves this host name."
    assert Client().get("/fr/cookies/", HTTP_HOST=SISTER).status_code == 200


def test_a_site_named_by_django_sites_framework(settings, tmp_path):
    from django.contrib.sites.models import Site as ContribSite

    portal = ContribSite.objects.create(domain="metropole.example:8000", name="Métropole")
    charter = write_charter(tmp_path, NECESSARY)
    settings.COOKIECHARTER = {
        "CHARTER": str(ENFORCEMENT),
        "SITES": {"metropole": {"SITE_ID": portal.pk, "CHARTER": str(charter)}},
    }
    assert "Commune de Test" in Client().get("/fr/cookies/", HTTP_HOST="metropole.example").content.decode()
    # Renaming the Site in the admin moves the charter with it, at once.
    portal.domain = "metropole.example.org"
    portal.save()
    assert "Commune de Test" in Client().get("/fr/cookies/", HTTP_HOST="metropole.example.org").content.decode()
    assert "Test city" in Client().get("/fr/cookies/", HTTP_HOST="metropole.example").content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"CHARTER": "x.toml", "CONSENT_COOKIE_AGES": 1},
            'unknown setting "CONSENT_COOKIE_AGES". Did you mean "CONSENT_COOKIE_AGE"?',
        ),
        ({"CHARTER": "x.toml", "SITES": {"b": {"CHARTER": "b.toml"}}}, 'says which hosts it serves with "HOSTS"'),
        (
            {"CHARTER": "x.toml", "SITES": {"b": {"HOSTS": ["x"], "CHARTER": "b.toml", "LEDGER_DATABASE": "o"}}},
            "a setting of the whole installation",
        ),
        (
            {
                "CHARTER": "x.toml",
                "SITES": {"a": {"HOSTS": ["x"], "CHARTER": "a"}, "b": {"HOSTS": ["x"], "CHARTER": "b"}},
            },
            '"x" is already the host of site "a"',
        ),
        ({"CHARTER": "x.toml", "SITES": {"Default": {"HOSTS": ["x"], "CHARTER": "b"}}}, "a site name is lowercase"),
        (
            {"CHARTER": "x.toml", "CONSENT_COOKIE_AGE": "6 months"},
            '["CONSENT_COOKIE_AGE"]: expected a number of seconds',
        ),
        ({"CHARTER": "x.toml", "UNDECLARED": "allow"}, 'expected "block", "report" or "raise"'),
        ({}, '["CHARTER"]: is not set'),
    ],
)
def test_settings_mistakes_are_named(value, message):
    with pytest.raises(ImproperlyConfigured) as caught:
        read_settings(value)
    assert message in str(caught.value)


def test_a_settings_mistake_is_check_e001(settings):
    settings.COOKIECHARTER = {"CHARTER": str(ENFORCEMENT), "HONOR_GPC": False}
    (error,) = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.E001"]
    assert 'Did you mean "HONOUR_GPC"?' in error.msg


def test_host_checks(settings, tmp_path):
    sister = str(write_charter(tmp_path, NECESSARY))
    settings.ALLOWED_HOSTS = ["portal.example"]
    settings.COOKIECHARTER = {"SITES": {"sister": {"HOSTS": [SISTER], "CHARTER": sister}}}
    found = {m.id: m for m in run_checks(tags=["cookiecharter"])}
    assert SISTER in found["cookiecharter.W007"].msg  # Django would refuse the sister's requests
    assert "'portal.example'" in found["cookiecharter.W008"].msg  # no site, no default: 404
    settings.ALLOWED_HOSTS = [SISTER]
    assert not {"cookiecharter.W007", "cookiecharter.W008"} & {m.id for m in run_checks(tags=["cookiecharter"])}


def test_a_site_id_no_site_has_is_e006(settings, tmp_path):
    settings.COOKIECHARTER = {
        "CHARTER": str(ENFORCEMENT),
        "SITES": {"m": {"SITE_ID": 999, "CHARTER": str(ENFORCEMENT)}},
    }
    errors = [m for m in run_checks(tags=["cookiecharter"], databases=["default"]) if m.id == "cookiecharter.E006"]
    assert len(errors) == 1 and "no django.contrib.sites Site has that id" in errors[0].msg


def test_each_sites_charter_is_checked_and_named(settings, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[charter]\nedition = 1\n", encoding="utf-8")
    settings.COOKIECHARTER = {"CHARTER": str(ENFORCEMENT), "SITES": {"b": {"HOSTS": [SISTER], "CHARTER": str(broken)}}}
    (error,) = [m for m in run_checks(tags=["cookiecharter"]) if m.id == "cookiecharter.E003"]
    assert error.msg.startswith('Site "b": the charter')


def test_under_debug_an_edit_shows_at_once_and_a_broken_edit_keeps_the_last_good_charter(settings, tmp_path, caplog):
    path = write_charter(tmp_path, NECESSARY)
    settings.DEBUG = True  # override_settings sends setting_changed: the registry starts afresh
    settings.COOKIECHARTER = {"CHARTER": str(path)}

    def edit(text: str, seconds: int) -> None:
        path.write_text(text, encoding="utf-8")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))

    good = path.read_text(encoding="utf-8")
    assert registry.get("default").declared_charter.edition == "test-1"
    edit(good.replace("test-1", "test-2"), 5)
    assert registry.get("default").declared_charter.edition == "test-2"
    with caplog.at_level(logging.ERROR, logger="cookiecharter.sites"):
        edit(good.replace('lifetime = "1 day"', 'lifetime = "forever"'), 10)
        assert registry.get("default").declared_charter.edition == "test-2"  # still served
        assert registry.get("default").declared_charter.edition == "test-2"
    (record,) = caplog.records  # said once for the edit, not on every request
    assert "no longer loads" in record.getMessage()
    assert Client().get("/fr/cookies/").status_code == 200
    edit(good.replace("test-1", "test-3"), 15)
    assert registry.get("default").declared_charter.edition == "test-3"


def test_outside_debug_the_file_is_read_once(settings, tmp_path):
    path = write_charter(tmp_path, NECESSARY)
    settings.COOKIECHARTER = {"CHARTER": str(path)}
    assert registry.get("default").declared_charter.edition == "test-1"
    path.write_text(path.read_text(encoding="utf-8").replace("test-1", "test-2"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert registry.get("default").declared_charter.edition == "test-1"
    with override_settings(COOKIECHARTER={"CHARTER": str(path)}):  # a settings change reads it again
        assert registry.get("default").declared_charter.edition == "test-2"


def test_the_overview_links_each_sites_public_pages_on_its_own_host(two_sites, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw"))
    page = "/admin/cookiecharter/complianceoverview/"
    sister = client.get(page, {"site": "sister"}, HTTP_HOST="portal.example:8000").content.decode()
    assert f'href="http://{SISTER}:8000/fr/cookies/"' in sister
    own = client.get(page, {"site": "sister"}, HTTP_HOST=SISTER).content.decode()
    assert 'href="/fr/cookies/"' in own
