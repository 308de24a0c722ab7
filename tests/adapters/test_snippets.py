"""The adapters' snippets in docs/adapters.md run as written, from a folder holding charter.toml,
and do what the page says: the consent read from the cookie, an unconsented cookie kept back."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cookiecharter.core.consent import Consent, ConsentCodec, new_consent_id
from cookiecharter.core.draft import charter_toml
from cookiecharter.core.loading import load_charter

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "adapters.md").read_text(encoding="utf-8")


def snippet(name: str) -> str:
    found = re.search(rf"<!-- snippet:{name} -->\s*```python\n(.*?)```", DOC, re.S)
    assert found, f"docs/adapters.md has no {name} snippet"
    return found.group(1)


@pytest.fixture
def in_a_site_folder(tmp_path, monkeypatch):
    demo = load_charter(ROOT / "demo" / "charter.toml")  # a statistics purpose that needs consent
    extra = (
        '\n[[cookies]]\nname = "_pk_id*"\nprovider = "x"\npurpose = "statistics"\nservice.fr = "s"\nservice.en = "s"\n'
        'description.fr = "d"\ndescription.en = "d"\nlifetime = "13 months"\n'
    )
    (tmp_path / "charter.toml").write_text(charter_toml(demo) + extra, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return load_charter(tmp_path / "charter.toml")


def granted(charter, key: bytes) -> str:
    return ConsentCodec(key).encode(
        Consent(new_consent_id(), datetime.now(timezone.utc), charter.consent_version, frozenset({"statistics"}))
    )


def test_the_starlette_snippet(in_a_site_folder):
    from starlette.testclient import TestClient

    space: dict = {}
    exec(compile(snippet("starlette"), "docs/adapters.md", "exec"), space)  # the doc's own code
    client = TestClient(space["app"])
    first = client.get("/")
    assert first.text == "statistics allowed: False" and "_pk_id.1" not in first.cookies
    client.cookies.set("cookies_preferences", granted(in_a_site_folder, space["CONSENT_KEY"]))
    later = client.get("/")
    assert later.text == "statistics allowed: True" and "_pk_id.1" in later.cookies


def test_the_flask_snippet(in_a_site_folder):
    space: dict = {"__name__": "snippet"}
    exec(compile(snippet("flask"), "docs/adapters.md", "exec"), space)  # the doc's own code
    client = space["app"].test_client()
    first = client.get("/")
    assert first.text == "statistics allowed: False" and "_pk_id.1" not in first.headers.get("Set-Cookie", "")
    client.set_cookie("cookies_preferences", granted(in_a_site_folder, space["CONSENT_KEY"]))
    later = client.get("/")
    assert later.text == "statistics allowed: True" and "_pk_id.1" in later.headers.get("Set-Cookie", "")
