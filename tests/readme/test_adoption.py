"""The README's adoption steps, taken from the README itself and applied to a brand-new project made
with ``django-admin startproject``: then ``check`` says nothing, a page shows the banner, the charter
page answers in French and English with its PDF, and a refusal posted without JavaScript is stored.
The blocks are read between ``<!-- adopt:NAME -->`` markers, so the README and this test cannot drift.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.newproject import BIN, adopt, fenced, run

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str) -> str:
    """The fenced block right after ``<!-- adopt:NAME -->``."""
    return fenced(README, "adopt", name)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("newcomer")
    # Step 1 is the install, which this environment has already done; check it names the extras.
    assert "[django,pdf]" in block("install")
    adopt(home, block)  # steps 2 to 4, as written
    # The test's own part: a page at "/" that uses the base template.
    (home / "templates" / "home.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Bienvenue</h1>{% endblock %}', encoding="utf-8"
    )
    with (home / "mysite" / "urls.py").open("a", encoding="utf-8") as f:
        f.write(
            textwrap.dedent("""
            from django.views.generic import TemplateView
            urlpatterns += i18n_patterns(path("", TemplateView.as_view(template_name="home.html")))
        """)
        )
    return home


def test_check_finds_nothing_to_say(project):
    done = run([sys.executable, "manage.py", "check"], project)
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


VISIT = textwrap.dedent("""
    import json, re, django
    django.setup()
    from django.test import Client
    from cookiecharter.models import ConsentRecord
    client = Client(HTTP_HOST="localhost")  # a new project under DEBUG answers localhost
    page = client.get("/fr/")
    html = page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    pages = {url: client.get(url) for url in ("/fr/cookies/", "/en/cookies/", "/fr/cookies/pdf/")}
    refused = client.post("/fr/cookies/consent/", {"choice": "refuse-all", "next": "/fr/",
                                                   "csrfmiddlewaretoken": token})
    print(json.dumps({
        "page": page.status_code, "banner": "data-cookiecharter-banner" in html,
        "statuses": {url: r.status_code for url, r in pages.items()},
        "pdf": pages["/fr/cookies/pdf/"].content[:4].decode("latin-1"),
        "english": "Cookie charter" in pages["/en/cookies/"].content.decode(),
        "in_layout": "<main>" in pages["/fr/cookies/"].content.decode(),
        "refused": refused.status_code, "cookie": refused.cookies["cookies_preferences"].value,
        "records": list(ConsentRecord.objects.values_list("method", flat=True)),
    }))
""")


def test_a_page_shows_the_banner_the_charter_answers_and_a_refusal_is_stored(project):
    done = subprocess.run(
        [sys.executable, "-c", VISIT],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "mysite.settings", "PYTHONPATH": str(project)},
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["page"] == 200 and seen["banner"]
    assert seen["statuses"] == {"/fr/cookies/": 200, "/en/cookies/": 200, "/fr/cookies/pdf/": 200}
    assert seen["pdf"] == "%PDF" and seen["english"] and seen["in_layout"]
    assert seen["refused"] == 302 or seen["refused"] == 303
    assert seen["cookie"].split(".")[3] == ""  # a refusal
    assert seen["records"] == ["refuse-all"]
