"""``cookiecharter_init --scan URL``: the starting charter also declares what the running site sets,
found by the scanner in a real headless Chromium on a fixture site served for real."""

from __future__ import annotations

import io
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cookiecharter.core.lifetime import Lifetime
from cookiecharter.core.loading import load_charter

pytestmark = pytest.mark.browser

DJANGOS = ("sessionid", "csrftoken", "django_language", "cookies_preferences")  # tests/settings.py's


def init_with_scan(path, *urls: str) -> str:
    out = io.StringIO()
    scans = [arg for url in urls for arg in ("--scan", url)]
    call_command(
        "cookiecharter_init", "--controller", "Ville de Test", "--contact", "dpo@test.example",
        "--output", str(path), *scans, "--scan-pages", "1", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


def test_init_scan_declares_what_the_running_site_sets(site_server, chromium, tmp_path) -> None:
    site = site_server("init-draft")
    path = tmp_path / "charter.toml"
    # The same site under its second host name: everything it sets is declared by then, once.
    said = init_with_scan(path, site.url, site.third + "/")
    charter = load_charter(path)  # the loader refuses a cookie declared twice
    assert charter.languages == ("fr", "en")
    names = [c.name.value for c in charter.cookies]
    # Django's cookies, as the settings name them, first; the site sets csrftoken too, and it is
    # not declared again.
    assert names[:4] == list(DJANGOS) and names.count("csrftoken") == 1
    assert set(names[4:]) == {"_ga", "basket_js", "srv_visit"}, names
    for name in ("_ga", "basket_js", "srv_visit"):
        cookie = charter.match(name)
        assert cookie is not None, name
        purpose = charter.purpose(cookie.purpose)
        assert set(purpose.title) == set(purpose.description) == {"fr", "en"}, name
        assert set(cookie.service) == set(cookie.description) == {"fr", "en"}, name
    ga, basket, visit = charter.match("_ga"), charter.match("basket_js"), charter.match("srv_visit")
    assert ga and basket and visit
    # Known to the knowledge base: its vendor and usual purpose, which needs consent.
    assert ga.provider == "Google Analytics" and ga.purpose == "statistics"
    assert charter.purpose("statistics").needs_consent
    assert charter.purpose("statistics").title == {"fr": "Mesure d'audience", "en": "Audience measurement"}
    # Unknown: a purpose to be classified, which needs consent until a person says otherwise.
    assert basket.purpose == visit.purpose == "unclassified" and charter.purpose("unclassified").needs_consent
    # The lifetimes the site asked for (a week by its header, an hour by its script).
    assert visit.lifetime == Lifetime.parse("1 week") and basket.lifetime.seconds == 3_600
    text = path.read_text(encoding="utf-8")
    assert 'provider = "127.0.0.1"  # TODO: who sets it?' in text
    assert f"# Found by a scan of {site.url}" in text and "Every cookie seen is declared" in text
    assert "7 cookies (3 found by the scan)" in said


def test_init_scan_of_a_site_that_does_not_answer_writes_nothing(chromium, tmp_path) -> None:
    with socket.socket() as sock:  # a port nothing listens on any more
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "new" / "charter.toml"
    with pytest.raises(
        CommandError, match=rf"cannot scan http://127\.0\.0\.1:{port}/, so nothing was written: .*could not be loaded"
    ):
        init_with_scan(path, f"http://127.0.0.1:{port}/")
    assert not path.parent.exists()
