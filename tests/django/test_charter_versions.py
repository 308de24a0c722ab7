"""The charter versions page of the back office: who may open it, the versions a site's records were
made on, what changed between two of them, and a clear 404 for a version the site never showed.

The ledger is made for real: choices through the consent endpoint on the charter in force, and
records appended through ``ledger.append`` on an older edition of it (as the site showed it weeks
ago), on SQLite here and on PostgreSQL in the last test."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from cookiecharter import ledger
from cookiecharter.core.consent import Consent, Method, new_consent_id
from cookiecharter.core.lifetime import Lifetime
from cookiecharter.models import CharterVersion
from cookiecharter.sites import registry
from tests.django.postgres_rerun import rerun_on_postgresql

OVERVIEW = "/admin/cookiecharter/complianceoverview/"
PAGE = OVERVIEW + "versions/"
CONSENT = "/fr/cookies/consent/"

pytestmark = pytest.mark.django_db


def older_edition(site):
    """The site as it was: edition 2026-09, its audience cookie kept 25 months, another title."""
    charter = site.charter
    purposes = tuple(
        replace(p, title={**p.title, "fr": "Statistiques de fréquentation"}) if p.key == "statistics" else p
        for p in charter.purposes
    )
    cookies = tuple(
        replace(c, lifetime=Lifetime.parse("25 months")) if c.name.value == "portal_audience" else c
        for c in charter.cookies
    )
    shown = copy.copy(site)
    shown.charter = replace(charter, edition="2026-09", purposes=purposes, cookies=cookies)
    return shown


@pytest.fixture
def history():
    """Three choices on the older edition a month ago, two on the charter in force today."""
    site = registry.get("default")
    old = older_edition(site)
    month_ago = timezone.now() - timedelta(days=30)
    for i, method in enumerate([Method.REFUSE_ALL, Method.ACCEPT_ALL, Method.REFUSE_ALL]):
        when = month_ago + timedelta(hours=i)
        granted = frozenset(old.charter.consent_keys) if method is Method.ACCEPT_ALL else frozenset()
        ledger.append(
            old,
            consent=Consent(new_consent_id(), when.replace(microsecond=0), old.charter.consent_version, granted),
            method=method,
            language="fr",
            choices=ledger.choices_for(old.charter, granted),
            created_at=when,
        )
    for choice in ("accept-all", "refuse-all"):
        visitor = Client()  # a visitor of their own: the test's client is the DPO's
        assert visitor.post(CONSENT, {"choice": choice}).status_code == 303
    return {"old": old.charter.digest, "new": site.charter.digest}


@pytest.fixture
def dpo(client, django_user_model):
    staff = django_user_model.objects.create_user("dpo", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_overview"))
    client.force_login(staff)
    return client


def text(response) -> str:
    """The page's main content as plain text (tags removed, spaces collapsed)."""
    html = response.content.decode()
    html = html[html.index('id="content-main"') :]
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- who may open it --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_without_view_overview_gets_403(client, django_user_model, history):
    staff = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    # Reading the versions' table is not reading the overview.
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_charterversion", "export_ledger"]))
    client.force_login(staff)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, {"older": history["old"], "newer": history["new"]}).status_code == 403


def test_the_overview_links_to_it(dpo):
    page = dpo.get(OVERVIEW).content.decode()
    assert f'href="{PAGE}?site=default"' in page
    assert "Versions de la charte et ce qui a changé" in page


# -- the list and the comparison ----------------------------------------------------------------------


def test_lists_the_versions_with_their_use_and_compares_the_two_latest(dpo, history):
    response = dpo.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    # Newest first, each with its number of records; the one served now is marked.
    rows = re.findall(r'<tr data-digest="([0-9a-f]{64})">(.*?)</tr>', html, re.S)
    assert [digest for digest, _ in rows] == [history["new"], history["old"]]
    records = [re.search(r"data-records>(\d+)<", row).group(1) for _, row in rows]
    assert records == ["2", "3"]
    assert "en vigueur" in rows[0][1] and "en vigueur" not in rows[1][1]
    assert "2026-09" in rows[1][1]
    # With no choice made, the two latest are compared, older to newer.
    page = text(response)
    assert "Ce qui a changé" in page
    assert 'data-kind="changed" data-key="statistics"' in html
    assert 'data-kind="changed" data-key="portal_audience"' in html
    # The words that changed, marked: the lifetime in the reader's language, the French title.
    lifetime = re.search(r'data-field="lifetime".*?</div>', html, re.S).group(0)
    assert re.search(r"<del>.*?25 .*?</del>", lifetime) and re.search(r"<ins>.*?13 .*?</ins>", lifetime)
    assert "mois" in lifetime
    title = re.search(r'data-field="title" data-lang="fr".*?</div>', html, re.S).group(0)
    assert re.search(r"<del>.*?Statistiques de fréquentation.*?</del>", title)
    assert re.search(r"<ins>.*?Mesure d&#x27;audience.*?</ins>", title)
    # The English title did not change: no line for it.
    assert 'data-field="title" data-lang="en"' not in html


def test_any_two_versions_either_way_and_in_english(dpo, history):
    response = dpo.get(PAGE, {"older": history["new"], "newer": history["old"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    lifetime = re.search(r'data-field="lifetime".*?</div>', html, re.S).group(0)
    assert re.search(r"<del>.*?13 .*?</del>", lifetime) and re.search(r"<ins>.*?25 .*?</ins>", lifetime)
    assert "months" in lifetime
    assert "What changed from" in text(response)


def test_the_same_version_twice_says_so(dpo, history):
    response = dpo.get(PAGE, {"older": history["new"], "newer": history["new"]})
    assert response.status_code == 200
    assert 'data-changes="same"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"older": "0" * 64, "newer": "new"},
        {"older": "old", "newer": "not-a-digest"},
        {"older": "old", "newer": "<script>"},
    ],
)
def test_a_version_the_site_never_showed_is_a_404_with_the_reason(dpo, history, query):
    query = {k: history.get(v, v) for k, v in query.items()}
    response = dpo.get(PAGE, query)
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-error="unknown-version"' in html
    assert "Aucune version de la charte" in text(response)
    assert "<script>" not in html.split('data-error="unknown-version"')[1]
    # The list stays, so the person can pick a version that exists.
    assert html.count("<tr data-digest=") == 2


@pytest.mark.parametrize("query", [{"older": "old"}, {"newer": "new"}, {"older": "", "newer": "new"}])
def test_only_one_version_is_a_400_that_asks_for_two(dpo, history, query):
    response = dpo.get(PAGE, {k: history.get(v, v) for k, v in query.items()})
    assert response.status_code == 400
    assert 'data-error="two-versions"' in response.content.decode()
    assert "Choisissez deux versions à comparer" in text(response)


def test_a_version_of_another_site_is_not_this_sites(dpo, history):
    """A version stored for another site (same table, no site column) is not offered here."""
    other = CharterVersion.objects.create(
        digest="f" * 64, consent_version="x", edition="other", data={}, first_shown_at=timezone.now()
    )
    response = dpo.get(PAGE, {"older": other.digest, "newer": history["new"]})
    assert response.status_code == 404


def test_the_charter_in_force_is_listed_before_anyone_chose_on_it(dpo):
    """A new edition nobody answered yet (or a site without a banner) can still be compared."""
    old = older_edition(registry.get("default"))
    when = timezone.now() - timedelta(days=3)
    ledger.append(
        old,
        consent=Consent(new_consent_id(), when.replace(microsecond=0), old.charter.consent_version, frozenset()),
        method=Method.REFUSE_ALL,
        language="fr",
        choices=ledger.choices_for(old.charter, frozenset()),
        created_at=when,
    )
    response = dpo.get(PAGE)
    html = response.content.decode()
    rows = re.findall(r'<tr data-digest="([0-9a-f]{64})">(.*?)</tr>', html, re.S)
    assert [d for d, _ in rows] == [registry.get("default").charter.digest, old.charter.digest]
    assert "aucun pour l’instant" in rows[0][1] or "pas encore" in rows[0][1]
    assert 'data-key="portal_audience"' in html


def test_no_record_no_version_but_the_one_in_force(dpo):
    response = dpo.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<tr data-digest=") == 1
    assert 'id="changes"' not in html


# -- the same tests on PostgreSQL --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(databases=[])
def test_versions_suite_on_postgresql(require_postgres):
    rerun_on_postgresql("versions", __file__)
