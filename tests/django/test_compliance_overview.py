"""The compliance overview in the admin: who may see it, the counts it shows for a ledger made through
the real consent endpoint, the verify button on a clean and on a tampered ledger, the checklist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from cookiecharter import compliance
from cookiecharter.admin.overview import SESSION_KEY as SESSION_KEY_OF
from cookiecharter.models import ConsentRecord, ObservedCookie
from cookiecharter.sites import registry
from tests.django.postgres_rerun import rerun_on_postgresql

SESSION_KEY = SESSION_KEY_OF.format(site="default")

PAGE = "/admin/cookiecharter/complianceoverview/"
VERIFY = PAGE + "verify/"
CONSENT = "/fr/cookies/consent/"

pytestmark = pytest.mark.django_db


def decide(client, **data) -> None:
    """One visitor (a fresh cookie jar), one decision, through the endpoint a visitor's form posts to."""
    client.cookies.clear()
    response = client.post(CONSENT, data)
    assert response.status_code == 303, response.content


@pytest.fixture
def ledger(client):
    decide(client, choice="accept-all")
    decide(client, choice="accept-all")
    decide(client, choice="refuse-all")
    decide(client, choice="custom", purpose="statistics")
    # The same visitor withdraws what they had granted: a custom choice without it.
    client.cookies.clear()
    client.post(CONSENT, {"choice": "accept-all"})
    client.post(CONSENT, {"choice": "custom"})
    client.cookies.clear()
    return ConsentRecord.objects.order_by("id")


@pytest.fixture
def dpo(client, django_user_model):
    user = django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw")
    client.force_login(user)
    return client


def cell(html: str, method: str, days: int) -> int:
    row = re.search(rf'<tr data-method="{method}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, f"no row for {method}"
    value = re.search(rf'data-days="{days}">(\d+)<', row.group(1))
    assert value, f"no {days}-day cell for {method}"
    return int(value.group(1))


# -- who may see it ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_signed_in_non_staff_is_sent_to_the_login(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_the_permission_gets_403_and_no_index_entry(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    assert client.post(VERIFY).status_code == 403
    assert PAGE not in client.get("/admin/").content.decode()


def test_staff_with_view_overview_sees_it_listed_and_opens_it_but_cannot_verify(client, django_user_model):
    staff = django_user_model.objects.create_user("dpo2", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_overview"))
    client.force_login(staff)
    index = client.get("/admin/").content.decode()
    assert f'href="{PAGE}"' in index
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Vue d’ensemble de la conformité</h1>" in page
    assert VERIFY not in page
    assert client.post(VERIFY).status_code == 403


def test_verifying_takes_its_own_permission(client, django_user_model, ledger):
    staff = django_user_model.objects.create_user("auditor", password="pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_overview", "verify_ledger"]))
    client.force_login(staff)
    assert VERIFY in client.get(PAGE).content.decode()
    assert client.post(VERIFY).status_code == 302


def test_verify_alone_does_not_open_the_page(client, django_user_model):
    staff = django_user_model.objects.create_user("verifier", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="verify_ledger"))
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    assert client.post(VERIFY).status_code == 403


def test_verify_is_post_only(dpo):
    assert dpo.get(VERIFY).status_code == 405


def test_verify_needs_the_csrf_token(django_user_model):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.create_superuser("dpo3", "d@example.org", "pw"))
    assert strict.post(VERIFY).status_code == 403
    page = strict.get(PAGE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert strict.post(VERIFY, {"csrfmiddlewaretoken": token}).status_code == 302


# -- the figures ------------------------------------------------------------------------------------


def test_counts_by_method_for_decisions_made_through_the_endpoint(ledger, dpo):
    methods = list(ledger.values_list("method", flat=True))
    assert methods == ["accept-all", "accept-all", "refuse-all", "custom", "accept-all", "withdraw"]
    html = dpo.get(PAGE).content.decode()
    for days in (7, 30):
        assert cell(html, "accept-all", days) == 3
        assert cell(html, "refuse-all", days) == 1
        assert cell(html, "custom", days) == 1
        assert cell(html, "withdraw", days) == 1
        assert cell(html, "browser-signal", days) == 0
        assert cell(html, "total", days) == 6


def test_windows_follow_the_decision_dates(ledger, dpo):
    # Move two records back in time (the figures read created_at; the hashes do not matter here).
    ids = list(ledger.values_list("id", flat=True))
    ConsentRecord.objects.filter(id=ids[0]).update(created_at=timezone.now() - timedelta(days=10))
    ConsentRecord.objects.filter(id=ids[2]).update(created_at=timezone.now() - timedelta(days=40))
    html = dpo.get(PAGE).content.decode()
    assert cell(html, "accept-all", 7) == 2 and cell(html, "accept-all", 30) == 3
    assert cell(html, "refuse-all", 7) == 0 and cell(html, "refuse-all", 30) == 0
    assert cell(html, "total", 7) == 4 and cell(html, "total", 30) == 5


def test_share_granted_per_purpose(ledger):
    expected = {}
    for key in ("statistics", "embeds"):
        decided = [r for r in ledger if key in r.choices]
        expected[key] = (sum(1 for r in decided if r.choices[key]), len(decided))
    result = compliance.choice_counts("default", ["statistics", "embeds"])
    got = {s.key: (s.granted, s.decided) for s in result.shares}
    assert got == expected
    # 3 accept-all + 1 custom statistics out of 6 decided.
    assert got["statistics"] == (4, 6)
    assert {s.key: s.percent for s in result.shares}["statistics"] == 67


def test_ledger_state(ledger, dpo):
    from cookiecharter import ledger as ledger_db

    ledger_db.seal_pending("default", partial=True, grace_seconds=0)
    from django.test import Client

    decide(Client(), choice="refuse-all")
    state = compliance.ledger_state("default")
    assert state.records == 7 and state.seals == 1 and state.unsealed == 1
    assert state.last_seal.first_id == ledger[0].id and state.last_seal.count == 6
    html = dpo.get(PAGE).content.decode()
    assert '<td data-ledger="records">7</td>' in html
    assert '<td data-ledger="unsealed">1</td>' in html


# -- verify -----------------------------------------------------------------------------------------


def seal(ledger) -> None:
    # Sealed first, as a running site's ledger is: on PostgreSQL the ids earlier tests' rolled-back
    # transactions used are gone for good, and an unsealed ledger starting after them would read
    # as "records deleted" (the verifier cannot tell those ids were never committed).
    from cookiecharter import ledger as ledger_db

    ledger_db.seal_pending("default", partial=True, grace_seconds=0)


def test_verify_reports_a_clean_ledger_as_clean(ledger, dpo):
    seal(ledger)
    response = dpo.post(VERIFY, follow=True)
    html = response.content.decode()
    assert 'data-verification="clean"' in html
    assert dpo.session[SESSION_KEY]["altered"] == 0 and dpo.session[SESSION_KEY]["records"] == 6


def test_verify_reports_a_tampered_record(ledger, dpo):
    seal(ledger)
    victim = ledger[3]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentRecord._meta.db_table} SET choices = %s WHERE id = %s",
            ['{"statistics": true, "embeds": true}', victim.id],
        )
    response = dpo.post(VERIFY, follow=True)
    html = response.content.decode()
    assert 'data-verification="problems"' in html
    assert f"record {victim.id} does not match its hash" in html
    assert dpo.session[SESSION_KEY]["altered"] == 1
    # The checklist turns red for the ledger.
    checks = compliance.checklist(
        compliance.charter_state("default"),
        registry.settings().site("default"),
        compliance.Verification.from_data(dpo.session[SESSION_KEY]),
    )
    ledger_check = next(c for c in checks if "ledger" in c.title.lower() or "registre" in c.title.lower())
    assert ledger_check.status is compliance.Status.RED


def test_verify_reports_a_deleted_sealed_record(ledger, dpo):
    seal(ledger)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ConsentRecord._meta.db_table} WHERE id = %s", [ledger[1].id])
    dpo.post(VERIFY)
    assert dpo.session[SESSION_KEY]["deleted"] == 1


# -- the checklist and the other sections -----------------------------------------------------------


def statuses() -> dict[str, compliance.Status]:
    state = compliance.charter_state("default")
    return {c.title: c.status for c in compliance.checklist(state, registry.settings().site("default"), None)}


def test_checklist_on_the_test_settings():
    from django.utils import translation

    with translation.override("en"):
        got = statuses()
    assert got["The charter file is valid"] is compliance.Status.GREEN
    assert got["Consent cookie lifetime at most 6 months"] is compliance.Status.GREEN
    assert got["Global Privacy Control honoured"] is compliance.Status.GREEN
    assert got["Enforcement middleware first"] is compliance.Status.GREEN
    assert got["Ledger verified clean"] is compliance.Status.AMBER
    assert got["No undeclared cookie in the last 30 days"] is compliance.Status.GREEN


def test_checklist_turns_red_on_bad_settings(settings):
    from django.conf import settings as django_settings
    from django.utils import translation

    with (
        override_settings(
            COOKIECHARTER={**django_settings.COOKIECHARTER, "CONSENT_COOKIE_AGE": 400 * 86400, "HONOUR_GPC": False},
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "cookiecharter.middleware.CookieCharterMiddleware",
            ],
        ),
        translation.override("en"),
    ):
        got = statuses()
    assert got["Consent cookie lifetime at most 6 months"] is compliance.Status.RED
    assert got["Global Privacy Control honoured"] is compliance.Status.RED
    assert got["Enforcement middleware first"] is compliance.Status.AMBER


def test_a_charter_file_broken_after_loading_shows_its_problems_with_file_and_line(dpo, tmp_path):
    from django.conf import settings as django_settings

    from tests.charter_samples import DEMO

    charter = tmp_path / "charter.toml"
    charter.write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    with override_settings(COOKIECHARTER={**django_settings.COOKIECHARTER, "CHARTER": str(charter)}):
        assert dpo.get(PAGE).status_code == 200  # the site loads its charter
        charter.write_text(
            '[charter]\nedition = "x"\nlanguages = ["fr"]\n\n[[cookies]]\nname = "a"\nlifetime = "forever"\n'
        )
        response = dpo.get(PAGE)
    assert response.status_code == 200  # the site goes on with the charter it loaded
    html = response.content.decode()
    assert f"{charter}:" in html
    assert re.search(re.escape(str(charter)) + r":\d+", html), "a problem without its line"


def test_undeclared_cookies_seen_lately(dpo):
    now = timezone.now()
    ObservedCookie.objects.create(
        name="_tracker",
        reason="undeclared",
        first_seen=now - timedelta(days=3),
        last_seen=now,
        count=42,
        example_path="/fr/jeux-de-donnees/",
    )
    ObservedCookie.objects.create(
        name="_old",
        reason="undeclared",
        first_seen=now - timedelta(days=90),
        last_seen=now - timedelta(days=60),
        count=7,
        example_path="/",
    )
    html = dpo.get(PAGE).content.decode()
    assert '<tr data-cookie="_tracker">' in html and "/fr/jeux-de-donnees/" in html
    assert "<td>Non déclaré</td>" in html
    assert "cookiecharter_observed --toml" in html
    assert 'href="/admin/cookiecharter/observedcookie/"' in html
    from django.utils import translation

    with translation.override("en"):
        got = statuses()
        reason = next(
            c.reason
            for c in compliance.checklist(
                compliance.charter_state("default"), registry.settings().site("default"), None
            )
            if c.title.startswith("No undeclared")
        )
    assert got["No undeclared cookie in the last 30 days"] is compliance.Status.AMBER  # blocked by default
    assert reason.startswith("1 name(s)")  # the one seen 60 days ago does not count


def test_charter_section_and_links(ledger, dpo):
    from cookiecharter.models import CharterVersion

    charter = registry.get("default").charter
    html = dpo.get(PAGE).content.decode()
    assert charter.digest[:12] in html and charter.consent_version in html
    assert 'href="/fr/cookies/"' in html and 'href="/en/cookies/pdf/"' in html
    assert CharterVersion.objects.filter(consent_version=charter.consent_version).exists()


def test_french_and_english(dpo):
    french = dpo.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = dpo.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Vérifier le registre" in french and "Points de contrôle" in french
    assert "Verify the ledger" in english and "Checklist" in english


def test_no_ip_address_on_the_page(ledger, dpo):
    html = dpo.get(PAGE, REMOTE_ADDR="203.0.113.7").content.decode()
    assert "203.0.113.7" not in html and "127.0.0.1" not in html


# -- a site's own AdminSite -------------------------------------------------------------------------

from django.conf.urls.i18n import i18n_patterns  # noqa: E402
from django.contrib.admin import AdminSite  # noqa: E402
from django.urls import include, path  # noqa: E402

from cookiecharter.admin.overview import ComplianceOverviewAdmin  # noqa: E402
from cookiecharter.models import ComplianceOverview  # noqa: E402

dpo_site = AdminSite(name="dpo")
dpo_site.register(ComplianceOverview, ComplianceOverviewAdmin)

#: This module doubles as a URLconf for the test below (ROOT_URLCONF=__name__).
urlpatterns = [
    path("dpo/", dpo_site.urls),
    *i18n_patterns(path("cookies/", include("cookiecharter.urls"))),
]


@override_settings(ROOT_URLCONF=__name__)
def test_works_on_a_custom_admin_site(ledger, dpo):
    index = dpo.get("/dpo/").content.decode()
    assert 'href="/dpo/cookiecharter/complianceoverview/"' in index
    html = dpo.get("/dpo/cookiecharter/complianceoverview/").content.decode()
    assert cell(html, "total", 30) == 6
    assert 'action="/dpo/cookiecharter/complianceoverview/verify/"' in html
    # This site does not register the observed cookies: no link to a list it does not have.
    assert "observedcookie" not in html
    response = dpo.post("/dpo/cookiecharter/complianceoverview/verify/")
    assert response.status_code == 302 and response["Location"].startswith("/dpo/cookiecharter/complianceoverview/")


# -- the same tests on PostgreSQL (its JSON lookups and FILTER clauses differ from SQLite's) -----------


@pytest.mark.postgres
@pytest.mark.django_db(databases=[])
def test_overview_suite_on_postgresql(require_postgres):
    rerun_on_postgresql("overview", __file__)


@pytest.mark.django_db(transaction=True)
def test_upgrading_keeps_the_overview_for_those_who_could_read_the_ledger(django_user_model):
    """Before 0008 the page asked for view_consentrecord: a role that had it keeps the page."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("migrate", "cookiecharter", "0007", verbosity=0)
    try:
        readers = Group.objects.create(name="readers")
        readers.permissions.add(Permission.objects.get(codename="view_consentrecord"))
        Permission.objects.filter(codename="view_overview").delete()
        call_command("migrate", "cookiecharter", verbosity=0)
        assert readers.permissions.filter(codename="view_overview").exists()
        assert not readers.permissions.filter(codename__in=["export_ledger", "verify_ledger", "run_audit"]).exists()
    finally:
        call_command("migrate", "cookiecharter", verbosity=0)
