"""Audit runs kept as proof: stored through ``cookiecharter.audits``, sealed into the ledger's chain,
checked by ``cookiecharter_verify`` and by the overview's verify button; the overview's "Audits"
section and its permission. On SQLite here, and on PostgreSQL by the last test (the same module run
again with ``tests.django.ledger_pg_settings``).

The runs here are made of facts as the scanner would report them; a real audit of a live site, with
its exit codes, is ``tests/browser/test_audit_command.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cookiecharter import audits, compliance, ledger
from cookiecharter.core.audit import FindingFacts, RunFacts, verdict_of
from cookiecharter.models import AuditFinding, AuditRun, ConsentRecord, LedgerSeal
from cookiecharter.sites import registry
from tests.django.postgres_rerun import rerun_on_postgresql

pytestmark = pytest.mark.django_db

PAGE = "/admin/cookiecharter/complianceoverview/"
AUDIT = PAGE + "audit/"
VERIFY = PAGE + "verify/"

UNDECLARED = FindingFacts(
    "CC001", "error", "_tracker", "arrival,refuse", "http://testserver/fr/", "Cookie not declared in the charter"
)
UNKNOWN = FindingFacts("CC012", "info", "portal_audience", "accept", "http://testserver/fr/", "Cookie unknown")


def facts(*findings: FindingFacts, days_ago: float = 1) -> RunFacts:
    charter = registry.get("default").charter
    finished = timezone.now() - timedelta(days=days_ago)
    return RunFacts(
        site="default",
        base_url="http://testserver/",
        started_at=finished - timedelta(seconds=40),
        finished_at=finished,
        charter_digest=charter.digest,
        charter_edition=charter.edition,
        pages=["http://testserver/fr/", "http://testserver/fr/cookies/"],
        verdict=verdict_of(f.severity for f in findings),
        report_digest="ab" * 32,
        findings=findings,
    )


def store(*findings: FindingFacts, days_ago: float = 1) -> AuditRun:
    return audits.record(facts(*findings, days_ago=days_ago), registry.get("default").charter)


def seal() -> None:
    ledger.seal_pending("default", partial=True, grace_seconds=0)


def verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("cookiecharter_verify", settle=0, stdout=out)
    return out.getvalue()


def verify_fails() -> str:
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("cookiecharter_verify", settle=0, stdout=out)
    assert failure.value.returncode == 1
    return out.getvalue()


# -- stored and sealed -----------------------------------------------------------------------------


def test_a_run_is_stored_with_its_findings_and_one_ledger_record():
    run = store(UNDECLARED, UNKNOWN)
    run.refresh_from_db()
    assert (run.verdict, run.errors, run.warnings, run.infos) == ("fail", 1, 0, 1)
    assert list(run.findings.values_list("rule", "subject", "phase")) == [
        ("CC001", "_tracker", "arrival,refuse"),
        ("CC012", "portal_audience", "accept"),
    ]
    record = ConsentRecord.objects.get(pk=run.record_id)
    assert (record.consent_id, record.method, record.choices) == (f"audit:{run.pk}", "audit", {})
    assert record.texts_digest == run.digest == audits.facts_of(run).digest()
    # No IP address anywhere: the run keeps the site's URL and pages, nothing about a visitor.
    assert not any("ip" in f.name.split("_") for f in AuditRun._meta.fields + AuditFinding._meta.fields)


def test_a_run_is_sealed_in_the_same_chain_as_the_choices(client):
    client.post("/fr/cookies/consent/", {"choice": "refuse-all"})
    run = store(UNDECLARED)
    client.cookies.clear()
    client.post("/fr/cookies/consent/", {"choice": "accept-all"})
    seal()
    seals = list(LedgerSeal.objects.filter(site="default"))
    assert sum(s.count for s in seals) == 3
    assert any(s.first_id <= run.record_id <= s.last_id for s in seals)
    assert list(ConsentRecord.objects.order_by("id").values_list("method", flat=True)) == [
        "refuse-all",
        "audit",
        "accept-all",
    ]
    assert audits.check("default") == []
    assert "ledger intact: 3 records" in verify_output()


def test_the_digest_changes_with_every_field_of_a_finding():
    base = facts(UNDECLARED)
    for change in (
        {"rule": "CC002"},
        {"severity": "warning"},
        {"subject": "_other"},
        {"phase": "arrival"},
        {"page": "/"},
        {"text": "x"},
    ):
        other = FindingFacts(**{**UNDECLARED.__dict__, **change})
        assert RunFacts(**{**base.__dict__, "findings": (other,)}).digest() != base.digest(), change


# -- tampering -------------------------------------------------------------------------------------


TAMPERING = {
    "a finding's severity lowered": "UPDATE cookiecharter_auditfinding SET severity = 'info' WHERE rule = 'CC001'",
    "a finding deleted": "DELETE FROM cookiecharter_auditfinding WHERE rule = 'CC001'",
    "a finding added": (
        "INSERT INTO cookiecharter_auditfinding (run_id, position, rule, severity, subject, phase, page, text, digest) "
        "SELECT id, 9, 'CC006', 'warning', 'x', '', '', 'x', '' FROM cookiecharter_auditrun"
    ),
    "the run's verdict and counts": "UPDATE cookiecharter_auditrun SET verdict = 'pass', errors = 0",
    "the run's digest made to match an edit": ("UPDATE cookiecharter_auditrun SET digest = 'ff' || substr(digest, 3)"),
}


@pytest.mark.parametrize("sql", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_with_a_stored_run_is_detected_by_verify(sql):
    run = store(UNDECLARED)
    seal()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    output = verify_fails()
    assert f"altered: audit run {run.pk} " in output
    assert f"does not match its ledger record {run.record_id}" in output


def test_deleting_a_run_is_detected():
    run = store(UNDECLARED)
    seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cookiecharter_auditfinding")
        cursor.execute("DELETE FROM cookiecharter_auditrun")
    output = verify_fails()
    assert f"deleted: audit run {run.pk}, sealed in ledger record {run.record_id}, is missing" in output


def test_deleting_the_ledger_record_of_a_run_is_detected_twice():
    run = store(UNDECLARED)
    seal()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cookiecharter_consentrecord WHERE method = 'audit'")
    output = verify_fails()
    assert f"audit run {run.pk} " in output and "has no ledger record" in output
    assert f"record {run.record_id} (sealed by seal 1) is missing" in output  # the chain's own finding, too


def test_a_run_whose_record_was_pruned_is_not_a_problem():
    run = store(UNDECLARED, days_ago=3000)
    assert ledger.prune("default", days=365) == (1, 1)
    assert AuditRun.objects.filter(pk=run.pk).exists()
    assert audits.check("default") == []


def test_the_overviews_verify_button_reports_an_edited_finding(client, django_user_model):
    store(UNDECLARED)
    seal()
    AuditFinding.objects.update(severity="info")  # through the ORM this time: no hash to bypass
    client.force_login(django_user_model.objects.create_superuser("dpo", "d@example.org", "pw"))
    client.post(VERIFY)
    html = client.get(PAGE).content.decode()
    assert 'data-verification="problems"' in html
    assert "altered: audit run" in html


# -- comparing runs --------------------------------------------------------------------------------


def test_new_and_gone_findings_and_a_worse_verdict():
    first = store(UNKNOWN, days_ago=2)
    second = store(UNDECLARED, days_ago=1)
    delta = audits.change(second, audits.previous(second))
    assert delta.new == [("CC001", "_tracker", "arrival,refuse")]
    assert delta.gone == [("CC012", "portal_audience", "accept")]
    assert delta.new_counted == 1 and delta.verdict_worse and delta.worse
    assert audits.previous(first) is None
    back = store(UNKNOWN, days_ago=0.5)
    assert not audits.change(back, audits.previous(back)).worse  # a fix is not "worse"


def test_a_new_note_alone_is_not_worse():
    store(days_ago=2)
    run = store(UNKNOWN, days_ago=1)
    delta = audits.change(run, audits.previous(run))
    assert delta.new and not delta.worse


# -- the overview ----------------------------------------------------------------------------------


@pytest.fixture
def dpo(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw"))
    return client


def test_choice_counts_leave_audit_records_out(client):
    client.post("/fr/cookies/consent/", {"choice": "refuse-all"})
    store(UNDECLARED, days_ago=0.1)
    counts = compliance.choice_counts("default", ["statistics"])
    assert counts.totals == {7: 1, 30: 1}
    assert "audit" not in [m.method for m in counts.methods]


def test_overview_without_audits(dpo):
    html = dpo.get(PAGE).content.decode()
    assert 'id="audits"' in html and "Aucun audit pour l’instant." in html


def test_overview_shows_the_last_audit_what_changed_and_the_trend(dpo):
    first = store(UNKNOWN, days_ago=2)
    second = store(UNDECLARED, days_ago=1)
    html = dpo.get(PAGE).content.decode()
    section = html[html.index('id="audits"') :]
    assert f'data-audit-run="{second.pk}"' in section
    assert 'data-verdict="fail"' in section and "Échec" in section
    assert 'data-counts="1/0/0"' in section
    assert 'data-audit-change="worse"' in section
    new = section[section.index('id="audit-new"') : section.index('id="audit-gone"')]
    assert 'data-finding="CC001 _tracker"' in new
    assert 'data-finding="CC012 portal_audience"' in section[section.index('id="audit-gone"') :]
    trend = re.findall(r'data-trend-run="(\d+)"', section)
    assert trend == [str(first.pk), str(second.pk)]  # oldest first


def test_overview_in_english(dpo):
    store(UNDECLARED)
    html = dpo.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Audits of the site" in html and "Failed" in html


def test_the_run_button_takes_the_run_audit_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("reader", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_overview"))
    client.force_login(staff)
    assert AUDIT not in client.get(PAGE).content.decode()
    assert client.get(AUDIT).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="run_audit"))
    staff = django_user_model.objects.get(pk=staff.pk)  # permissions are cached on the instance
    client.force_login(staff)
    assert f'href="{AUDIT}?site=default"' in client.get(PAGE).content.decode()
    page = client.get(AUDIT)
    assert page.status_code == 200
    assert "python manage.py cookiecharter_audit --site default" in page.content.decode()


def test_run_audit_alone_does_not_open_the_command_page(client, django_user_model):
    staff = django_user_model.objects.create_user("runner", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="run_audit"))
    client.force_login(staff)
    assert client.get(AUDIT).status_code == 403


def test_runs_and_findings_are_listed_read_only_in_the_admin(dpo):
    run = store(UNDECLARED, UNKNOWN)
    assert '/admin/cookiecharter/auditrun/?site__exact=default"' in dpo.get(PAGE).content.decode()
    listing = dpo.get("/admin/cookiecharter/auditrun/")
    assert listing.status_code == 200 and f"/admin/cookiecharter/auditrun/{run.pk}/change/" in listing.content.decode()
    detail = dpo.get(f"/admin/cookiecharter/auditrun/{run.pk}/change/").content.decode()
    assert "_tracker" in detail and "portal_audience" in detail
    assert 'name="_save"' not in detail  # nothing to save: evidence is not edited by hand
    assert dpo.get("/admin/cookiecharter/auditrun/add/").status_code == 403
    assert dpo.post(f"/admin/cookiecharter/auditrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditFinding.objects.filter(run=run).count() == 2


def audit_check() -> tuple[str, str]:
    site = registry.settings().site("default")
    state = compliance.charter_state("default", "")
    found = [c for c in compliance.checklist(state, site, None) if c.title == "Dernier audit du site réussi"]
    assert len(found) == 1
    return found[0].status.value, found[0].reason


def test_the_checklist_says_how_the_last_audit_went():
    assert audit_check()[0] == "amber" and "Aucun audit" in audit_check()[1]
    store(UNKNOWN, days_ago=20)
    assert audit_check()[0] == "amber" and "plus d’une semaine" in audit_check()[1]
    store(UNKNOWN, days_ago=1)
    assert audit_check()[0] == "green"
    store(FindingFacts("CC006", "warning", "x", "", "", "x"), days_ago=0.5)
    assert audit_check()[0] == "amber" and "1 avertissement(s)" in audit_check()[1]
    store(UNDECLARED, days_ago=0.1)
    assert audit_check()[0] == "red" and "1 erreur(s)" in audit_check()[1]


# -- the demo's seeded audits ----------------------------------------------------------------------


def test_the_demo_seeds_two_sealed_audits_the_second_with_a_problem_once():
    from io import StringIO

    from portal.management.commands.demo_audits import Command

    call_command(Command(), stdout=StringIO())
    call_command(Command(), stdout=StringIO())  # make demo runs it at every start
    assert list(AuditRun.objects.order_by("id").values_list("verdict", flat=True)) == ["pass", "fail"]
    seen = audits.summary("default")
    assert seen is not None and seen.worse
    assert [(f.rule, f.subject) for f in seen.new] == [("CC001", "_ga")]
    assert LedgerSeal.objects.filter(site="default").exists()
    assert "ledger intact: 2 records, 1 seals (2 records sealed" in verify_output()


# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(databases=[])
def test_audit_suite_on_postgresql(require_postgres):
    rerun_on_postgresql("audits", __file__)
