"""The core's part of the proof bundle: a charter rebuilt from its stored data is the same charter
(same digest, consent version and texts digest), so a checker can recompute them without Django."""

from __future__ import annotations

import pytest

from cookiecharter.core.bundle import BundleError, check, data_digest
from cookiecharter.core.charter import charter_from_data
from cookiecharter.core.framework_cookies import FrameworkCookies, declare_framework_cookies
from cookiecharter.core.loading import load_charter
from cookiecharter.core.proof import banner_texts, digest_of_texts, texts_digest
from tests.charter_samples import ROOT, SEED


@pytest.mark.parametrize("path", [ROOT / "demo" / "charter.toml", SEED])
@pytest.mark.parametrize("framework", [False, True])
def test_a_charter_rebuilt_from_its_data_is_the_same_charter(path, framework):
    charter = load_charter(path)
    if framework:
        charter = declare_framework_cookies(charter, FrameworkCookies())
    again = charter_from_data(charter.as_data())
    assert again.as_data() == charter.as_data()
    assert again.digest == charter.digest == data_digest(charter.as_data())
    assert again.consent_version == charter.consent_version
    for lang in charter.languages:
        assert digest_of_texts(banner_texts(again, lang)) == texts_digest(charter, lang)


def test_data_that_is_not_a_charter_is_refused():
    with pytest.raises((KeyError, TypeError, ValueError)):
        charter_from_data({"controller": {}})


@pytest.mark.parametrize("bundle", [{}, {"format": "other/1"}, [], "text"])
def test_what_is_not_a_bundle_is_refused(bundle):
    with pytest.raises(BundleError):
        check(bundle)
