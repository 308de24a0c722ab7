"""docs/tutorial.md, applied as written to a project made with ``django-admin startproject``: the blocks
between ``<!-- tutorial:NAME -->`` markers are read from the page, so the page and this test cannot
drift. The steps it shares with the README's adoption are the README's own blocks, word for word.
Then: ``check`` says nothing, the banner shows and the measurement cookie is held back, the charter
page answers in French and English with its PDF, accepting lets the cookie through, the choice is
in the ledger, and ``cookiecharter_verify`` finds it intact. The scan step needs a browser: only its
command line is checked here (tests/scan/ covers the scanner itself).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.newproject import ENV, adopt, fenced, manage

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str, text: str = TUTORIAL, marker: str = "tutorial") -> str:
    """The fenced block right after ``<!-- MARKER:NAME -->``."""
    return fenced(text, marker, name)


@pytest.mark.parametrize("name", ["install", "settings", "urls", "template", "shell", "charter"])
def test_the_steps_the_readme_has_are_the_readmes(name):
    assert block(name) == block(name, README, "adopt")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("tutorial")
    adopt(home, block)  # steps 1 to 5, the README's own
    # Step 6.
    (home / "mysite" / "views.py").write_text(block("views"), encoding="utf-8")
    with (home / "mysite" / "urls.py").open("a", encoding="utf-8") as f:
        f.write("\n" + block("home-url"))
    (home / "templates" / "home.html").write_text(block("home"), encoding="utf-8")
    return home


VISIT = textwrap.dedent("""
    import json, re, django
    django.setup()
    from django.test import Client
    from cookiecharter.models import ConsentRecord
    client = Client(HTTP_HOST="127.0.0.1")  # a new project under DEBUG answers 127.0.0.1
    first = client.get("/fr/")
    html = first.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    pages = {url: client.get(url) for url in ("/fr/cookies/", "/en/cookies/", "/fr/cookies/pdf/")}
    accepted = client.post("/fr/cookies/consent/", {"choice": "accept-all", "next": "/fr/",
                                                    "csrfmiddlewaretoken": token})
    later = client.get("/fr/")
    print(json.dumps({
        "first": [first.status_code, "data-cookiecharter-banner" in html, "measurement: off." in html,
                  sorted(first.cookies)],
        "statuses": {url: r.status_code for url, r in pages.items()},
        "pdf": pages["/fr/cookies/pdf/"]["Content-Disposition"],
        "accepted": [accepted.status_code, accepted["Location"]],
        "later": ["measurement: on." in later.content.decode(), sorted(later.cookies)],
        "records": list(ConsentRecord.objects.values_list("method", flat=True)),
    }))
""")


def test_the_tutorial_works_as_it_says(project):
    assert "System check identified no issues" in manage("python manage.py check", project).stdout
    done = subprocess.run(
        [sys.executable, "-c", VISIT],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**ENV, "DJANGO_SETTINGS_MODULE": "mysite.settings", "PYTHONPATH": str(project)},
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # Step 6: the banner, and the measurement cookie held back (only the CSRF cookie goes out).
    assert seen["first"] == [200, True, True, ["csrftoken"]]
    assert "blocked cookie '_pk_id.1': not-consented (purpose 'statistics')" in done.stderr
    # Step 4: the charter page in both languages, and its PDF.
    assert seen["statuses"] == {"/fr/cookies/": 200, "/en/cookies/": 200, "/fr/cookies/pdf/": 200}
    assert seen["pdf"] == "inline; filename=charte-cookies-fr.pdf"
    # Step 7: accepting lets the cookie through, and the choice is recorded, then verified.
    assert seen["accepted"] == [303, "/fr/"]
    assert seen["later"] == [True, ["_pk_id.1"]]
    assert seen["records"] == ["accept-all"]
    verified = manage(block("verify").strip(), project).stdout
    assert "site default: ledger intact: 1 records, " in verified


def test_the_scan_command_is_one_the_scanner_takes():
    from cookiecharter.cli import main

    args = shlex.split(block("scan").strip())
    assert args[:2] == ["cookiecharter", "scan"]
    context = main.commands["scan"].make_context("scan", args[2:])
    assert context.params["charter_file"] == "charter.toml"
