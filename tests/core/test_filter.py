"""The Set-Cookie filter as a pure function: examples first, then Hypothesis over random charters."""

from __future__ import annotations

import string
import time
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from cookiecharter.core.charter import (
    Charter,
    Controller,
    Cookie,
    CookieName,
    Exemption,
    Party,
    Purpose,
)
from cookiecharter.core.consent import Consent
from cookiecharter.core.draft import declaration_stub
from cookiecharter.core.filter import (
    CookieFilter,
    CookieToSet,
    Deletion,
    Policy,
    Reason,
    Undeclared,
    decide,
    third_party_cookies,
)
from cookiecharter.core.lifetime import Lifetime
from cookiecharter.core.setcookie import SetCookieHeader
from tests import fuzzing

YEAR = 31_557_600


def purpose(key: str, exemption: Exemption | None = None) -> Purpose:
    return Purpose(key=key, title={"en": key}, description={"en": key}, exemption=exemption)


def cookie(name: str, purpose_key: str, lifetime: str = "13 months", **kw) -> Cookie:
    declared = kw.pop("declared", None) or CookieName.from_declaration(name)
    return Cookie(
        name=declared,
        provider="Test",
        purpose=purpose_key,
        service={"en": "s"},
        description={"en": "d"},
        lifetime=Lifetime.parse(lifetime),
        **kw,
    )


def make_charter(*cookies: Cookie, purposes: tuple[Purpose, ...] | None = None) -> Charter:
    return Charter(
        controller=Controller("Ville", "dpo@example.org"),
        languages=("en",),
        purposes=purposes
        or (
            purpose("necessary", Exemption.STRICTLY_NECESSARY),
            purpose("statistics"),
            purpose("embeds"),
        ),
        cookies=cookies,
    )


CHARTER = make_charter(
    cookie("sessionid", "necessary", "2 weeks"),
    cookie("cookies_preferences", "necessary", "6 months"),
    cookie("_ga", "statistics", "13 months", path="/", cookie_domain=".example.org"),
    cookie("_ga_*", "statistics", "13 months", path="/app"),
    cookie("lang", "necessary", "session"),
    cookie(
        "mapwidget_session",
        "embeds",
        "1 year",
        party=Party.THIRD,
        domain="maps.example.net",
        policy_url="https://maps.example.net/privacy",
    ),
)

UNDECIDED = Consent.undecided()


def granting(*purposes: str) -> Consent:
    return Consent("AAAAAAAAAAAAAAAA", datetime(2026, 11, 1, tzinfo=timezone.utc), "0123456789", frozenset(purposes))


def test_unconsented_statistics_cookie_is_blocked():
    out = decide([CookieToSet("_ga", YEAR)], [], UNDECIDED, CHARTER)
    assert out.kept == ()
    assert [(b.name, b.reason, b.purpose) for b in out.blocked] == [("_ga", Reason.NOT_CONSENTED, "statistics")]


def test_consented_statistics_cookie_passes():
    out = decide([CookieToSet("_ga", YEAR)], [], granting("statistics"), CHARTER)
    assert out.kept == ("_ga",) and out.blocked == ()


def test_prefix_declaration_matches_and_blocks():
    out = decide([CookieToSet("_ga_ABC123", 3600)], [], granting("embeds"), CHARTER)
    assert out.blocked[0].reason is Reason.NOT_CONSENTED
    assert out.blocked[0].declaration.name.display == "_ga_*"


def test_exempt_and_consent_cookie_always_pass():
    out = decide([CookieToSet("sessionid", 3600), CookieToSet("cookies_preferences", 100)], [], UNDECIDED, CHARTER)
    assert out.kept == ("sessionid", "cookies_preferences")


def test_consent_cookie_passes_even_when_charter_forgets_it():
    bare = make_charter(cookie("_ga", "statistics"))
    out = decide([CookieToSet("cc", 100)], [], UNDECIDED, bare, Policy(consent_cookie_name="cc"))
    assert out.kept == ("cc",)


def test_undeclared_blocked_by_default_and_reported_by_policy():
    out = decide([CookieToSet("tracker", 10)], [], granting("statistics"), CHARTER)
    assert out.blocked[0].reason is Reason.UNDECLARED and out.kept == ()
    out = decide([CookieToSet("tracker", 10)], [], UNDECIDED, CHARTER, Policy(undeclared=Undeclared.REPORT))
    assert out.kept == ("tracker",) and out.blocked == ()
    assert [b.name for b in out.undeclared] == ["tracker"]
    # "raise" is the adapters' business: the core blocks meanwhile.
    out = decide([CookieToSet("tracker", 10)], [], UNDECIDED, CHARTER, Policy(undeclared=Undeclared.RAISE))
    assert out.blocked_names == {"tracker"}


def test_deleting_is_always_allowed():
    out = decide([CookieToSet("tracker", 0), CookieToSet("_ga", -1)], [], UNDECIDED, CHARTER)
    assert out.kept == ("tracker", "_ga") and out.blocked == ()


def test_withdrawal_deletes_with_declared_path_and_domain():
    out = decide([], ["_ga", "_ga_XYZ", "sessionid", "mapwidget_session", "other"], granting(), CHARTER)
    assert out.deletions == (
        Deletion("_ga", "/", ".example.org"),
        Deletion("_ga_XYZ", "/app", ""),
    )  # not the exempt one, not the undeclared one, not the third party's the site cannot reach


def test_blocked_reset_of_a_cookie_the_browser_holds_also_deletes_it():
    out = decide([CookieToSet("_ga", YEAR)], ["_ga"], UNDECIDED, CHARTER)
    assert out.blocked_names == {"_ga"}
    assert out.deletions == (Deletion("_ga", "/", ".example.org"),)


def test_no_deletion_when_the_response_deletes_it_itself_or_it_is_granted():
    assert decide([CookieToSet("_ga", 0)], ["_ga"], UNDECIDED, CHARTER).deletions == ()
    assert not decide([], ["_ga"], granting("statistics"), CHARTER).changes_response


def test_over_long_lifetime_is_capped_to_the_declared_one():
    out = decide(
        [CookieToSet("_ga", 5 * YEAR), CookieToSet("sessionid", 1_209_600)], [], granting("statistics"), CHARTER
    )
    assert [(c.name, c.requested, c.allowed) for c in out.capped] == [("_ga", 5 * YEAR, 34_187_400)]
    # A cookie declared "session" asked to persist is capped to a session cookie.
    out = decide([CookieToSet("lang", 3600)], [], UNDECIDED, CHARTER)
    assert [(c.name, c.allowed) for c in out.capped] == [("lang", None)]


def test_exempt_request_cookies_call_for_nothing_and_a_withdrawn_one_for_its_deletion():
    out = decide([], ["sessionid", "csrftoken"], UNDECIDED, CHARTER)
    assert not out.changes_response and not out.reported
    out = decide([], ["sessionid", "_ga_1"], UNDECIDED, CHARTER)
    assert [d.name for d in out.deletions] == ["_ga_1"]
    assert not decide([], ["_ga_1"], granting("statistics"), CHARTER).deletions


def test_withheld_names_the_request_cookies_a_view_must_not_read():
    flt = CookieFilter(CHARTER)
    present = ["sessionid", "_ga", "_ga_1", "tracker", "mapwidget_session"]
    assert flt.withheld(present, UNDECIDED) == ["_ga", "_ga_1", "mapwidget_session"]
    assert flt.withheld(present, granting("statistics")) == ["mapwidget_session"]
    assert flt.withheld(present, granting("statistics", "embeds")) == []


def test_third_party_cookies_listed_for_the_preferences_centre():
    (found,) = third_party_cookies(CHARTER, "embeds")
    assert (found.provider, found.policy_url) == ("Test", "https://maps.example.net/privacy")
    assert third_party_cookies(CHARTER, "statistics") == ()


def test_declaration_stub_is_valid_toml_naming_the_cookie():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    stub = declaration_stub('odd"name', 400 * 86_400, "/fr/\nx")
    (entry,) = tomllib.loads(stub)["cookies"]
    assert entry["name"] == 'odd"name'
    assert entry["lifetime"] == "400 days"
    assert tomllib.loads(declaration_stub("s"))["cookies"][0]["lifetime"] == "session"


# -- Hypothesis: the invariants over random charters, consents and cookie sets --------------

NAME_ALPHABET = string.ascii_letters + string.digits + "_-."
names = st.text(NAME_ALPHABET, min_size=1, max_size=8)


@st.composite
def charters(draw):
    keys = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=5, unique=True))
    exemptions = [None, Exemption.STRICTLY_NECESSARY, Exemption.SECURITY, Exemption.AUDIENCE_MEASUREMENT]
    purposes = tuple(purpose(k, draw(st.sampled_from(exemptions))) for k in keys)
    decls = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["exact", "prefix", "regex"]))
        stem = draw(names)
        declared = {
            "exact": CookieName.exact(stem),
            "prefix": CookieName.from_declaration(stem + "*"),
            "regex": CookieName.from_declaration(regex=f"{stem[:2]}[0-9]+"),
        }[kind]
        decls.append(
            cookie(
                stem,
                draw(st.sampled_from(keys)),
                draw(st.sampled_from(["session", "1 day", "13 months"])),
                declared=declared,
                party=draw(st.sampled_from([Party.FIRST, Party.THIRD])),
            )
        )
    return make_charter(*decls, purposes=purposes)


@fuzzing.mark
@fuzzing.fuzz(300)
@given(
    charter=charters(),
    granted=st.frozensets(st.sampled_from(["a", "b", "c", "d", "e"])),
    extra_names=st.lists(names, max_size=6),
    lifetimes=st.lists(st.one_of(st.none(), st.integers(-10, 10 * YEAR)), min_size=12, max_size=12),
    present=st.lists(names, max_size=6),
    report=st.booleans(),
)
def test_never_lets_through_undeclared_or_unconsented_and_never_blocks_exempt(
    charter, granted, extra_names, lifetimes, present, report
):
    # Cookies to set: some made to hit declarations (exact names, prefixes, regexes), some random.
    candidates = [c.name.value if c.name.kind.value != "regex" else c.name.value[:2] + "7" for c in charter.cookies]
    candidates += [c.name.value + "x" for c in charter.cookies if c.name.kind.value == "prefix"]
    candidates += extra_names
    to_set = [CookieToSet(n, lifetimes[i % len(lifetimes)]) for i, n in enumerate(candidates)]
    consent = granting(*granted)
    policy = Policy(
        consent_cookie_name="cookies_preferences", undeclared=Undeclared.REPORT if report else Undeclared.BLOCK
    )
    out = decide(to_set, present + candidates[:3], consent, charter, policy)

    # What goes out is judged per cookie (two cookies may share a name), as the adapters apply it.
    blocked = out.blocked_indexes
    assert len(out.kept) + len(blocked) == len(to_set)
    for i, c in enumerate(to_set):
        declaration = charter.match(c.name)
        passes = i not in blocked
        if c.deletes:
            assert passes, "deleting is always allowed"
            continue
        if c.name == "cookies_preferences":
            assert passes
            continue
        if declaration is None:
            if report:
                assert passes and c.name in {b.name for b in out.reported}
            else:
                assert not passes, "an undeclared cookie got through"
            continue
        p = charter.purpose(declaration.purpose)
        if p.needs_consent and p.key not in granted:
            assert not passes, "an unconsented cookie got through"
        else:
            assert passes, "an exempt or granted cookie was blocked"
    kept = list(out.kept)
    for d in out.deletions:
        declaration = charter.match(d.name)
        assert declaration is not None and declaration.party is Party.FIRST
        assert charter.purpose(declaration.purpose).needs_consent
        assert declaration.purpose not in granted
        assert d.name not in kept
    for c in out.capped:
        assert c.allowed is None or c.requested > c.allowed


# -- the raw-header path the ASGI/WSGI adapters take, fuzzed ----------------------------------

header_names = st.one_of(
    st.sampled_from(["_ga", "_ga_X1", "sessionid", "lang", "tracker", "cookies_preferences", ""]),
    st.text(string.printable, max_size=10),
)
attributes = st.lists(
    st.sampled_from(
        [
            "Path=/",
            "Max-Age=0",
            "Max-Age=-5",
            "Max-Age=99999999",
            "Max-Age=x",
            "HttpOnly",
            "Secure",
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "Expires=Fri, 01 Jan 2100 00:00:00 GMT",
            "Expires=garbage",
            "Domain=example.org",
            "SameSite=Lax",
        ]
    ),
    max_size=4,
)


@fuzzing.mark
@fuzzing.fuzz(300)
@given(
    cookies=st.lists(
        st.tuples(header_names, st.text(string.ascii_letters + '" ,=', max_size=6), attributes), max_size=6
    ),
    granted=st.frozensets(st.sampled_from(["statistics", "embeds"])),
    present=st.lists(st.sampled_from(["_ga", "_ga_Q", "sessionid", "tracker"]), max_size=4),
)
def test_raw_headers_never_carry_an_unconsented_or_undeclared_cookie(cookies, granted, present):
    from cookiecharter.core.consent import ConsentCodec
    from cookiecharter.core.headers import Enforcer

    enforcer = Enforcer(CHARTER, ConsentCodec(b"k" * 32), Policy())
    headers = [f"{name}={value}" + "".join(f"; {a}" for a in attrs) for name, value, attrs in cookies]
    filtered = enforcer.filter_headers(headers, list(present), granting(*granted), "/p")
    out = headers if filtered is None else filtered[0]
    now = time.time()
    for header in out:
        parsed = SetCookieHeader.parse(header)
        lifetime = parsed.lifetime(now)
        if lifetime is not None and lifetime <= 0:
            continue  # a deletion: always allowed
        if parsed.name == "cookies_preferences":
            continue
        declaration = CHARTER.match(parsed.name)
        assert declaration is not None, f"undeclared cookie went out: {header!r}"
        p = CHARTER.purpose(declaration.purpose)
        assert not p.needs_consent or p.key in granted, f"unconsented cookie went out: {header!r}"
        if declaration.lifetime.seconds is not None and lifetime is not None:
            assert lifetime <= declaration.lifetime.seconds + 5, f"over-long lifetime went out: {header!r}"


def test_a_drafted_entry_validates_once_pasted_into_the_charter_it_is_drafted_for():
    from pathlib import Path

    from cookiecharter.core.loading import loads_charter

    demo = Path(__file__).resolve().parents[2] / "demo"
    for name in ("charter.toml", "charter-seed.toml"):  # one with purposes needing consent, one without
        text = (demo / name).read_text(encoding="utf-8")
        charter = loads_charter(text, name)
        stub = declaration_stub("_tracker", 30 * 86_400, "/fr/", charter)
        pasted = loads_charter(text + "\n" + stub + "\n", name)
        drafted = pasted.match("_tracker")
        assert drafted is not None and set(drafted.service) == set(charter.languages)
        assert drafted.purpose in {p.key for p in charter.purposes}
