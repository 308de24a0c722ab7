"""The precedence rules between a signed-in person's browser and their account, one by one
(``core.account``; docs/accounts.md), including servers whose clocks disagree."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core.account import SAME_TIME_SECONDS, AccountChoice, Step, reconcile
from cookiecharter.core.consent import SIX_MONTHS, Consent

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
VERSION = "0123456789"
ALL = frozenset({"statistics", "embeds"})
NONE: frozenset[str] = frozenset()


def browser(granted=ALL, minutes_ago: float = 10, version=VERSION) -> Consent:
    return Consent("B" * 16, NOW - timedelta(minutes=minutes_ago), version, frozenset(granted))


def account(granted=ALL, minutes_ago: float = 10, version=VERSION) -> AccountChoice:
    return AccountChoice(frozenset(granted), NOW - timedelta(minutes=minutes_ago), version)


def run(b: Consent, a: AccountChoice | None):
    return reconcile(b, a, consent_version=VERSION, now=NOW, max_age=SIX_MONTHS)


# Rule 1 -----------------------------------------------------------------------------------------
def test_an_account_choice_for_an_older_charter_counts_for_nothing():
    result = run(Consent.undecided(), account(ALL, version="old0000000"))
    assert result.step is Step.KEEP and result.effective == NONE and result.browser is None


def test_an_account_choice_older_than_the_cookie_lifetime_counts_for_nothing():
    stale = account(ALL, minutes_ago=SIX_MONTHS / 60 + 1)
    assert run(Consent.undecided(), stale).step is Step.KEEP


# Rule 2 -----------------------------------------------------------------------------------------
def test_without_an_account_choice_the_browser_keeps_its_own():
    result = run(browser(ALL), None)
    assert result.step is Step.KEEP and result.effective == ALL and result.account is None


# Rule 3 -----------------------------------------------------------------------------------------
def test_a_new_device_gets_the_accounts_choice_but_grants_nothing_on_the_switching_request():
    result = run(Consent.undecided(), account({"statistics"}))
    assert result.step is Step.APPLY and result.browser == {"statistics"}
    assert result.effective == NONE  # rule 6: nothing was granted here before
    assert result.decided_at == NOW - timedelta(minutes=10)  # the choice keeps the time it was made


def test_what_only_signals_settled_is_not_a_choice_and_gives_way_to_the_account():
    signalled = Consent("B" * 16, NOW, VERSION, frozenset({"statistics"}), browser_signal=True)
    result = run(signalled, account(ALL))
    assert result.step is Step.APPLY and result.browser == ALL and result.effective == {"statistics"}


# Rule 4 -----------------------------------------------------------------------------------------
def test_a_newer_refusal_on_the_account_is_applied_here():
    result = run(browser(ALL, minutes_ago=30), account(NONE, minutes_ago=5))
    assert result.step is Step.APPLY and result.browser == NONE and result.effective == NONE


def test_a_newer_acceptance_on_the_account_is_applied_from_the_next_request():
    result = run(browser(NONE, minutes_ago=30), account(ALL, minutes_ago=5))
    assert result.step is Step.APPLY and result.browser == ALL
    assert result.effective == NONE  # rule 6: the switching request keeps the refusal


def test_a_refusal_made_before_signing_in_is_not_overridden_by_an_older_acceptance():
    result = run(browser(NONE, minutes_ago=2), account(ALL, minutes_ago=60))
    assert result.step is Step.KEEP and result.effective == NONE and result.account is None


def test_a_newer_choice_made_while_signed_out_stays_in_its_browser():
    result = run(browser(ALL, minutes_ago=2), account(NONE, minutes_ago=60))
    assert result.step is Step.KEEP and result.effective == ALL and result.account is None


def test_the_same_choice_on_both_sides_changes_nothing():
    assert run(browser({"embeds"}, minutes_ago=1), account({"embeds"}, minutes_ago=50)).step is Step.KEEP


# Rule 5: clocks that disagree ---------------------------------------------------------------------
def test_two_choices_too_close_to_order_keep_what_both_grant_everywhere():
    # Two servers a second apart: the later choice may carry the earlier time.
    result = run(browser({"statistics"}, minutes_ago=10), account({"embeds"}, minutes_ago=10 - 1 / 60))
    assert result.step is Step.PROTECT
    assert result.effective == NONE and result.browser == NONE and result.account == NONE


def test_doubt_writes_only_the_side_that_changes():
    result = run(browser({"statistics"}, minutes_ago=10), account(ALL, minutes_ago=10 + 2 / 60))
    assert result.step is Step.PROTECT and result.browser is None and result.account == {"statistics"}


def test_an_account_choice_from_a_server_whose_clock_runs_ahead_still_applies():
    ahead = AccountChoice(frozenset(), NOW + timedelta(seconds=30), VERSION)
    result = run(browser(ALL, minutes_ago=60), ahead)
    assert result.step is Step.APPLY and result.browser == NONE


def test_beyond_the_skew_the_order_of_the_times_decides():
    apart = SAME_TIME_SECONDS + 1
    result = run(browser(ALL, minutes_ago=10), account(NONE, minutes_ago=10 - apart / 60))
    assert result.step is Step.APPLY and result.browser == NONE


# Properties -----------------------------------------------------------------------------------
choices = st.frozensets(st.sampled_from(sorted(ALL)))
ages = st.floats(min_value=0, max_value=600)


@given(choices, ages, choices, ages)
def test_a_request_never_uses_what_its_browser_did_not_grant(b_granted, b_age, a_granted, a_age):
    result = run(browser(b_granted, b_age), account(a_granted, a_age))
    assert result.effective <= b_granted


@given(choices, ages, choices, ages)
def test_once_written_both_sides_agree_or_the_browser_is_the_newer(b_granted, b_age, a_granted, a_age):
    b, a = browser(b_granted, b_age), account(a_granted, a_age)
    result = run(b, a)
    after_b = result.browser if result.browser is not None else b.granted
    after_a = result.account if result.account is not None else a.granted
    assert after_b == after_a or (result.step is Step.KEEP and b.decided_at > a.decided_at)
    # And applying it again changes nothing more: no device flips back and forth.
    again = run(
        Consent("B" * 16, result.decided_at or b.decided_at, VERSION, after_b),
        AccountChoice(after_a, a.decided_at if result.account is None else result.decided_at, VERSION),
    )
    assert again.browser is None and again.account is None
