"""Every valid charter Hypothesis can build, written as TOML, loads back to exactly what was written.

The other tests show what the loader refuses; this one shows it refuses nothing it should accept,
and maps each key to the right field of the model.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cookiecharter.core import CharterError, Exemption, Lifetime, MatchKind, Party, loads_charter

LANGUAGES = ["fr", "en", "de", "pt-BR"]
PURPOSE_KEYS = ["necessary", "statistics", "ads", "embeds", "prefs"]
LIFETIMES = ["session", "30 minutes", "1 day", "2 weeks", "6 months", "13 months", "1 year", "2 years"]
SAFE_MODES = ["analytics_storage", "functionality_storage", "personalization_storage", "security_storage"]
AD_MODES = ["ad_storage", "ad_user_data", "ad_personalization"]
# Printable text, quotes and backslashes included (json.dumps escapes them as TOML does).
text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters="\x7f"), min_size=1, max_size=20
).filter(str.strip)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@st.composite
def charters(draw: st.DrawFn) -> dict[str, Any]:
    languages = draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=3, unique=True))
    texts = st.fixed_dictionaries(dict.fromkeys(languages, text))
    purposes = {}
    for key in draw(st.lists(st.sampled_from(PURPOSE_KEYS), min_size=1, max_size=4, unique=True)):
        exemption = draw(st.sampled_from([None, *(e.value for e in Exemption)]))
        modes = draw(st.lists(st.sampled_from(SAFE_MODES), unique=True, max_size=2))
        gpc = exemption is None and draw(st.booleans())
        if gpc and draw(st.booleans()):
            modes += draw(st.lists(st.sampled_from(AD_MODES), unique=True, min_size=1, max_size=2))
        purposes[key] = {"exemption": exemption, "title": draw(texts), "description": draw(texts),
                         "refused_by_gpc": gpc, "consent_mode": modes}  # fmt: skip
    cookies = []
    names = draw(st.lists(st.integers(0, 50), unique=True, max_size=6))
    for n in names:
        purpose = draw(st.sampled_from(sorted(purposes)))
        exemption = purposes[purpose]["exemption"]
        lifetimes = LIFETIMES[:6] if exemption == "audience-measurement" else LIFETIMES
        third = exemption != "audience-measurement" and draw(st.booleans())
        kind = draw(st.sampled_from(["exact", "prefix", "regex"]))
        # Distinct numbers behind distinct letters never overlap: c7, p7_*, r7\.[0-9]+.
        name = {"exact": {"name": f"c{n}"}, "prefix": {"name": f"p{n}_*"}, "regex": {"regex": f"r{n}\\.[0-9]+"}}[kind]
        cookie = {**name, "provider": draw(text), "purpose": purpose, "service": draw(texts),
                  "description": draw(texts), "lifetime": draw(st.sampled_from(lifetimes))}  # fmt: skip
        if third:
            cookie |= {"party": "third", "domain": draw(st.sampled_from(["maps.example.net", "localhost"]))}
        if exemption is not None or draw(st.booleans()):
            cookie["reason"] = draw(texts)
        if draw(st.booleans()):
            cookie["policy_url"] = "https://example.net/privacy"
        cookies.append(cookie)
    return {"languages": languages, "purposes": purposes, "cookies": cookies,
            "controller": {"name": draw(text), "contact": "dpo@example.org"}}  # fmt: skip


def write(data: dict[str, Any]) -> str:
    out = [f"[charter]\nlanguages = {toml_value(data['languages'])}\n", "[controller]"]
    out += [f"{k} = {toml_value(v)}" for k, v in data["controller"].items()]
    for key, purpose in data["purposes"].items():
        out.append(f"\n[purposes.{key}]")
        for field, value in purpose.items():
            if isinstance(value, dict):
                out += [f"{field}.{json.dumps(lang)} = {toml_value(t)}" for lang, t in value.items()]
            elif value is not None:
                out.append(f"{field} = {toml_value(value)}")
    for cookie in data["cookies"]:
        out.append("\n[[cookies]]")
        for field, value in cookie.items():
            if isinstance(value, dict):  # an inline table this time, for variety
                out.append(
                    f"{field} = {{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
                )
            else:
                out.append(f"{field} = {toml_value(value)}")
    return "\n".join(out) + "\n"


@settings(max_examples=150, deadline=None)
@given(charters())
def test_valid_charters_load_back_to_what_was_written(data: dict[str, Any]) -> None:
    charter = loads_charter(write(data), "generated.toml")
    assert charter.languages == tuple(data["languages"])
    assert [p.key for p in charter.purposes] == list(data["purposes"])
    for purpose in charter.purposes:
        written = data["purposes"][purpose.key]
        assert (purpose.exemption.value if purpose.exemption else None) == written["exemption"]
        assert dict(purpose.title) == written["title"] and dict(purpose.description) == written["description"]
        assert purpose.refused_by_gpc == written["refused_by_gpc"]
        assert list(purpose.consent_mode) == written["consent_mode"]
    assert len(charter.cookies) == len(data["cookies"])
    for cookie, written in zip(charter.cookies, data["cookies"]):
        declared = written.get("name") or written["regex"]
        assert cookie.name.display == declared
        kind = (
            MatchKind.REGEX if "regex" in written else MatchKind.PREFIX if declared.endswith("*") else MatchKind.EXACT
        )
        assert cookie.name.kind is kind
        assert cookie.purpose == written["purpose"] and cookie.provider == written["provider"]
        assert dict(cookie.service) == written["service"] and dict(cookie.description) == written["description"]
        assert cookie.lifetime == Lifetime.parse(written["lifetime"])
        assert cookie.party is Party(written.get("party", "first")) and cookie.domain == written.get("domain", "")
        assert dict(cookie.reason) == written.get("reason", {})
        assert cookie.policy_url == written.get("policy_url", "")
        # And a name it declares falls under it, in the compiled matcher.
        example = {MatchKind.EXACT: declared, MatchKind.PREFIX: declared[:-1] + "x9"}.get(
            cookie.name.kind, declared.replace("\\.[0-9]+", ".12")
        )
        assert charter.match(example) is cookie


@settings(max_examples=100, deadline=None)
@given(charters(), st.data())
def test_a_broken_value_is_located_on_its_own_line(data: dict[str, Any], draw: st.DataObject) -> None:
    if not data["cookies"]:
        return
    i = draw.draw(st.integers(0, len(data["cookies"]) - 1))
    data["cookies"][i]["lifetime"] = "forever"
    text = write(data)
    line = text.split("\n").index('lifetime = "forever"') + 1
    try:
        loads_charter(text, "generated.toml")
    except CharterError as exc:
        assert [(p.line, p.field) for p in exc.problems] == [(line, f"cookies[{i}].lifetime")]
    else:
        raise AssertionError("a lifetime of 'forever' was accepted")


def test_triple_quotes_inside_a_one_line_string_do_not_hide_the_lines_after_it() -> None:
    # Found by the test above: a name of ''' was taken for the start of a multi-line string,
    # so every later key fell back to its table's header line.
    text = (
        '[charter]\nlanguages = ["en"]\n[controller]\nname = "\'\'\'"\ncontact = "dpo@example.org"\n'
        '[purposes.necessary]\nexemption = "strictly-necessary"\ntitle.en = "t"\ndescription.en = "d"\n'
        '[[cookies]]\nname = "sid"\nprovider = "p # \\"\\"\\""\npurpose = "necessary"\nservice.en = "s"\n'
        'description.en = "d"\nreason.en = "r"\nlifetime = "forever"\n'
    )
    try:
        loads_charter(text, "quotes.toml")
    except CharterError as exc:
        assert [(p.line, p.field) for p in exc.problems] == [(17, "cookies[0].lifetime")]
    else:
        raise AssertionError("a lifetime of 'forever' was accepted")
