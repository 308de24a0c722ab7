"""Exports of the ledger: each format read back holds exactly the filtered records; the admin's
export needs ``export_ledger``; each export leaves its record (who, counts, SHA-256 of the bytes);
the command's errors. The same tests run on PostgreSQL (server-side cursor, JSON lookups)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cookiecharter import ledger
from cookiecharter.core.consent import Consent, Method, new_consent_id
from cookiecharter.core.export import ISO_SCHEMA_VERSION
from cookiecharter.models import ConsentRecord, LedgerExport
from tests.django.postgres_rerun import rerun_on_postgresql
from tests.django.site import default_site

PAGE = "/admin/cookiecharter/complianceoverview/"
EXPORT = PAGE + "export/"

pytestmark = pytest.mark.django_db

PARIS = timezone.get_fixed_timezone(60)  # the tests' TIME_ZONE in winter (Europe/Paris, CET)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=PARIS)


def add(when: datetime, method: Method, choices: dict[str, bool], *, language: str = "fr", user_id=None) -> int:
    site = default_site()
    granted = frozenset(k for k, v in choices.items() if v)
    consent = Consent(new_consent_id(), when.replace(microsecond=0), site.charter.consent_version, granted)
    record_id = ledger.append(
        site,
        consent=consent,
        method=method,
        language=language,
        choices=choices,
        created_at=when,
        user_id=user_id,
    )
    assert record_id is not None
    return record_id


@pytest.fixture
def records() -> dict[str, int]:
    """Seven choices over three days of January 2026, some answering only one purpose."""
    return {
        "jan10-accept": add(at("2026-01-10", 9), Method.ACCEPT_ALL, {"statistics": True, "embeds": True}),
        "jan10-refuse": add(at("2026-01-10", 23), Method.REFUSE_ALL, {"statistics": False, "embeds": False}),
        "jan11-custom": add(
            at("2026-01-11", 0), Method.CUSTOM, {"statistics": True, "embeds": False}, language="en", user_id="42"
        ),
        "jan11-gpc": add(at("2026-01-11", 10), Method.BROWSER_SIGNAL, {"embeds": False}),
        "jan11-withdraw": add(at("2026-01-11", 18), Method.WITHDRAW, {"statistics": False, "embeds": False}),
        "jan12-accept": add(at("2026-01-12", 8), Method.ACCEPT_ALL, {"statistics": True, "embeds": True}),
        "feb01-refuse": add(at("2026-02-01", 8), Method.REFUSE_ALL, {"statistics": False, "embeds": False}),
    }


def export_command(*args: str) -> tuple[bytes, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("cookiecharter_export", *args, stdout=out, stderr=err)
    return out.getvalue().encode("utf-8"), err.getvalue()


def export_file(tmp_path, *args: str) -> bytes:
    target = tmp_path / "export.out"
    export_command(*args, "--output", str(target))
    return target.read_bytes()


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def json_lines(data: bytes) -> list[dict]:
    text = data.decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


# -- each format holds exactly the filtered records -----------------------------------------------


def test_csv_whole_ledger_reads_back_field_for_field(records, tmp_path):
    rows = csv_rows(export_file(tmp_path, "--format", "csv"))
    assert [int(r["record_id"]) for r in rows] == sorted(records.values())
    stored = {r.id: r for r in ConsentRecord.objects.select_related("charter_version")}
    for row in rows:
        record = stored[int(row["record_id"])]
        assert row["consent_id"] == record.consent_id
        assert datetime.fromisoformat(row["created_at"]) == record.created_at
        assert row["method"] == record.method and row["language"] == record.language
        assert json.loads(row["choices"]) == record.choices
        assert row["granted"].split() == sorted(k for k, v in record.choices.items() if v)
        assert row["refused"].split() == sorted(k for k, v in record.choices.items() if not v)
        assert row["charter_digest"] == record.charter_version.digest
        assert row["consent_version"] == record.charter_version.consent_version
        assert row["record_hash"] == record.record_hash and row["texts_digest"] == record.texts_digest
        assert row["user_id"] == (record.user_id or "")


def test_dates_are_whole_days_in_the_sites_time_zone(records, tmp_path):
    # 10 Jan 23:00 and 11 Jan 00:00 in Paris are 22:00 and 23:00 UTC on the 10th: the days are Paris's.
    rows = csv_rows(export_file(tmp_path, "--since", "2026-01-11", "--until", "2026-01-11"))
    assert {int(r["record_id"]) for r in rows} == {
        records["jan11-custom"],
        records["jan11-gpc"],
        records["jan11-withdraw"],
    }
    rows = csv_rows(export_file(tmp_path, "--since", "2026-01-11T10:00:00+01:00"))
    assert {int(r["record_id"]) for r in rows} == {
        records["jan11-gpc"],
        records["jan11-withdraw"],
        records["jan12-accept"],
        records["feb01-refuse"],
    }


def test_jsonl_filtered_by_purpose_and_dates(records, tmp_path):
    # The browser signal answered only "embeds": a "statistics" export leaves it out.
    lines = json_lines(export_file(tmp_path, "--format", "jsonl", "--purpose", "statistics", "--until", "2026-01-31"))
    assert [line["record_id"] for line in lines] == [
        records[k] for k in ("jan10-accept", "jan10-refuse", "jan11-custom", "jan11-withdraw", "jan12-accept")
    ]
    custom = next(line for line in lines if line["record_id"] == records["jan11-custom"])
    assert custom["choices"] == {"embeds": False, "statistics": True}
    assert custom["granted"] == ["statistics"] and custom["refused"] == ["embeds"]
    assert custom["user_id"] == "42" and custom["language"] == "en"
    embeds = json_lines(export_file(tmp_path, "--format", "jsonl", "--purpose", "embeds"))
    assert len(embeds) == 7


def test_iso27560_records(records, tmp_path):
    charter = default_site().charter
    lines = json_lines(export_file(tmp_path, "--format", "iso27560", "--since", "2026-01-11", "--until", "2026-01-11"))
    assert [line["record_id"] for line in lines] == [
        f"default:{records[k]}" for k in ("jan11-custom", "jan11-gpc", "jan11-withdraw")
    ]
    custom, gpc, withdraw = lines
    stored = ConsentRecord.objects.get(id=records["jan11-custom"])
    assert custom["schema_version"] == ISO_SCHEMA_VERSION
    assert custom["pii_principal_id"] == stored.consent_id
    assert custom["pii_controllers"][0]["pii_controller_name"] == charter.controller.name
    assert custom["notice"] == {
        "notice_id": charter.digest,
        "version": charter.consent_version,
        "edition": charter.edition,
        "language": "en",
        "texts_digest": stored.texts_digest,
    }
    purposes = {p["purpose_id"]: p for p in custom["purposes"]}
    assert purposes["statistics"]["state"] == "given" and purposes["embeds"]["state"] == "refused"
    assert purposes["statistics"]["lawful_basis"] == "consent"
    statistics = next(p for p in charter.purposes if p.key == "statistics")
    assert purposes["statistics"]["purpose"] == statistics.title["en"]
    assert custom["events"][0]["event_type"] == "custom" and custom["events"][0]["event_state"] == "given"
    assert datetime.fromisoformat(custom["events"][0]["event_time"]) == stored.created_at
    assert custom["record_integrity"]["record_hash"] == stored.record_hash
    assert [p["purpose_id"] for p in gpc["purposes"]] == ["embeds"]
    assert gpc["events"][0]["event_state"] == "refused"
    assert {p["state"] for p in withdraw["purposes"]} == {"withdrawn"}
    assert withdraw["events"][0]["event_state"] == "withdrawn"


def test_an_empty_range_is_an_empty_file(records, tmp_path):
    assert csv_rows(export_file(tmp_path, "--since", "2030-01-01")) == []
    assert export_file(tmp_path, "--format", "jsonl", "--since", "2030-01-01") == b""


def test_standard_output(records):
    data, err = export_command("--format", "jsonl", "--output", "-")
    assert len(json_lines(data)) == 7
    assert err == ""


def test_each_site_exports_its_own_records(settings, tmp_path, client):
    """Two sites in one table: choices made through each host's consent endpoint, exported per site."""
    from django.test import Client

    from tests.charter_samples import NECESSARY, STATISTICS, write_charter

    sister = write_charter(tmp_path, NECESSARY, STATISTICS, name="sister.toml")
    settings.COOKIECHARTER = {
        **settings.COOKIECHARTER,
        "SITES": {"sister": {"HOSTS": ["sister.example"], "CHARTER": str(sister)}},
    }
    for host, choice in [("testserver", "accept-all"), ("sister.example", "refuse-all"), ("sister.example", "custom")]:
        assert Client().post("/fr/cookies/consent/", {"choice": choice}, HTTP_HOST=host).status_code == 303
    default = json_lines(export_file(tmp_path, "--format", "jsonl"))
    assert [(line["site"], line["method"]) for line in default] == [("default", "accept-all")]
    sister_lines = json_lines(export_file(tmp_path, "--format", "jsonl", "--site", "sister"))
    assert [(line["site"], line["method"]) for line in sister_lines] == [("sister", "refuse-all"), ("sister", "custom")]
    assert all(line["choices"] == {"statistics": False} for line in sister_lines)
    assert json_lines(export_file(tmp_path, "--format", "jsonl", "--site", "sister", "--purpose", "statistics"))
    # The sister charter has no "embeds": none of its records answers it.
    assert json_lines(export_file(tmp_path, "--format", "jsonl", "--site", "sister", "--purpose", "embeds")) == []
    assert [(e.site, e.records) for e in LedgerExport.objects.order_by("id")] == [
        ("default", 1),
        ("sister", 2),
        ("sister", 2),
        ("sister", 0),
    ]


# -- the export's own record ----------------------------------------------------------------------


def test_each_export_is_recorded_with_counts_and_digest(records, tmp_path):
    data = export_file(tmp_path, "--format", "csv", "--purpose", "statistics", "--since", "2026-01-11")
    entry = LedgerExport.objects.get()
    assert entry.username == "command" and entry.user_id is None and entry.os_user
    assert entry.format == "csv" and entry.purpose == "statistics" and entry.site == "default"
    assert entry.since == at("2026-01-11", 0) and entry.until is None
    assert entry.records == 4 == len(csv_rows(data))
    assert entry.size == len(data)
    assert entry.sha256 == hashlib.sha256(data).hexdigest()
    assert entry.finished_at is not None and entry.finished_at >= entry.started_at


# -- the command's errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "'2026-13-01' is not a date"),
        (["--until", "yesterday"], "'yesterday' is not a date"),
        (["--until", "9999-12-31"], "'9999-12-31' is out of the range of dates"),
        (["--since", "0001-01-01T00:00:00+05:00"], "'0001-01-01T00:00:00+05:00' is out of the range of dates"),
        (["--since", "2026-02-01", "--until", "2026-01-01"], "must come before its end"),
        (["--site", "nowhere"], "unknown site 'nowhere'"),
        (["--purpose", "advertising"], "unknown purpose 'advertising'"),
        (["--format", "xml"], "unknown format 'xml'"),
    ],
)
def test_command_errors(args, message, tmp_path):
    from django.utils import translation

    with translation.override("en"), pytest.raises(CommandError, match=re.escape(message)):
        export_command(*args, "--output", str(tmp_path / "x"))
    assert not LedgerExport.objects.exists()
    assert not (tmp_path / "x").exists()


def test_command_refuses_a_missing_folder(records, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        export_command("--output", str(tmp_path / "no" / "such" / "file.csv"))


# -- the admin ------------------------------------------------------------------------------------


@pytest.fixture
def officer(client, django_user_model):
    """Staff holding view_overview and export_ledger, and the list of exports, as a DPO role does."""
    user = django_user_model.objects.create_user("officer", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_overview", "export_ledger", "view_ledgerexport"])
    )
    client.force_login(user)
    client.user = user
    return client


def test_without_export_ledger_no_form_and_403(records, client, django_user_model):
    reader = django_user_model.objects.create_user("reader", password="pw", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_overview"))
    client.force_login(reader)
    page = client.get(PAGE).content.decode()
    assert EXPORT not in page and "<form" not in page.split('id="export"')[1].split("</section>")[0]
    assert client.post(EXPORT, {"format": "csv"}).status_code == 403
    assert not LedgerExport.objects.exists()
    # Who exported what stays visible to whoever reads the overview.
    export_command("--output", "-")
    section = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode().split('id="export"')[1]
    assert (
        "Exports of the ledger" in section
        and "<td>command" in section
        and "<form" not in section.split("</section>")[0]
    )
    # No link to a list this role may not open.
    assert "/admin/cookiecharter/ledgerexport/" not in section


def test_export_alone_does_not_open_it(records, client, django_user_model):
    exporter = django_user_model.objects.create_user("exporter", password="pw", is_staff=True)
    exporter.user_permissions.add(Permission.objects.get(codename="export_ledger"))
    client.force_login(exporter)
    assert client.post(EXPORT, {"format": "csv"}).status_code == 403


def test_officer_downloads_the_file_and_the_page_lists_it(records, officer):
    page = officer.get(PAGE).content.decode()
    assert f'action="{EXPORT}"' in page and 'value="iso27560"' in page
    response = officer.post(EXPORT, {"format": "jsonl", "purpose": "statistics", "since": "2026-01-11"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ledger-default-from-20260111-statistics.jsonl"'
    assert "no-store" in response["Cache-Control"]
    data = b"".join(response.streaming_content)
    assert [line["record_id"] for line in json_lines(data)] == [
        records[k] for k in ("jan11-custom", "jan11-withdraw", "jan12-accept", "feb01-refuse")
    ]
    entry = LedgerExport.objects.get()
    assert entry.username == "officer" and entry.user_id == str(officer.user.pk) and entry.os_user == ""
    assert entry.records == 4 and entry.sha256 == hashlib.sha256(data).hexdigest()
    page = officer.get(PAGE).content.decode()
    assert f'<tr data-export="{entry.pk}">' in page and entry.sha256[:12] in page
    assert 'href="/admin/cookiecharter/ledgerexport/"' in page


def test_file_name_names_the_days_included(records, officer):
    response = officer.post(EXPORT, {"format": "iso27560", "since": "2026-01-10", "until": "2026-01-11"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="ledger-default-from-20260110-until-20260111.iso27560.jsonl"'
    )
    assert len(json_lines(b"".join(response.streaming_content))) == 5


def test_an_export_cut_short_stays_unfinished(records, officer):
    from cookiecharter import export

    # What the server does when the browser goes away: the response's iterator is closed after a chunk.
    # (Not response.close() here: it would also close the test's database connection.)
    run = iter(export.ExportRun(export.make_query(site="default", format="csv"), username="officer"))
    next(run)
    run.close()
    entry = LedgerExport.objects.get()
    assert entry.finished_at is None and entry.sha256 == ""
    assert "non terminé" in officer.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"format": "pdf"}, "unknown format 'pdf'"),
        ({"format": "csv", "since": "31/01/2026"}, "'31/01/2026' is not a date"),
        ({"format": "csv", "site": "elsewhere"}, "unknown site 'elsewhere'"),
        ({"format": "csv", "purpose": "nope"}, "unknown purpose 'nope'"),
    ],
)
def test_bad_form_input_is_a_400_with_the_reason(data, reason, officer):
    response = officer.post(EXPORT, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not LedgerExport.objects.exists()


def test_bad_input_in_french(officer):
    response = officer.post(EXPORT, {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "format inconnu 'pdf'" in response.content.decode()


def test_export_is_post_only_and_needs_the_csrf_token(records, django_user_model):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    user = django_user_model.objects.create_user("o2", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_overview", "export_ledger"]))
    strict.force_login(user)
    assert strict.get(EXPORT).status_code == 405
    assert strict.post(EXPORT, {"format": "csv"}).status_code == 403
    page = strict.get(PAGE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(EXPORT, {"format": "csv", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert len(csv_rows(b"".join(response.streaming_content))) == 7


def test_exports_list_is_read_only(records, client, django_user_model, tmp_path):
    export_file(tmp_path)
    admin = django_user_model.objects.create_superuser("root", "r@example.org", "pw")
    client.force_login(admin)
    entry = LedgerExport.objects.get()
    listing = client.get("/admin/cookiecharter/ledgerexport/")
    assert listing.status_code == 200 and "command" in listing.content.decode()
    assert client.get("/admin/cookiecharter/ledgerexport/add/").status_code == 403
    change = client.post(f"/admin/cookiecharter/ledgerexport/{entry.pk}/change/", {"records": "0"})
    assert change.status_code == 403
    assert client.post(f"/admin/cookiecharter/ledgerexport/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerExport.objects.get().records == 7


def test_no_ip_address_anywhere(records, officer):
    response = officer.post(EXPORT, {"format": "iso27560"}, REMOTE_ADDR="203.0.113.7")
    data = b"".join(response.streaming_content).decode()
    assert "203.0.113.7" not in data
    entry = LedgerExport.objects.values()[0]
    assert "203.0.113.7" not in json.dumps(entry, default=str)


def test_streams_in_chunks_from_the_database(tmp_path):
    """More records than one database chunk and one output chunk: all there, in order, once."""
    from cookiecharter import export as export_module
    from cookiecharter.core import export as core_export

    when = timezone.now() - timedelta(days=1)
    ids = [add(when, Method.REFUSE_ALL, {"statistics": False, "embeds": False}) for _ in range(23)]
    old = export_module.CHUNK_SIZE, core_export.CHUNK_RECORDS
    export_module.CHUNK_SIZE, core_export.CHUNK_RECORDS = 5, 4
    try:
        lines = json_lines(export_file(tmp_path, "--format", "jsonl"))
    finally:
        export_module.CHUNK_SIZE, core_export.CHUNK_RECORDS = old
    assert [line["record_id"] for line in lines] == ids


def test_on_postgresql_the_rows_come_through_a_server_side_cursor(records, monkeypatch):
    """The memory claim rests on this: PostgreSQL hands the rows over a batch at a time."""
    from django.db import connection

    from cookiecharter import export as export_module
    from cookiecharter.core import export as core_export

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: runs in test_export_suite_on_postgresql")
    # Small batches, so the export is still reading when its first chunk is out.
    monkeypatch.setattr(export_module, "CHUNK_SIZE", 2)
    monkeypatch.setattr(core_export, "CHUNK_RECORDS", 2)
    run = iter(export_module.ExportRun(export_module.make_query(site="default", format="csv"), username="t"))
    next(run)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_cursors")
            names = [row[0] for row in cursor.fetchall()]
    finally:
        run.close()
    assert any(name.startswith("_django_curs_") for name in names), names


# -- the same tests on PostgreSQL ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(databases=[])
def test_export_suite_on_postgresql(require_postgres):
    output = rerun_on_postgresql("export", __file__)
    assert "skipped" in output, output[-3000:]
