"""The two charters shipped with the demo load into the model, with the seed's four cookies."""

from __future__ import annotations

from pathlib import Path

import pytest

from cookiecharter.core import Exemption, Lifetime, MatchKind, Party, load_charter

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "charter.toml"
SEED = ROOT / "demo" / "charter-seed.toml"
SEED_NAMES = ["sessionid", "django_language", "csrftoken", "cookies_preferences"]


def test_seed_charter_is_exactly_the_seed_table() -> None:
    charter = load_charter(SEED)
    assert charter.languages == ("fr", "en")
    assert charter.controller.name == "Ville d'Aix-en-Provence"
    assert [p.key for p in charter.purposes] == ["necessary"]
    assert charter.purpose("necessary").exemption is Exemption.STRICTLY_NECESSARY
    assert [c.name.value for c in charter.cookies] == SEED_NAMES
    assert all(c.name.kind is MatchKind.EXACT and c.provider == "Opendatasoft" for c in charter.cookies)
    assert not charter.needs_consent
    by_name = {c.name.value: c for c in charter.cookies}
    assert by_name["sessionid"].lifetime == Lifetime.parse("2 weeks")
    assert by_name["django_language"].lifetime.is_session
    assert by_name["csrftoken"].lifetime.seconds == 52 * 7 * 86_400
    assert by_name["cookies_preferences"].lifetime == Lifetime.parse("6 months")
    assert by_name["sessionid"].service["fr"] == "Authentification (front et back office)"
    assert by_name["csrftoken"].source is not None and by_name["csrftoken"].source.line == 44


def test_demo_charter_adds_a_consent_purpose_and_a_third_party() -> None:
    charter = load_charter(str(DEMO))
    assert [p.key for p in charter.purposes] == ["necessary", "statistics", "embeds"]
    assert [p.key for p in charter.consent_purposes] == ["statistics", "embeds"]
    assert charter.purpose("embeds").refused_by_gpc
    assert charter.purpose("statistics").consent_mode == ("analytics_storage",)
    widget = charter.match("mapwidget_session")
    assert widget is not None and widget.party is Party.THIRD and widget.domain == "localhost"
    assert charter.match("portal_audience").purpose == "statistics"  # type: ignore[union-attr]
    assert charter.match("_ga") is None
    assert charter.source is not None and charter.source.file == str(DEMO)
    assert len(charter.consent_version) == 10


@pytest.mark.parametrize("path", [DEMO, SEED])
def test_loading_is_deterministic(path: Path) -> None:
    assert load_charter(path) == load_charter(path)
    assert load_charter(path).digest == load_charter(path).digest


def test_the_loaded_charter_is_immutable_all_the_way_down() -> None:
    import dataclasses

    charter = load_charter(DEMO)
    with pytest.raises(dataclasses.FrozenInstanceError):
        charter.cookies[0].provider = "someone else"  # type: ignore[misc]
    with pytest.raises(TypeError):
        charter.cookies[0].description["fr"] = "autre"  # type: ignore[index]
    with pytest.raises(TypeError):
        charter.purposes[0].title["en"] = "other"  # type: ignore[index]
    assert isinstance(charter.cookies, tuple) and isinstance(charter.purposes, tuple)
