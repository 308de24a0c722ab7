"""Browser signals: the ADPC header read as the draft writes it, and with Global Privacy Control,
what each signal does to a visitor's choice (docs/signals.md)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core.consent import Consent, Method
from cookiecharter.core.loading import CharterError, loads_charter
from cookiecharter.core.signals import AdpcHeader, Signals, read_signals, signal_choice
from tests import fuzzing
from tests.charter_samples import HEAD

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)

PURPOSES = """
[purposes.basics]
exemption = "strictly-necessary"
title.en = "Essentials"
description.en = "So that the site works."

[purposes.statistics]
adpc = "statistics"
adpc_consent = true
title.en = "Statistics"
description.en = "Count visits."

[purposes.embeds]
adpc = "https://example.org/adpc#embeds"
title.en = "Embedded content"
description.en = "A map from a third party."

[purposes.ads]
adpc = "ads"
adpc_consent = true
refused_by_gpc = true
title.en = "Advertising"
description.en = "Ads."

[purposes.survey]
title.en = "Survey"
description.en = "No ADPC identifier: no ADPC signal reaches it, except withdraw=*."
"""
COOKIES = "".join(
    f"""
[[cookies]]
name = "{name}"
provider = "Test"
purpose = "{purpose}"
service.en = "S"
description.en = "D"
lifetime = "1 day"
{"reason.en = 'Needed.'" if purpose == "basics" else ""}
"""
    for name, purpose in [("sid", "basics"), ("_st", "statistics"), ("map", "embeds"), ("ad", "ads"), ("sv", "survey")]
)
CHARTER = loads_charter(HEAD.format(languages='["en"]') + PURPOSES + COOKIES, "signals.toml")
KEYS = [p.key for p in CHARTER.consent_purposes]


def signals(header: str | None = None, gpc: bool = False) -> Signals:
    return read_signals(CHARTER, gpc=gpc, adpc=AdpcHeader.parse(header))


def decided(*granted: str) -> Consent:
    return Consent("A" * 16, NOW, CHARTER.consent_version, frozenset(granted))


UNDECIDED = Consent.undecided()


# -- reading the header ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "consent", "withdraw", "objections"),
    [
        ('consent="q1analytics q2recommendation"', {"q1analytics", "q2recommendation"}, set(), set()),
        ("withdraw=q2recommendation, consent=q1analytics", {"q1analytics"}, {"q2recommendation"}, set()),
        ("withdraw=*", set(), {"*"}, set()),
        ('withdraw=*, object=direct-marketing, consent="a b"', {"a", "b"}, {"*"}, {"direct-marketing"}),
        # Two headers, joined by the server with a comma; the semicolon variant seen in the wild.
        ("consent=a, consent=b", {"a", "b"}, set(), set()),
        ('consent="a"; withdraw="b"', {"a"}, {"b"}, set()),
        ("CONSENT=a", {"a"}, set(), set()),
        # An unreadable directive is skipped, not guessed at; an unknown one is ignored; an unclosed
        # quote makes the whole header unreadable.
        ('consent="a, withdraw=b', set(), set(), set()),
        ('odd thing="x, y", withdraw=z', set(), {"z"}, set()),
        ("garbage, withdraw=x", set(), {"x"}, set()),
        ("future=thing, withdraw=x", set(), {"x"}, set()),
        ("consent=", set(), set(), set()),
    ],
)
def test_the_header_is_read_as_the_draft_writes_it(header, consent, withdraw, objections):
    parsed = AdpcHeader.parse(header)
    got = (set(parsed.consent), set(parsed.withdraw), set(parsed.object)) if parsed else (set(), set(), set())
    assert got == (consent, withdraw, objections)


def test_no_header_an_empty_one_or_an_oversized_one_is_no_signal():
    assert AdpcHeader.parse(None) is None and AdpcHeader.parse("") is None
    assert AdpcHeader.parse("nonsense") is None
    assert AdpcHeader.parse("withdraw=*, " + "x" * 5000) is None


@fuzzing.mark
@fuzzing.fuzz(300)
@given(st.text(max_size=300))
def test_any_header_reads_without_raising(text):
    parsed = AdpcHeader.parse(text)
    if parsed is not None:
        read_signals(CHARTER, gpc=False, adpc=parsed)


# -- what the signals say of the charter's purposes -------------------------------------------
def test_a_withdrawal_refuses_the_purpose_its_identifier_names():
    assert signals("withdraw=https://example.org/adpc#embeds").adpc_refused == {"embeds"}
    assert signals("withdraw=unknown-id") == Signals()


def test_withdraw_all_spares_what_the_same_header_consents_to():
    found = signals('withdraw=*, consent="statistics https://example.org/adpc#embeds"')
    assert found.adpc_refused == {"ads", "survey"}
    # embeds does not opt in to signal-based consent: spared by withdraw=*, but not granted.
    assert found.adpc_granted == {"statistics"}


def test_an_objection_to_direct_marketing_refuses_what_gpc_refuses():
    assert signals("object=direct-marketing").adpc_refused == {"ads"}
    assert signals("object=profiling") == Signals()


def test_a_consent_grants_only_purposes_that_opt_in():
    assert signals('consent="statistics embeds ads"').adpc_granted == {"statistics", "ads"}


def test_gpc_and_adpc_together_refusal_wins():
    both = signals("consent=ads", gpc=True)
    assert both.gpc_refused == {"ads"} and both.adpc_granted == frozenset()
    assert signals("withdraw=statistics, consent=statistics").adpc_granted == frozenset()


def test_gpc_alone_refuses_the_marked_purposes():
    assert signals(gpc=True) == Signals(gpc_refused=frozenset({"ads"}))


# -- what they do to a visitor's choice -------------------------------------------------------
def test_a_withdrawal_takes_back_what_a_visitor_granted_on_the_site():
    choice = signal_choice(decided("statistics", "embeds"), signals("withdraw=statistics"), KEYS)
    assert choice is not None and choice.method is Method.ADPC and choice.complete
    assert choice.granted == {"embeds"} and choice.choices == {"statistics": False}


def test_a_signal_that_changes_nothing_records_nothing():
    assert signal_choice(decided("embeds"), signals("withdraw=statistics"), KEYS) is None
    assert signal_choice(decided(), signals(gpc=True), KEYS) is None
    assert signal_choice(UNDECIDED, Signals(), KEYS) is None


def test_a_consent_signal_does_not_reopen_a_choice_made_on_the_site():
    assert signal_choice(decided(), signals("consent=statistics"), KEYS) is None


def test_gpc_does_not_reopen_a_choice_made_on_the_site():
    # The explicit switch a visitor ticked is an opt-in GPC allows; the cookie cannot tell it from
    # "accept all", so a choice on the site stands (docs/signals.md).
    assert signal_choice(decided("ads"), signals(gpc=True), KEYS) is None


def test_before_any_choice_signals_settle_what_they_name_and_the_banner_asks_the_rest():
    choice = signal_choice(UNDECIDED, signals("withdraw=ads, consent=statistics"), KEYS)
    assert choice is not None and not choice.complete and choice.method is Method.ADPC
    assert choice.granted == {"statistics"} and choice.choices == {"statistics": True, "ads": False}


def test_before_any_choice_signals_that_settle_everything_are_a_whole_choice():
    choice = signal_choice(UNDECIDED, signals('withdraw=*, consent="statistics"'), KEYS)
    assert choice is not None and choice.complete and choice.granted == {"statistics"}


def test_gpc_on_arrival_is_recorded_as_a_browser_signal():
    choice = signal_choice(UNDECIDED, signals(gpc=True), KEYS)
    assert choice is not None and choice.method is Method.BROWSER_SIGNAL and choice.granted == frozenset()
    assert choice.choices == {"ads": False} and not choice.complete


def test_a_recorded_signal_choice_is_not_recorded_again():
    on_record = Consent("B" * 16, NOW, CHARTER.consent_version, frozenset({"statistics"}), browser_signal=True)
    assert signal_choice(on_record, signals("consent=statistics"), KEYS) is None
    later = signal_choice(on_record, signals("withdraw=statistics"), KEYS)
    assert later is not None and later.granted == frozenset()


@given(
    st.frozensets(st.sampled_from(KEYS)),
    st.lists(
        st.sampled_from(
            [
                "consent=statistics",
                "consent=ads",
                "withdraw=*",
                "withdraw=embeds",
                "object=direct-marketing",
                'consent="statistics embeds ads survey"',
            ]
        ),
        max_size=4,
    ),
    st.booleans(),
)
def test_a_signal_never_grants_what_a_choice_on_the_site_refused(granted, parts, gpc):
    choice = signal_choice(decided(*granted), signals(", ".join(parts), gpc=gpc), KEYS)
    if choice is not None:
        assert choice.granted < granted


# -- the charter's side -----------------------------------------------------------------------
def _broken(purposes: str) -> str:
    with pytest.raises(CharterError) as caught:
        loads_charter(HEAD.format(languages='["en"]') + purposes + COOKIES, "broken.toml")
    return str(caught.value)


def test_the_charter_says_what_is_wrong_with_an_identifier():
    assert "purposes.embeds.adpc" in _broken(
        PURPOSES.replace('adpc = "https://example.org/adpc#embeds"', 'adpc = "statistics"')
    )
    assert "spaces" in _broken(PURPOSES.replace('adpc = "ads"', 'adpc = "two words"'))
    assert "spaces" in _broken(PURPOSES.replace('adpc = "ads"', 'adpc = "*"'))
    message = _broken(PURPOSES.replace('adpc = "statistics"\n', ""))
    assert "purposes.statistics.adpc_consent" in message and "needs the purpose's ADPC identifier" in message
    exempt = PURPOSES.replace('exemption = "strictly-necessary"', 'exemption = "strictly-necessary"\nadpc = "basics"')
    assert "purposes.basics.adpc" in _broken(exempt)


def test_an_identifier_changes_the_digest_only_of_a_charter_that_has_one():
    plain = loads_charter(
        HEAD.format(languages='["en"]') + PURPOSES.replace('adpc = "statistics"\nadpc_consent = true\n', "") + COOKIES,
        "plain.toml",
    )
    assert "adpc" not in plain.as_data()["purposes"][1]
    assert CHARTER.as_data()["purposes"][1]["adpc"] == "statistics"
    assert plain.consent_version == CHARTER.consent_version  # what consent is about did not change
