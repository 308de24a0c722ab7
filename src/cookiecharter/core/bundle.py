"""The proof for one visitor, as a bundle an inspector can check on their own.

The back office (``cookiecharter.visitor_proof``) gathers, for one consent id: every record of that
id with exactly what its HMAC covers, each charter version in force at a choice (its data, so the
digest can be recomputed, and its full text in the visitor's language), the banner texts shown (so
the texts digest can be recomputed), the seals over those records with the hashes of every record
of their range (hashes only: nothing of the other visitors), the seals between them (so the chain
can be followed), and the controller's own verification of the ledger. This module writes the
bundle's parts and checks a bundle, with nothing but its content and, optionally, the public charter.

What cannot be rechecked without the site's secret key, and ``check`` says so: that each record's
HMAC matches what it covers, and that each seal's hash is genuine. The bundle carries the
controller's verification, made with the key when the bundle was made; an inspector who doubts it
asks the controller to run ``manage.py cookiecharter_verify`` in front of them.

Nothing here imports Django.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .charter import Charter, charter_from_data
from .proof import (
    RecordFields,
    SealFields,
    banner_texts,
    canonical_time,
    digest_of_texts,
    parse_ids,
    records_digest,
    seal_hash,
)

#: The bundle's format, first key of every bundle; a checker refuses a format it does not know.
FORMAT = "cookiecharter-proof/1"


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def data_digest(data: Any) -> str:
    """SHA-256 of plain JSON data in the ledger's canonical form (what a charter's digest is)."""
    return hashlib.sha256(_canonical(data)).hexdigest()


def bundle_digest(bundle: Mapping[str, Any]) -> str:
    """SHA-256 of the whole bundle but its own ``digest`` key: printed on the PDF and the admin page,
    so the JSON handed over can be matched with them."""
    return data_digest({k: v for k, v in bundle.items() if k != "digest"})


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


# -- writing --------------------------------------------------------------------------------------


def record_data(record_id: int, fields: RecordFields, record_hash: str, seal: int | None) -> dict[str, Any]:
    """One record as the bundle carries it: every field, its hash, and the exact text its HMAC covers."""
    return {
        "id": record_id,
        "site": fields.site,
        "consent_id": fields.consent_id,
        "created_at": canonical_time(fields.created_at),
        "charter_digest": fields.charter_digest,
        "texts_digest": fields.texts_digest,
        "language": fields.language,
        "choices": {str(k): bool(v) for k, v in fields.choices.items()},
        "method": fields.method,
        "user_id": fields.user_id,
        "record_hash": record_hash,
        "hashed": fields.canonical().decode("utf-8"),
        "seal": seal,
    }


def seal_data(fields: SealFields, seal_hash: str, record_hashes: Sequence[str] | None) -> dict[str, Any]:
    """One seal: its hashed fields and hash; ``record_hashes`` (every record of its range, in id
    order) only for the seals that cover the visitor's records."""
    return {
        "number": fields.number,
        "site": fields.site,
        "first_id": fields.first_id,
        "last_id": fields.last_id,
        "count": fields.count,
        "ids": fields.ids,
        "records_digest": fields.records_digest,
        "previous_hash": fields.previous_hash,
        "created_at": canonical_time(fields.created_at),
        "seal_hash": seal_hash,
        "record_hashes": list(record_hashes) if record_hashes is not None else None,
    }


def charter_entry(
    digest: str,
    consent_version: str,
    data: Mapping[str, Any],
    texts: Mapping[str, str],
    page_options: Mapping[str, bool],
) -> dict[str, Any]:
    """A charter version: its data (``Charter.as_data()``) and its full text per language, as the
    charter page renders it with ``page_options`` (what the site says it does with browser signals
    and accounts, ``page.Honoured``'s fields)."""
    return {
        "digest": digest,
        "consent_version": consent_version,
        "data": data,
        "full_text": dict(texts),
        "page_options": dict(page_options),
    }


def banner_entry(charter: Charter, language: str) -> dict[str, Any]:
    """The banner texts of a charter version in a language, as ``texts_digest`` covers them."""
    return {"charter_digest": charter.digest, "language": language, "texts": banner_texts(charter, language)}


# -- checking -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """What does not check out: ``subject`` names the part ("record 12", "charter version 1a2b…")."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


@dataclass
class Outcome:
    """The checker's answer: what held, what failed, what it could not recheck."""

    held: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    not_rechecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, subject: str, message: str) -> None:
        self.failures.append(Failure(subject, message))


#: ``(charter, language, page_options) -> full text``, as the bundle's maker rendered it.
RenderText = Callable[[Charter, str, Mapping[str, bool]], str]


class BundleError(ValueError):
    """The file is not a proof bundle this checker can read."""


#: How a record's bundle fields map onto the keys of what its HMAC covers.
_HASHED_KEYS = {
    "consent_id": "consent_id",
    "created_at": "created_at",
    "charter_digest": "charter",
    "texts_digest": "texts",
    "language": "language",
    "choices": "choices",
    "method": "method",
    "user_id": "user_id",
}
_FIELD_NAMES = {
    "consent_id": "consent id",
    "created_at": "date",
    "charter_digest": "charter version",
    "texts_digest": "texts digest",
    "language": "language",
    "choices": "choices",
    "method": "method",
    "user_id": "user id",
    "site": "site",
}


def _short(digest: str) -> str:
    return str(digest)[:12] + "…"


def _record_fields(record: Mapping[str, Any]) -> RecordFields:
    return RecordFields(
        consent_id=str(record["consent_id"]),
        created_at=_parse_time(record["created_at"]),
        charter_digest=str(record["charter_digest"]),
        texts_digest=str(record["texts_digest"]),
        language=str(record["language"]),
        choices={str(k): bool(v) for k, v in dict(record["choices"]).items()},
        method=str(record["method"]),
        user_id=None if record["user_id"] is None else str(record["user_id"]),
        site=str(record["site"]),
    )


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _check_record_fields(record: Mapping[str, Any], subject: str, out: Outcome) -> None:
    """The record's fields against the text its HMAC covers: a field edited in one place shows."""
    try:
        hashed = json.loads(record["hashed"])
        canonical = _record_fields(record).canonical().decode("utf-8")
    except (KeyError, TypeError, ValueError) as exc:
        out.fail(subject, f"unreadable ({exc.__class__.__name__}: {exc})")
        return
    if canonical == record["hashed"]:
        return
    named = False
    for key, hashed_key in _HASHED_KEYS.items():
        shown: Any = canonical_time(_parse_time(record[key])) if key == "created_at" else record[key]
        if key == "choices":
            shown = {str(k): bool(v) for k, v in dict(shown).items()}
        if hashed.get(hashed_key) != shown:
            out.fail(
                subject,
                f"its {_FIELD_NAMES[key]} changed: {_show(shown)} here, "
                f"{_show(hashed.get(hashed_key))} in what its hash covers",
            )
            named = True
    if not named:
        out.fail(subject, "its fields are not what its hash covers (its site, or the hashed text itself, changed)")


def _first_difference(shown: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    """Which banner text differs, in words ("the description of purpose statistics")."""
    for part, label, key in (("purposes", "purpose", "key"), ("cookies", "cookie", "name")):
        mine = shown.get(part) or []
        theirs = expected.get(part) or []
        for a, b in zip(mine, theirs):
            if a != b:
                changed = next((k for k in b if a.get(k) != b.get(k)), "text")
                return f"the {changed} of {label} {b.get(key)}"
        if len(mine) != len(theirs):
            return f"the list of {part}"
    if shown.get("controller") != expected.get("controller"):
        return "the controller"
    return "a text"


def check(
    bundle: Mapping[str, Any],
    *,
    public_digests: Sequence[str] = (),
    render_text: RenderText | None = None,
) -> Outcome:
    """Recheck everything in ``bundle`` that can be rechecked without the site's key.

    ``public_digests``: the digests the public charter may have (see ``cookiecharter check-proof``);
    one of the bundle's charter versions must be it. ``render_text(charter, language, page_options)``
    re-renders a charter's full text to compare with the bundled one (the CLI passes the page's
    Markdown; the core cannot render pages itself).
    """
    if not isinstance(bundle, Mapping) or bundle.get("format") != FORMAT:
        raise BundleError(f"not a proof bundle (its format is not {FORMAT!r})")
    out = Outcome()
    try:
        _check(bundle, out, public_digests, render_text)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BundleError(f"the bundle is incomplete or malformed ({exc.__class__.__name__}: {exc})") from exc
    return out


def _check(
    bundle: Mapping[str, Any],
    out: Outcome,
    public_digests: Sequence[str],
    render_text: RenderText | None,
) -> None:
    stated = bundle.get("digest")
    if stated != bundle_digest(bundle):
        out.fail("bundle", "its digest does not match its content: something was changed after it was made")
    else:
        out.held.append(f"the bundle's digest {_short(str(stated))} matches its content")
    consent_id = str(bundle["consent_id"])
    records: list[Mapping[str, Any]] = list(bundle["records"])
    if not records:
        out.fail("bundle", "it holds no record")

    # Charter versions: the digest from the data, the consent version, the full text.
    charters: dict[str, Charter] = {}
    for entry in bundle["charters"]:
        subject = f"charter version {_short(entry['digest'])}"
        if data_digest(entry["data"]) != entry["digest"]:
            out.fail(subject, "its data do not give its digest: the charter was changed")
            continue
        try:
            charter = charter_from_data(entry["data"])
        except (KeyError, TypeError, ValueError) as exc:
            out.fail(subject, f"its data are not a charter ({exc.__class__.__name__}: {exc})")
            continue
        charters[entry["digest"]] = charter
        if charter.consent_version != entry["consent_version"]:
            out.fail(subject, f"its consent version is {charter.consent_version}, not {entry['consent_version']}")
        out.held.append(f"{subject}: its digest recomputed from its data")
        options = dict(entry["page_options"])
        for language, text in dict(entry["full_text"]).items():
            if render_text is not None and render_text(charter, language, options) != text:
                out.fail(subject, f"its full text in {language!r} is not the charter's (the text was changed)")
            elif render_text is not None:
                out.held.append(f"{subject}: its full text in {language!r} re-rendered from its data")
    if public_digests:
        matching = [d for d in charters if d in public_digests]
        if matching:
            out.held.append(f"the public charter is charter version {_short(matching[0])} of the bundle")
        else:
            out.fail(
                "public charter",
                f"its digest ({', '.join(_short(d) for d in public_digests)}) is none of the bundle's charter versions",
            )
    else:
        out.not_rechecked.append("the charter against the public one (give it with --charter or --digest)")

    # Banner texts: the digest from the texts, and the texts from the charter.
    texts: dict[tuple[str, str], str] = {}
    for entry in bundle["banner_texts"]:
        subject = f"banner texts of charter version {_short(entry['charter_digest'])} in {entry['language']!r}"
        digest = digest_of_texts(entry["texts"])
        texts[(entry["charter_digest"], entry["language"])] = digest
        charter_of = charters.get(entry["charter_digest"])
        if charter_of is not None:
            expected = banner_texts(charter_of, entry["language"])
            if expected != entry["texts"]:
                what = _first_difference(entry["texts"], expected)
                out.fail(subject, f"they are not the charter's: {what} was changed")

    # Records: one visitor's, each as its hash covers it, with its charter and texts.
    failed_before = len(out.failures)
    for record in records:
        subject = f"record {record['id']}"
        if record["consent_id"] != consent_id:
            out.fail(subject, f"it belongs to consent id {record['consent_id']}, not {consent_id}")
        _check_record_fields(record, subject, out)
        if record["charter_digest"] not in charters:
            out.fail(subject, f"its charter version {_short(record['charter_digest'])} is not in the bundle, intact")
        key = (record["charter_digest"], record["language"])
        if key not in texts:
            out.fail(subject, f"the banner texts it was shown ({record['language']!r}) are not in the bundle")
        elif texts[key] != record["texts_digest"]:
            out.fail(
                subject, f"the banner texts in {record['language']!r} do not give its texts digest (a text was changed)"
            )
    if len(out.failures) == failed_before:
        out.held.append(f"{len(records)} record(s) of consent id {consent_id}: fields, charter and texts digests")

    _check_seals(bundle, records, out)

    verification = bundle["verification"]
    scope = verification.get("scope", "the ledger")
    out.not_rechecked.append(
        "each record's HMAC and each seal's hash, which need the site's secret key; the controller's own "
        f"verification on {verification['at']} of {scope} ({verification['seals']} seals, "
        f"{verification['records']} records) says: "
        + (
            "intact"
            if verification["ok"]
            else f"NOT intact: {'; '.join(str(p) for p in verification['problems']) or 'problems found'}"
        )
        + "; the bundled records' HMACs "
        + ("held" if verification["records_genuine"] else "did NOT all hold")
        + ", the bundled seals' hashes "
        + ("held" if verification["seals_genuine"] else "did NOT all hold")
        + " (the controller rechecks them in front of you with: manage.py cookiecharter_check_proof BUNDLE)"
    )


def _check_seals(bundle: Mapping[str, Any], records: Iterable[Mapping[str, Any]], out: Outcome) -> None:
    seals = sorted(bundle["seals"], key=lambda s: int(s["number"]))
    by_number = {int(s["number"]): s for s in seals}
    for seal in seals:
        subject = f"seal {seal['number']}"
        ids = list(parse_ids(seal["ids"]))
        if len(ids) != seal["count"] or (ids and (ids[0] != seal["first_id"] or ids[-1] != seal["last_id"])):
            out.fail(subject, "its ids, count and range disagree")
        hashes = seal["record_hashes"]
        if hashes is None:
            continue
        if len(hashes) != len(ids):
            out.fail(subject, f"it carries {len(hashes)} record hashes for {len(ids)} records")
        elif records_digest(hashes) != seal["records_digest"]:
            out.fail(subject, "the record hashes it carries do not give its records digest")
        else:
            out.held.append(f"{subject}: its records digest recomputed from the {len(ids)} hashes of its range")
    for previous, seal in itertools.pairwise(seals):
        if int(seal["number"]) != int(previous["number"]) + 1:
            out.fail(
                f"seal {seal['number']}", f"seals {int(previous['number']) + 1}..{int(seal['number']) - 1} are missing"
            )
        elif seal["previous_hash"] != previous["seal_hash"]:
            out.fail(f"seal {seal['number']}", f"it does not follow seal {previous['number']} in the chain")
    if len(seals) > 1:
        out.held.append(f"the chain from seal {seals[0]['number']} to seal {seals[-1]['number']}")
    for record in records:
        subject = f"record {record['id']}"
        number = record["seal"]
        if number is None:
            out.not_rechecked.append(f"{subject}'s place in a seal: it was not sealed yet when the bundle was made")
            continue
        seal = by_number.get(int(number))
        if seal is None or seal["record_hashes"] is None:
            out.fail(subject, f"its seal {number} is not in the bundle with its hashes")
            continue
        ids = list(parse_ids(seal["ids"]))
        index = bisect.bisect_left(ids, int(record["id"]))
        if index == len(ids) or ids[index] != int(record["id"]):
            out.fail(subject, f"seal {number} does not cover it")
        elif index >= len(seal["record_hashes"]) or seal["record_hashes"][index] != record["record_hash"]:
            out.fail(subject, f"its hash is not the one seal {number} covers")
        else:
            out.held.append(f"{subject} is in seal {number}")


def check_keyed(bundle: Mapping[str, Any], keys: Sequence[bytes]) -> list[Failure]:
    """What only the controller can check, with the site's key (current, then older ones): each
    record's HMAC over the text it says it covers, and each seal's hash. A bundle forged consistently
    in every recomputable part (a choice changed in its fields, its hashed text and the bundle's
    digest) passes ``check`` and fails here. ``manage.py cookiecharter_check_proof`` runs both."""
    failures: list[Failure] = []
    for record in bundle["records"]:
        message = str(record["hashed"]).encode("utf-8")
        if not any(
            hmac.compare_digest(hmac.new(k, message, hashlib.sha256).hexdigest(), str(record["record_hash"]))
            for k in keys
        ):
            failures.append(Failure(f"record {record['id']}", "its HMAC does not match what it covers (forged)"))
    for seal in bundle["seals"]:
        fields = SealFields(
            number=int(seal["number"]),
            first_id=int(seal["first_id"]),
            last_id=int(seal["last_id"]),
            count=int(seal["count"]),
            ids=str(seal["ids"]),
            records_digest=str(seal["records_digest"]),
            previous_hash=str(seal["previous_hash"]),
            created_at=_parse_time(seal["created_at"]),
            site=str(seal["site"]),
        )
        if not any(hmac.compare_digest(seal_hash(k, fields), str(seal["seal_hash"])) for k in keys):
            failures.append(Failure(f"seal {seal['number']}", "its hash does not match its fields (forged)"))
    return failures
