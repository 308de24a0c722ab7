"""The ledger in the admin: read-only, searchable by consent id, filterable by date, method, language
and purpose; charter versions with their texts."""

from __future__ import annotations

import pytest

from cookiecharter.models import CharterVersion, ConsentRecord, LedgerSeal

URL = "/fr/cookies/consent/"
LIST = "/admin/cookiecharter/consentrecord/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    for data in ({"choice": "accept-all"}, {"choice": "refuse-all"}, {"choice": "custom", "purpose": "embeds"}):
        client.cookies.clear()
        client.post(URL, data)
    client.cookies.clear()
    client.post("/en/cookies/consent/", {"choice": "custom", "purpose": "statistics"})
    admin_user = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    client.force_login(admin_user)
    return client


def ids_listed(response) -> set[str]:
    html = response.content.decode()
    return {r.consent_id for r in ConsentRecord.objects.all() if r.consent_id in html}


def test_changelist_lists_every_record(staff):
    response = staff.get(LIST)
    assert response.status_code == 200
    assert len(ids_listed(response)) == 4


def test_search_by_consent_id(staff):
    target = ConsentRecord.objects.order_by("id")[1]
    response = staff.get(LIST, {"q": target.consent_id})
    assert ids_listed(response) == {target.consent_id}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"method": "refuse-all"}, lambda r: r.method == "refuse-all"),
        ({"language": "en"}, lambda r: r.language == "en"),
        ({"purpose": "statistics:1"}, lambda r: r.choices.get("statistics") is True),
        ({"purpose": "embeds:0"}, lambda r: r.choices.get("embeds") is False),
    ],
)
def test_filters(staff, query, expected):
    response = staff.get(LIST, query)
    assert response.status_code == 200
    wanted = {r.consent_id for r in ConsentRecord.objects.all() if expected(r)}
    assert wanted and ids_listed(response) == wanted


def test_date_filter(staff):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    span = {"created_at__gte": str(today), "created_at__lt": str(today + timedelta(days=1))}
    assert len(ids_listed(staff.get(LIST, span))) == 4
    past = {"created_at__gte": str(today - timedelta(days=9)), "created_at__lt": str(today - timedelta(days=8))}
    assert ids_listed(staff.get(LIST, past)) == set()


def test_nothing_can_be_added_changed_or_deleted(staff):
    record = ConsentRecord.objects.first()
    assert staff.get(LIST + "add/").status_code == 403
    detail = staff.get(f"{LIST}{record.pk}/change/")
    assert detail.status_code == 200  # viewable
    assert 'name="_save"' not in detail.content.decode()
    assert staff.post(f"{LIST}{record.pk}/change/", {"method": "accept-all"}).status_code == 403
    assert staff.post(f"{LIST}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = staff.post(LIST, {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert ConsentRecord.objects.filter(pk=record.pk).exists()
    assert staff.get("/admin/cookiecharter/charterversion/add/").status_code == 403
    assert staff.get("/admin/cookiecharter/ledgerseal/add/").status_code == 403


def test_charter_version_page_shows_the_texts(staff):
    version = CharterVersion.objects.get()
    response = staff.get(f"/admin/cookiecharter/charterversion/{version.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mesure d&#x27;audience" in html or "Mesure d'audience" in html
    assert "Audience measurement" in html
    assert "portal_audience" in html
    assert version.digest in html


def test_seals_are_listed(staff):
    import io

    from django.core.management import call_command

    call_command("cookiecharter_seal", "--grace", "0", stdout=io.StringIO())
    assert LedgerSeal.objects.count() == 1
    assert staff.get("/admin/cookiecharter/ledgerseal/").status_code == 200
