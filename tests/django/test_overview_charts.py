"""The overview's charts of choices over time: the per-day rates and the acceptance per purpose on a
known ledger (days without records, a range across two months, two sites kept apart, the days'
edges in TIME_ZONE), the daily counts following new decisions, withdrawals, late proof records
and a prune, and what the page does with a bad date range."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from cookiecharter import compliance, daily, ledger
from cookiecharter.models import ConsentRecord, DailyChoices, DailyChoicesMark
from cookiecharter.sites import registry
from tests.django.postgres_rerun import rerun_on_postgresql

pytestmark = pytest.mark.django_db

PAGE = "/admin/cookiecharter/complianceoverview/"
CONSENT = "/fr/cookies/consent/"
KEYS = ["statistics", "embeds"]
PARIS = timezone.get_default_timezone()

ALL = {"statistics": True, "embeds": True}
NONE = {"statistics": False, "embeds": False}
STATS_ONLY = {"statistics": True, "embeds": False}
GPC = {"embeds": False}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local time in TIME_ZONE (Europe/Paris)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def record(when: datetime, method: str, choices: dict[str, bool], site: str = "default") -> ConsentRecord:
    """A ledger row as the ledger writes it (the hash is not checked by anything here)."""
    version = ledger.charter_version(registry.get("default").charter)
    return ConsentRecord.objects.create(
        site=site,
        consent_id=f"{ConsentRecord.objects.count():016x}",
        created_at=when,
        charter_version=version,
        texts_digest="0" * 64,
        language="fr",
        choices=choices,
        method=method,
        record_hash="0" * 64,
    )


def counts(trend: compliance.ChoiceTrend) -> dict[date, dict[str, int]]:
    return {d.day: d.counts for d in trend.days}


# Thursday 30 October to Sunday 2 November 2025, looked at on 5 November.
OCT30, OCT31, NOV1, NOV2 = date(2025, 10, 30), date(2025, 10, 31), date(2025, 11, 1), date(2025, 11, 2)
NOW = at(date(2025, 11, 5), 12)


@pytest.fixture
def known(settings):
    """Site "default": 3 choices on 30 Oct (one at 23:30 local, which is 22:30 UTC), none on 31 Oct,
    one on 1 Nov at 00:30 local (still 31 Oct in UTC), two on 2 Nov. Site "sister": other choices on
    the same days, which must never show on "default"."""
    settings.COOKIECHARTER = {
        **settings.COOKIECHARTER,
        "SITES": {"sister": {"HOSTS": ["sister.example"], "CHARTER": settings.COOKIECHARTER["CHARTER"]}},
    }
    record(at(OCT30, 9), "accept-all", ALL)
    record(at(OCT30, 14), "accept-all", ALL)
    record(at(OCT30, 23, 30), "refuse-all", NONE)
    record(at(NOV1, 0, 30), "custom", STATS_ONLY)
    record(at(NOV2, 10), "withdraw", NONE)
    record(at(NOV2, 11), "browser-signal", GPC)
    for day in (OCT30, OCT31, NOV1, NOV2):
        record(at(day, 12), "accept-all", ALL, site="sister")
        record(at(day, 13), "accept-all", ALL, site="sister")


EXPECTED = {
    OCT30: {"accept-all": 2, "refuse-all": 1},
    OCT31: {},
    NOV1: {"custom": 1},
    NOV2: {"withdraw": 1, "browser-signal": 1},
}


def test_per_day_counts_and_rates_across_two_months(known):
    trend = compliance.choice_trend("default", KEYS, OCT30, NOV2, now=NOW)
    assert [d.day for d in trend.days] == [OCT30, OCT31, NOV1, NOV2]
    assert counts(trend) == EXPECTED
    by_day = {d.day: d for d in trend.days}
    assert by_day[OCT30].rate("accept-all") == pytest.approx(2 / 3)
    assert by_day[OCT30].rate("refuse-all") == pytest.approx(1 / 3)
    assert by_day[OCT30].rate("custom") == 0
    # A day without any choice has no rate (not 0 %): nothing was decided.
    assert by_day[OCT31].total == 0 and by_day[OCT31].rate("accept-all") is None
    assert by_day[NOV2].rate("withdraw") == pytest.approx(0.5)
    assert trend.total == 6
    # The five kinds of choice are always charted, the others only when the range holds some.
    assert [m for m, _label in trend.methods] == ["accept-all", "refuse-all", "custom", "withdraw", "browser-signal"]


def test_acceptance_per_purpose_over_the_range(known):
    trend = compliance.choice_trend("default", KEYS, OCT30, NOV2, now=NOW)
    shares = {s.key: (s.granted, s.decided) for s in trend.shares}
    # statistics: answered by all but the browser signal (5), granted by 2 accept-all + 1 custom.
    # embeds: answered by all 6, granted by the 2 accept-all only.
    assert shares == {"statistics": (3, 5), "embeds": (2, 6)}
    only_nov = compliance.choice_trend("default", KEYS, NOV1, NOV2, now=NOW)
    assert {s.key: (s.granted, s.decided) for s in only_nov.shares} == {"statistics": (1, 2), "embeds": (0, 3)}


def test_two_sites_are_kept_apart(known):
    sister = compliance.choice_trend("sister", KEYS, OCT30, NOV2, now=NOW)
    assert counts(sister) == {day: {"accept-all": 2} for day in (OCT30, OCT31, NOV1, NOV2)}
    assert {s.key: (s.granted, s.decided) for s in sister.shares} == {"statistics": (8, 8), "embeds": (8, 8)}
    assert compliance.ledger_state("sister", now=NOW).records == 8
    assert compliance.ledger_state("default", now=NOW).records == 6


def test_closed_days_are_read_from_the_daily_counts(known):
    compliance.choice_trend("default", KEYS, OCT30, NOV2, now=NOW)
    # Counted through the last day closed on 5 November: the 4th.
    assert DailyChoicesMark.objects.get(site="default").through == date(2025, 11, 4)
    rows = {(r.day, r.method, r.choices): r.count for r in DailyChoices.objects.filter(site="default")}
    assert rows == {
        (OCT30, "accept-all", json.dumps(ALL, sort_keys=True, separators=(",", ":"))): 2,
        (OCT30, "refuse-all", daily.canonical(NONE)): 1,
        (NOV1, "custom", daily.canonical(STATS_ONLY)): 1,
        (NOV2, "withdraw", daily.canonical(NONE)): 1,
        (NOV2, "browser-signal", daily.canonical(GPC)): 1,
    }
    # Proof that the figures come from those rows: change one, and the chart follows it.
    DailyChoices.objects.filter(site="default", day=NOV1).update(count=5)
    assert counts(compliance.choice_trend("default", KEYS, NOV1, NOV1, now=NOW))[NOV1] == {"custom": 5}


def test_the_daily_counts_agree_with_the_records_on_any_range(known):
    """Ranges starting and ending anywhere (inside counted days, on today, past today) give the
    same counts as one GROUP BY over the records."""
    compliance.choice_trend("default", KEYS, OCT30, NOV2, now=NOW)
    starts = [at(OCT30, 0), at(OCT30, 12), at(OCT31, 6), at(NOV2, 10, 30)]
    ends = [at(NOV1, 0), at(NOV1, 1), at(NOV2, 23), NOW, NOW + timedelta(days=3)]
    for start in starts:
        for end in ends:
            got = daily.tally("default", start, end, now=NOW, using="default")
            assert got == daily.from_records("default", start, end, using="default"), (start, end)


def test_windows_of_7_and_30_days_are_calendar_days(known):
    result = compliance.choice_counts("default", KEYS, now=NOW)
    by_method = {m.method: m.counts for m in result.methods}
    # 30 days back from 5 Nov covers all six; 7 days (30 Oct..5 Nov) too.
    assert result.totals == {7: 6, 30: 6}
    assert by_method["accept-all"] == {7: 2, 30: 2}
    later = compliance.choice_counts("default", KEYS, now=at(date(2025, 11, 6), 8))
    # 31 Oct..6 Nov: the three choices of 30 Oct are out of the 7 days.
    assert later.totals == {7: 3, 30: 6}


# -- the daily counts follow the ledger -------------------------------------------------------------


def decide(client: Client, **data: str) -> None:
    response = client.post(CONSENT, data)
    assert response.status_code == 303, response.content


def test_new_decisions_and_withdrawals_today_count_at_once(known):
    today = timezone.localdate()
    first = today - timedelta(days=3)
    before = compliance.choice_trend("default", KEYS, first, today)
    assert DailyChoicesMark.objects.get(site="default").through >= today - timedelta(days=2)
    assert counts(before)[today] == {}
    client = Client()
    decide(client, choice="accept-all")
    decide(client, choice="custom")  # the same visitor withdraws what they had granted
    client.cookies.clear()
    decide(client, choice="refuse-all")
    after = compliance.choice_trend("default", KEYS, first, today)
    assert counts(after)[today] == {"accept-all": 1, "withdraw": 1, "refuse-all": 1}
    assert compliance.ledger_state("default").records == ConsentRecord.objects.filter(site="default").count() == 9
    counts_now = compliance.choice_counts("default", KEYS)
    assert {m.method: m.counts[7] for m in counts_now.methods}["withdraw"] == 1


def test_a_prune_takes_the_pruned_days_out_of_the_counts():
    today = timezone.localdate()
    old, kept = today - timedelta(days=200), today - timedelta(days=20)
    for hour in (9, 10, 11):
        record(at(old, hour), "accept-all", ALL)
    # Sealed when they were made, as a running site's ledger is (a prune takes whole seals).
    ledger.seal_pending("default", partial=True, grace_seconds=0)
    record(at(kept, 9), "refuse-all", NONE)
    whole = (today - timedelta(days=365), today)
    assert compliance.choice_trend("default", KEYS, *whole).total == 4
    assert DailyChoices.objects.filter(site="default", day=old).exists()
    call_command("cookiecharter_prune", "--days", "100", verbosity=0)
    assert ConsentRecord.objects.filter(site="default").count() == 1
    trend = compliance.choice_trend("default", KEYS, *whole)
    assert trend.total == 1 and counts(trend)[old] == {} and counts(trend)[kept] == {"refuse-all": 1}
    assert not DailyChoices.objects.filter(site="default", day=old).exists()
    assert compliance.ledger_state("default").records == 1


def test_a_proof_record_written_late_counts_on_its_own_day(settings):
    """A refusal kept in the pending file while the database was down reaches the ledger later,
    dated when it was made: a day already counted counts it."""
    today = timezone.localdate()
    day = today - timedelta(days=5)
    record(at(day, 9), "accept-all", ALL)
    compliance.choice_trend("default", KEYS, day, today)
    assert counts(compliance.choice_trend("default", KEYS, day, day))[day] == {"accept-all": 1}
    pending = ledger.pending_file()
    assert pending is not None
    charter = registry.get("default").charter
    version = ledger.charter_version(charter)
    pending.add(
        {
            "site": "default",
            "consent_id": "late000000000001",
            "created_at": at(day, 18).isoformat(),
            "charter": {
                "digest": version.digest,
                "consent_version": version.consent_version,
                "edition": version.edition,
                "data": version.data,
            },
            "texts_digest": "0" * 64,
            "language": "fr",
            "choices": NONE,
            "method": "refuse-all",
            "user_id": None,
            "record_hash": "1" * 64,
        }
    )
    assert ledger.write_pending() == 1
    assert counts(compliance.choice_trend("default", KEYS, day, day))[day] == {"accept-all": 1, "refuse-all": 1}


# -- the page ---------------------------------------------------------------------------------------


@pytest.fixture
def dpo(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("dpo", "dpo@example.org", "pw"))
    return client


def table_rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-day="([\d-]+)">(.*?)</tr>', html, re.S))


def test_the_page_draws_the_charts_with_their_tables(dpo):
    today = timezone.localdate()
    record(at(today - timedelta(days=2), 9), "accept-all", ALL)
    record(at(today - timedelta(days=2), 10), "refuse-all", NONE)
    html = dpo.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = html[html.index('id="trend"') :]
    # One chart of the daily volume, one per kind of choice, one per purpose; each an SVG image.
    assert len(re.findall(r'<svg class="cc-chart-svg"[^>]*role="img"', section)) == 1 + 5 + 1
    assert "Accept all: share of each day’s choices" in section
    assert "Acceptance rate per purpose" in section
    rows = table_rows(section)
    assert len(rows) == 30 and (today - timedelta(days=29)).isoformat() in rows and today.isoformat() in rows
    busy = rows[(today - timedelta(days=2)).isoformat()]
    assert 'data-method="total">2<' in busy and "(50%)" in busy
    assert 'data-method="total">0<' in rows[today.isoformat()]
    assert re.search(r'<tr data-purpose="statistics">.*?data-granted>1<.*?data-answered>2<', section, re.S)
    assert "<script" not in section


def test_the_page_in_french(dpo):
    html = dpo.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    section = html[html.index('id="trend"') :]
    for text in (
        "Choix au fil du temps",
        "Choix par jour",
        "Tableau des données",
        "Jour",
        "Taux d’acceptation par finalité",
    ):
        assert text in section, text


def test_a_range_chosen_in_the_form(dpo):
    today = timezone.localdate()
    first, last = today - timedelta(days=40), today - timedelta(days=35)
    record(at(today - timedelta(days=38), 9), "custom", STATS_ONLY)
    html = dpo.get(PAGE, {"from": first.isoformat(), "until": last.isoformat()}).content.decode()
    rows = table_rows(html)
    assert list(rows) == [(first + timedelta(days=i)).isoformat() for i in range(6)]
    assert 'data-method="total">1<' in rows[(today - timedelta(days=38)).isoformat()]
    assert f'value="{first.isoformat()}"' in html and 'class="errorlist' not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "yesterday"}, "is not a date"),
        ({"from": "2026-02-30"}, "is not a date"),
        ({"until": "<script>x</script>"}, "is not a date"),
        ({"from": "2025-03-10", "until": "2025-03-01"}, "after its end"),
        ({"from": "2001-01-01", "until": "2025-01-01"}, "at most 366 days"),
        ({"from": "2999-01-01"}, "in the future"),
    ],
)
def test_a_bad_range_gives_a_message_and_the_last_30_days(dpo, query, message):
    response = dpo.get(PAGE, {**query}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "Showing the last 30 days instead." in html
    assert "<script>x</script>" not in html
    assert len(table_rows(html)) == 30


def test_the_site_switcher_keeps_the_range_and_sites_stay_apart(dpo, settings, tmp_path):
    settings.COOKIECHARTER = {
        **settings.COOKIECHARTER,
        "SITES": {"sister": {"HOSTS": ["sister.example"], "CHARTER": settings.COOKIECHARTER["CHARTER"]}},
    }
    today = timezone.localdate()
    day = today - timedelta(days=3)
    record(at(day, 9), "accept-all", ALL)
    record(at(day, 10), "refuse-all", NONE, site="sister")
    record(at(day, 11), "refuse-all", NONE, site="sister")
    query = {"from": (today - timedelta(days=5)).isoformat(), "until": today.isoformat()}
    default = dpo.get(PAGE, {**query, "site": "default"}).content.decode()
    sister = dpo.get(PAGE, {**query, "site": "sister"}).content.decode()
    assert 'data-method="total">1<' in table_rows(default)[day.isoformat()]
    assert 'data-method="total">2<' in table_rows(sister)[day.isoformat()]
    switcher = re.search(r'<form method="get" class="cc-sites">(.*?)</form>', sister, re.S)
    assert switcher, "no site switcher"
    assert f'name="from" value="{query["from"]}"' in switcher.group(1)
    assert f'name="until" value="{query["until"]}"' in switcher.group(1)
    assert 'name="site" value="sister"' in sister[sister.index('id="trend"') :]


# -- the same on PostgreSQL (TruncDate in a time zone, GROUP BY over jsonb) ---------------------------


@pytest.mark.postgres
@pytest.mark.django_db(databases=[])
def test_charts_suite_on_postgresql(require_postgres):
    rerun_on_postgresql("charts", __file__)


def test_the_count_days_command_counts_ahead_of_the_page(known):
    from io import StringIO

    out = StringIO()
    call_command("cookiecharter_count_days", "--site", "default", stdout=out)
    # The last closed day: yesterday (the day before, in the ten minutes after midnight).
    closed = daily.local_day(timezone.now() - daily.GRACE) - timedelta(days=1)
    assert f"site default: counted through {closed}" in out.getvalue()
    assert DailyChoicesMark.objects.get(site="default").through == closed
    assert DailyChoices.objects.filter(site="default").aggregate(n=Sum("count"))["n"] == 6
    assert not DailyChoicesMark.objects.filter(site="sister").exists()
    with pytest.raises(CommandError, match="unknown site 'nowhere'"):
        call_command("cookiecharter_count_days", "--site", "nowhere")


def test_a_day_is_counted_only_once_it_is_well_over():
    """Ten minutes after midnight a choice decided at 23:59:59 may still be on its way to the
    database: the day stays counted from the records until GRACE has passed."""
    day = date(2025, 11, 3)
    record(at(day, 23, 58), "accept-all", ALL)
    just_after = at(day + timedelta(days=1), 0, 5)
    assert daily.refresh("default", now=just_after, using="default") is None  # no day closed yet
    assert not DailyChoices.objects.exists()
    # The late one arrives, dated before midnight.
    record(datetime(2025, 11, 3, 23, 59, 59, tzinfo=PARIS), "refuse-all", NONE)
    later = at(day + timedelta(days=1), 0, 15)
    assert counts(compliance.choice_trend("default", KEYS, day, day, now=later))[day] == {
        "accept-all": 1,
        "refuse-all": 1,
    }
    assert DailyChoicesMark.objects.get(site="default").through == day
