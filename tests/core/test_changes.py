"""What changed between two charter versions, as the back office shows it: no Django, two charters
loaded from TOML (the demo's, edited as an editor would), compared as the ledger stores them
(``Charter.as_data()``)."""

from __future__ import annotations

from pathlib import Path

from cookiecharter.core import loads_charter
from cookiecharter.core.changes import FieldChange, ItemChange, Words, compare, word_diff

ROOT = Path(__file__).resolve().parents[2]
DEMO = (ROOT / "demo" / "charter.toml").read_text(encoding="utf-8")
SISTER = (ROOT / "demo" / "charter-sister.toml").read_text(encoding="utf-8")


def data(text: str) -> dict:
    return loads_charter(text, "test.toml").as_data()


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def marked(change: FieldChange, kind: str) -> list[str]:
    return [w.text.strip() for w in change.words if w.kind == kind]


def only(items: tuple[ItemChange, ...], key: str) -> ItemChange:
    found = [i for i in items if i.key == key]
    assert len(found) == 1, [i.key for i in items]
    return found[0]


def field(item: ItemChange, name: str, language: str = "") -> FieldChange:
    found = [f for f in item.fields if f.field == name and f.language == language]
    assert len(found) == 1, [(f.field, f.language) for f in item.fields]
    return found[0]


def test_the_same_charter_has_no_change():
    assert compare(data(DEMO), data(DEMO)).empty


def test_words_are_marked_a_changed_phrase_as_one_run():
    assert word_diff("13 months", "25 months") == (
        Words("13 ", "removed"),
        Words("25 ", "added"),
        Words("months", "same"),
    )
    assert word_diff("Visit statistics", "Audience measurement") == (
        Words("Visit statistics", "removed"),
        Words("Audience measurement", "added"),
    )
    assert word_diff("", "new") == (Words("new", "added"),)
    assert word_diff("same", "same") == (Words("same", "same"),)


def test_a_purpose_changed_says_which_field_in_which_language():
    newer = edit(DEMO, 'title.fr = "Mesure d\'audience"', 'title.fr = "Mesure de fréquentation"')
    newer = edit(newer, 'adpc = "embeds"', 'adpc = "embeds"\n')  # untouched purpose: no line
    newer = edit(newer, "[purposes.statistics]\n", "[purposes.statistics]\nrefused_by_gpc = true\n")
    changes = compare(data(DEMO), data(newer))
    assert [(i.kind, i.key) for i in changes.purposes] == [("changed", "statistics")]
    statistics = changes.purposes[0]
    title = field(statistics, "title", "fr")
    assert (title.before, title.after) == ("Mesure d'audience", "Mesure de fréquentation")
    assert marked(title, "removed") == ["d'audience"] and marked(title, "added") == ["de fréquentation"]
    assert marked(title, "same") == ["Mesure"]
    gpc = field(statistics, "refused_by_gpc")
    assert (gpc.before, gpc.after, gpc.words) == (False, True, ())
    # The English title did not change, so it is not listed.
    assert [(f.field, f.language) for f in statistics.fields] == [("title", "fr"), ("refused_by_gpc", "")]
    assert statistics.title("fr") == "Mesure de fréquentation" and statistics.title("en") == "Audience measurement"
    assert not changes.cookies and not changes.controller and changes.edition is None


def test_a_purpose_that_stops_needing_consent():
    newer = data(DEMO)
    newer["purposes"][1]["exemption"] = "audience-measurement"
    statistics = only(compare(data(DEMO), newer).purposes, "statistics")
    needs = field(statistics, "needs_consent")
    assert (needs.before, needs.after) == (True, False)
    assert field(statistics, "exemption").after == "audience-measurement"


def test_cookies_added_removed_and_changed():
    older = data(DEMO)
    newer = edit(DEMO, 'lifetime = "13 months"', 'lifetime = "25 months"')
    newer = edit(newer, 'provider = "MapWidget (démonstration)"', 'provider = "MapWidget SAS"')
    newer += (
        '\n[[cookies]]\nname = "_pk_id*"\nprovider = "Matomo"\npurpose = "statistics"\n'
        'service.fr = "Mesure"\nservice.en = "Measurement"\ndescription.fr = "Visiteur"\n'
        'description.en = "Visitor"\nlifetime = "13 months"\n'
    )
    newer = edit(
        newer,
        'description.fr = "Se souvenir de la langue du visiteur"',
        'description.fr = "Se souvenir de la langue choisie par le visiteur"',
    )
    changes = compare(older, data(newer))
    assert [(i.kind, i.key) for i in changes.cookies] == [
        ("changed", "django_language"),
        ("changed", "portal_audience"),
        ("changed", "mapwidget_session"),
        ("added", "_pk_id*"),
    ]
    lifetime = field(only(changes.cookies, "portal_audience"), "lifetime")
    assert (lifetime.before, lifetime.after) == ("13 months", "25 months")
    assert marked(lifetime, "removed") == ["13"] and marked(lifetime, "added") == ["25"]
    provider = field(only(changes.cookies, "mapwidget_session"), "provider")
    assert marked(provider, "removed") == ["(démonstration)"] and marked(provider, "added") == ["SAS"]
    language = field(only(changes.cookies, "django_language"), "description", "fr")
    assert marked(language, "added") == ["choisie par le"]
    # An added cookie lists what it declares (not the defaults it leaves out, like its path).
    added = only(changes.cookies, "_pk_id*")
    assert [(f.field, f.language) for f in added.fields] == [
        ("purpose", ""),
        ("provider", ""),
        ("lifetime", ""),
        ("service", "en"),
        ("service", "fr"),
        ("description", "en"),
        ("description", "fr"),
    ]
    assert all(w.kind == "added" for f in added.fields for w in f.words)

    # The other way round, the same cookie is removed, its words all struck out.
    back = compare(data(newer), older)
    removed = only(back.cookies, "_pk_id*")
    assert removed.kind == "removed"
    assert field(removed, "provider").before == "Matomo" and field(removed, "provider").after is None
    assert all(w.kind == "removed" for f in removed.fields for w in f.words)


def test_the_controller_the_edition_and_whole_purposes():
    # From the demo's main portal to its sister: another controller, and two purposes fewer.
    changes = compare(data(DEMO), data(SISTER))
    assert [f.field for f in changes.controller] == ["name", "contact", "url"]
    contact = changes.controller[1]
    assert (contact.before, contact.after) == ("dpo@mairie-aixenprovence.fr", "dpo@sainte-victoire.example")
    assert [(i.kind, i.key) for i in changes.purposes] == [("removed", "statistics"), ("removed", "embeds")]
    embeds = only(changes.purposes, "embeds")
    assert embeds.title("en") == "Embedded content (map)"
    assert field(embeds, "refused_by_gpc").before is True
    assert field(embeds, "needs_consent").before is True
    assert {(i.kind, i.key) for i in changes.cookies} == {
        ("removed", "portal_audience"),
        ("removed", "mapwidget_session"),
    }

    newer = edit(DEMO, 'edition = "2026-11"', 'edition = "2027-01"')
    edition = compare(data(DEMO), data(newer)).edition
    assert edition is not None and (edition.before, edition.after) == ("2026-11", "2027-01")


def test_a_version_stored_without_some_fields_compares_too():
    """Versions stored by older releases may lack a field (ADPC came later): absent reads as unset."""
    older = data(DEMO)
    for purpose in older["purposes"]:
        purpose.pop("adpc", None)
        purpose.pop("adpc_consent", None)
    changes = compare(older, data(DEMO))
    statistics = only(changes.purposes, "statistics")
    assert (field(statistics, "adpc").before, field(statistics, "adpc").after) == (None, "statistics")
    assert field(statistics, "adpc_consent").after is True
