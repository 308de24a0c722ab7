"""Proof for one visitor (issue 14, item 4): a visitor who chose twice, under two charter versions,
through the real consent endpoint; the bundle the back office makes for their consent id; the
checker (``cookiecharter check-proof``) on the untouched bundle after a round trip through a file,
and on each kind of tampering; who may see it; the PDF, parsed back. On SQLite here, and the whole
file again on PostgreSQL by the last test."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import Permission
from pypdf import PdfReader

from cookiecharter import ledger, visitor_proof
from cookiecharter.cli import main
from cookiecharter.core import bundle as core_bundle
from cookiecharter.models import CharterVersion, ConsentRecord, LedgerSeal
from cookiecharter.sites import registry
from tests.django.postgres_rerun import rerun_on_postgresql

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/admin/cookiecharter/complianceoverview/"
PROOF = PAGE + "proof/"

pytestmark = pytest.mark.django_db


def second_charter(tmp_path: Path) -> Path:
    """The demo charter with the statistics purpose reworded: a new charter version (same consent version)."""
    source = (ROOT / "demo" / "charter.toml").read_text(encoding="utf-8")
    source = source.replace('title.fr = "Mesure d\'audience"', 'title.fr = "Mesure d\'audience du portail"', 1)
    source = source.replace('title.en = "Audience measurement"', 'title.en = "Audience measurement of the portal"', 1)
    path = tmp_path / "charter.toml"
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture
def visitor(client, settings, tmp_path):
    """A visitor accepts all in French, the charter changes, they withdraw statistics in English.
    Another visitor chooses in between, so the seal covers someone else's record too."""
    assert client.post("/fr/cookies/consent/", {"choice": "accept-all"}).status_code == 303
    other = type(client)()
    assert other.post("/fr/cookies/consent/", {"choice": "refuse-all"}).status_code == 303
    settings.COOKIECHARTER = {**settings.COOKIECHARTER, "CHARTER": str(second_charter(tmp_path))}
    assert client.post("/en/cookies/consent/", {"choice": "custom", "purpose": "embeds"}).status_code == 303
    ledger.seal_pending("default", partial=True, grace_seconds=0)
    ids = {r.consent_id for r in ConsentRecord.objects.all()}
    assert len(ids) == 2 and CharterVersion.objects.count() == 2
    first = ConsentRecord.objects.order_by("id").first()
    return first.consent_id


@pytest.fixture
def bundle_file(visitor, tmp_path):
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(visitor_proof.build("default", visitor), ensure_ascii=False), encoding="utf-8")
    return path


def check_proof(path: Path, *extra: str):
    return CliRunner().invoke(main, ["check-proof", str(path), *extra])


# -- the bundle ------------------------------------------------------------------------------------


def test_bundle_of_a_visitor_who_chose_twice_under_two_charter_versions(visitor):
    bundle = visitor_proof.build("default", visitor)
    assert bundle["format"] == core_bundle.FORMAT and bundle["consent_id"] == visitor
    first, second = bundle["records"]
    assert (first["method"], first["language"]) == ("accept-all", "fr")
    assert (second["method"], second["language"]) == ("withdraw", "en")
    assert second["choices"] == {"statistics": False, "embeds": True}
    assert first["charter_digest"] != second["charter_digest"]
    # Each charter version with its full text in the visitor's language, rendered by the page code.
    charters = {c["digest"]: c for c in bundle["charters"]}
    assert list(charters[first["charter_digest"]]["full_text"]) == ["fr"]
    assert "Mesure d'audience" in charters[first["charter_digest"]]["full_text"]["fr"]
    assert "Audience measurement of the portal" in charters[second["charter_digest"]]["full_text"]["en"]
    assert charters[second["charter_digest"]]["data"] == registry.get("default").charter.as_data()
    # The banner texts, whose digest is the records' texts digest.
    for record in bundle["records"]:
        (banner,) = [
            b
            for b in bundle["banner_texts"]
            if (b["charter_digest"], b["language"]) == (record["charter_digest"], record["language"])
        ]
        assert core_bundle.data_digest(banner["texts"]) == record["texts_digest"]
    # One seal covers all three records; it carries the hashes of all three, and nothing else of the other visitor.
    (seal,) = bundle["seals"]
    assert seal["count"] == 3 and len(seal["record_hashes"]) == 3
    other = ConsentRecord.objects.exclude(consent_id=visitor).get()
    assert other.record_hash in seal["record_hashes"]
    assert other.consent_id not in json.dumps(bundle)
    assert bundle["verification"]["ok"] and bundle["verification"]["records_genuine"]


def test_the_bundled_verification_finds_what_was_edited_in_the_database(visitor):
    """It covers the whole chain of seals and every record of the seals over the visitor's, with the
    key: another visitor's record edited in that seal, or a seal rewritten, shows in the bundle."""
    from django.db import connection

    other = ConsentRecord.objects.exclude(consent_id=visitor).get()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ConsentRecord._meta.db_table} SET method = 'accept-all' WHERE id = %s", [other.id])
    verification = visitor_proof.build("default", visitor)["verification"]
    assert not verification["ok"] and verification["records_genuine"]
    assert f"altered: record {other.id} does not match its hash (edited or forged)" in verification["problems"]
    LedgerSeal.objects.filter(number=1).update(count=99)
    problems = visitor_proof.build("default", visitor)["verification"]["problems"]
    assert "seal: seal 1 does not match its hash (edited)" in problems


def test_the_bundled_verification_does_not_read_the_other_seals_records(visitor, client):
    """A record edited under a seal that covers none of this visitor's records is the verify button's
    business, not this visitor's proof: the download does not read those records."""
    from django.db import connection

    later = type(client)()
    later.post("/fr/cookies/consent/", {"choice": "refuse-all"})
    ledger.seal_pending("default", partial=True, grace_seconds=0)
    newest = ConsentRecord.objects.order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ConsentRecord._meta.db_table} SET language = 'de' WHERE id = %s", [newest.id])
    verification = visitor_proof.build("default", visitor)["verification"]
    assert verification["ok"] and verification["seals"] == 2 and verification["records"] == 3
    assert not ledger.verify("default").ok


def test_malformed_and_unknown_ids(visitor):
    with pytest.raises(visitor_proof.MalformedConsentId):
        visitor_proof.build("default", "x' OR 1=1 --")
    with pytest.raises(visitor_proof.UnknownConsentId):
        visitor_proof.build("default", "A" * 16)


# -- the checker -----------------------------------------------------------------------------------


def test_the_untouched_bundle_checks_out_against_the_public_charter(bundle_file, tmp_path):
    result = check_proof(bundle_file, "--charter", str(tmp_path / "charter.toml"))
    assert result.exit_code == 0, result.output
    assert "checks out" in result.output
    assert "the public charter is charter version" in result.output
    assert "full text in 'fr' re-rendered from its data" in result.output
    assert "is in seal 1" in result.output
    # It says plainly what it could not recheck, and what the controller's verification said.
    assert "not rechecked: each record's HMAC and each seal's hash, which need the site's secret key" in result.output
    assert (
        "of the chain of seals, the records of the seals over this visitor's records, this visitor's records "
        "(1 seals, 3 records) says: intact" in result.output
    )


def test_the_bundle_checks_out_with_the_digest_the_charter_page_shows(bundle_file, client):
    digest = registry.get("default").charter.digest
    assert digest in client.get("/fr/cookies/").content.decode()
    assert check_proof(bundle_file, "--digest", digest).exit_code == 0


def test_another_public_charter_fails(bundle_file):
    result = check_proof(bundle_file, "--charter", str(ROOT / "demo" / "charter-seed.toml"))
    assert result.exit_code == 1
    assert "public charter: its digest" in result.output and "is none of the bundle's charter versions" in result.output


def tamper_choice(b):
    b["records"][1]["choices"]["statistics"] = True


def tamper_date(b):
    b["records"][0]["created_at"] = b["records"][0]["created_at"].replace(b["records"][0]["created_at"][:4], "2020")


def tamper_method(b):
    b["records"][1]["method"] = "accept-all"


def tamper_text(b):
    b["banner_texts"][0]["texts"]["purposes"][-1]["description"] += " (and more)"


def tamper_charter(b):
    b["charters"][0]["data"]["cookies"][0]["lifetime"] = "1 day"


def tamper_full_text(b):
    b["charters"][1]["full_text"]["en"] = b["charters"][1]["full_text"]["en"].replace("13 months", "1 month")


def tamper_hash(b):
    b["records"][0]["record_hash"] = "0" * 64


def tamper_seal_hashes(b):
    b["seals"][0]["record_hashes"][1] = "f" * 64


def tamper_consent_id(b):
    b["records"][1]["consent_id"] = "B" * 16


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            tamper_choice,
            'record {1}: its choices changed: {{"embeds": true, "statistics": true}} here, '
            '{{"embeds": true, "statistics": false}} in what its hash covers',
        ),
        (tamper_date, 'record {0}: its date changed: "2020-'),
        (tamper_method, 'record {1}: its method changed: "accept-all" here, "withdraw" in what its hash covers'),
        (tamper_text, "are not the charter's: the description of purpose"),
        (tamper_charter, "its data do not give its digest: the charter was changed"),
        (tamper_full_text, "its full text in 'en' is not the charter's"),
        (tamper_hash, "record {0}: its hash is not the one seal 1 covers"),
        (tamper_seal_hashes, "seal 1: the record hashes it carries do not give its records digest"),
        (tamper_consent_id, "record {1}: it belongs to consent id BBBBBBBBBBBBBBBB"),
    ],
)
def test_each_kind_of_tampering_fails_the_checker_and_says_what(bundle_file, tmp_path, tamper, expected):
    bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
    ids = [r["id"] for r in bundle["records"]]
    tamper(bundle)
    # Whoever tampers may also recompute the bundle's digest: the check must not rest on it alone.
    bundle["digest"] = core_bundle.bundle_digest(bundle)
    bundle_file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    result = check_proof(bundle_file, "--charter", str(tmp_path / "charter.toml"))
    assert result.exit_code == 1, result.output
    assert "does NOT check out" in result.output
    assert expected.format(*ids) in result.output, result.output


def test_a_tampered_bundle_whose_digest_was_not_recomputed_says_so_too(bundle_file):
    bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
    tamper_choice(bundle)
    bundle_file.write_text(json.dumps(bundle), encoding="utf-8")
    result = check_proof(bundle_file)
    assert result.exit_code == 1
    assert "bundle: its digest does not match its content" in result.output


def test_charter_tampered_with_its_digest_rewritten_still_fails(bundle_file, tmp_path):
    # Change the charter and rewrite its digest everywhere: the public charter no longer matches it.
    bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
    charter = bundle["charters"][1]
    old = charter["digest"]
    charter["data"]["controller"]["name"] = "Someone else"
    new = core_bundle.data_digest(charter["data"])
    text = json.dumps(bundle, ensure_ascii=False).replace(old, new)
    bundle = json.loads(text)
    bundle["digest"] = core_bundle.bundle_digest(bundle)
    bundle_file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    result = check_proof(bundle_file, "--charter", str(tmp_path / "charter.toml"))
    assert result.exit_code == 1
    assert "public charter: its digest" in result.output
    # The banner texts carry the controller too: they no longer match the changed charter.
    assert "are not the charter's: the controller was changed" in result.output


def test_a_forgery_consistent_in_every_recomputable_part_is_caught_with_the_key(bundle_file, tmp_path):
    """A choice changed in the record, in the text its hash covers and in the bundle's digest: nothing
    left to recompute without the key says so, and the checker says it could not check the HMACs;
    the controller's command, with the key, names the forged record."""
    from django.core.management import CommandError, call_command

    assert "checks out, HMACs included" in _command(bundle_file)
    bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
    record = bundle["records"][1]
    record["choices"]["statistics"] = True
    hashed = json.loads(record["hashed"])
    hashed["choices"]["statistics"] = True
    record["hashed"] = json.dumps(hashed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    bundle["digest"] = core_bundle.bundle_digest(bundle)
    bundle_file.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    result = check_proof(bundle_file)
    assert result.exit_code == 0 and "need the site's secret key" in result.output
    with pytest.raises(CommandError, match="does NOT check out: 1 problem"):
        call_command("cookiecharter_check_proof", str(bundle_file), stdout=io.StringIO())
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("cookiecharter_check_proof", str(bundle_file), stdout=out)
    assert f"FAILED   record {record['id']}: its HMAC does not match what it covers (forged)" in out.getvalue()


def _command(path: Path) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("cookiecharter_check_proof", str(path), stdout=out)
    return out.getvalue()


def test_the_command_refuses_what_is_not_a_bundle_with_a_reason(tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "x.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(CommandError, match="not a proof bundle"):
        call_command("cookiecharter_check_proof", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("cookiecharter_check_proof", str(tmp_path / "missing.json"))


def test_a_file_that_is_not_a_bundle_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    result = check_proof(path)
    assert result.exit_code == 2 and "cannot read" in result.output
    path.write_text('{"format": "something"}', encoding="utf-8")
    result = check_proof(path)
    assert result.exit_code == 2 and "not a proof bundle" in result.output
    path.write_text(json.dumps({"format": core_bundle.FORMAT, "consent_id": "x"}), encoding="utf-8")
    result = check_proof(path)
    assert result.exit_code == 2 and "incomplete or malformed" in result.output


def test_a_charter_version_row_edited_in_the_database_still_gives_a_bundle_that_fails(dpo, visitor, tmp_path):
    first = ConsentRecord.objects.filter(consent_id=visitor).order_by("id").first()
    CharterVersion.objects.filter(pk=first.charter_version_id).update(data={"edition": "rewritten"})
    response = dpo.get(PROOF + "json/", {"consent_id": visitor})
    assert response.status_code == 200
    path = tmp_path / "edited.json"
    path.write_bytes(response.content)
    result = check_proof(path)
    assert result.exit_code == 1
    assert f"charter version {first.charter_version.digest[:12]}…: its data do not give its digest" in result.output


def test_a_record_not_sealed_yet_is_said_so(client):
    client.post("/fr/cookies/consent/", {"choice": "refuse-all"})
    consent_id = ConsentRecord.objects.get().consent_id
    outcome = core_bundle.check(json.loads(json.dumps(visitor_proof.build("default", consent_id))))
    assert outcome.ok
    assert any("not sealed yet" in line for line in outcome.not_rechecked)


# -- the back office -------------------------------------------------------------------------------


def staff(client, django_user_model, *codenames):
    user = django_user_model.objects.create_user("u-" + "-".join(codenames), password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


@pytest.mark.parametrize("codenames", [(), ("view_overview",), ("export_ledger",), ("view_overview", "verify_ledger")])
def test_without_both_permissions_403(client, django_user_model, visitor, codenames):
    staff(client, django_user_model, *codenames)
    for url in (PROOF, PROOF + "json/", PROOF + "pdf/"):
        assert client.get(url, {"consent_id": visitor}).status_code == 403
    if "view_overview" in codenames:
        assert PROOF not in client.get(PAGE).content.decode()


def test_anonymous_is_sent_to_the_login(client, visitor):
    response = client.get(PROOF, {"consent_id": visitor})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.fixture
def dpo(client, django_user_model):
    return staff(client, django_user_model, "view_overview", "export_ledger")


def test_from_the_overview_to_the_records_in_french_and_english(dpo, visitor):
    overview = dpo.get(PAGE).content.decode()
    assert f'action="{PROOF}"' in overview and "Preuve pour un visiteur" in overview
    response = dpo.get(PROOF, {"consent_id": visitor}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "2 enregistrements pour cet identifiant de consentement" in html
    assert "Télécharger le JSON" in html and "Télécharger le PDF" in html
    assert html.count("data-record=") == 2
    english = dpo.get(PROOF, {"consent_id": visitor}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 records for this consent id" in english and "Download JSON" in english


def test_malformed_id_is_a_400_and_unknown_a_404_with_a_message(dpo, visitor):
    response = dpo.get(PROOF, {"consent_id": "<script>"})
    assert response.status_code == 400
    assert "n’est pas un identifiant de consentement" in response.content.decode()
    assert "<script>" not in response.content.decode()
    for url in (PROOF, PROOF + "json/", PROOF + "pdf/"):
        response = dpo.get(url, {"consent_id": "A" * 16}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert "No record has this consent id on the site “default”." in response.content.decode()
    assert dpo.get(PROOF + "json/", {"consent_id": "%%%"}).status_code == 400


def test_json_download_checks_out(dpo, visitor, tmp_path):
    response = dpo.get(PROOF + "json/", {"consent_id": visitor})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="proof-{visitor}.json"'
    path = tmp_path / "downloaded.json"
    path.write_bytes(response.content)
    result = check_proof(path, "--charter", str(tmp_path / "charter.toml"))
    assert result.exit_code == 0, result.output


def test_pdf_download_opens_and_shows_the_proof(dpo, visitor):
    response = dpo.get(PROOF + "pdf/", {"consent_id": visitor}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join("\n".join(page.extract_text() for page in reader.pages).split())
    assert reader.trailer["/Root"]["/Lang"] == "en"
    for expected in (
        "Proof for one visitor",
        visitor,
        "Accept all",
        "Withdrawal",
        "Intact: the chain of 1 seals",
        "Seal 1",
    ):
        assert expected in text, expected
    assert "Audience measurement of the portal" in text
    # Hashes are printed whole, to be compared with the JSON and the checker's output.
    for record in ConsentRecord.objects.filter(consent_id=visitor):
        assert record.record_hash in text and record.charter_version.digest in text
    french = dpo.get(PROOF + "pdf/", {"consent_id": visitor}, HTTP_ACCEPT_LANGUAGE="fr")
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(french.content)).pages).split())
    assert "Preuve pour un visiteur" in text and "Tout accepter" in text
    assert "Intacte : la chaîne de 1 sceaux" in text


def test_pdf_without_reportlab_says_so(dpo, visitor, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "cookiecharter.page.proof_pdf", None)  # as if reportlab were missing
    response = dpo.get(PROOF + "pdf/", {"consent_id": visitor}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 501
    html = response.content.decode()
    assert "install the “pdf” extra" in html and "Download JSON" in html


# -- a site's own AdminSite ------------------------------------------------------------------------

from django.conf.urls.i18n import i18n_patterns  # noqa: E402
from django.contrib.admin import AdminSite  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from cookiecharter.admin.overview import ComplianceOverviewAdmin  # noqa: E402
from cookiecharter.models import ComplianceOverview  # noqa: E402

dpo_site = AdminSite(name="dpo")
dpo_site.register(ComplianceOverview, ComplianceOverviewAdmin)

#: This module doubles as a URLconf for the test below (ROOT_URLCONF=__name__).
urlpatterns = [path("dpo/", dpo_site.urls), *i18n_patterns(path("cookies/", include("cookiecharter.urls")))]


def test_works_on_a_custom_admin_site(dpo, visitor):
    with override_settings(ROOT_URLCONF=__name__):
        overview = dpo.get("/dpo/cookiecharter/complianceoverview/").content.decode()
        assert 'action="/dpo/cookiecharter/complianceoverview/proof/"' in overview
        html = dpo.get("/dpo/cookiecharter/complianceoverview/proof/", {"consent_id": visitor}).content.decode()
        assert f"/dpo/cookiecharter/complianceoverview/proof/json/?site=default&amp;consent_id={visitor}" in html
        response = dpo.get("/dpo/cookiecharter/complianceoverview/proof/json/", {"consent_id": visitor})
        assert response.status_code == 200 and json.loads(response.content)["consent_id"] == visitor


# -- the same tests on PostgreSQL ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(databases=[])
def test_visitor_proof_suite_on_postgresql(require_postgres):
    rerun_on_postgresql("proof", __file__)
