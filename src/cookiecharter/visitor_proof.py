"""The proof for one visitor: the bundle the back office hands an inspector (``core.bundle`` says what
it holds and checks it), gathered from the ledger for one consent id.

The full text of each charter version is the charter page's own Markdown (``cookiecharter.page``),
rendered with the package's catalogues rather than the site's overrides, so that
``cookiecharter check-proof`` renders it again, byte for byte, without the site.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone

from . import ledger
from .core import bundle as core
from .core.charter import Charter, charter_from_data
from .core.proof import (
    RecordFields,
    SealFields,
    StoredSeal,
    format_ids,
    parse_ids,
    pruned_hash,
    record_hash,
    records_digest,
    seal_hash,
)
from .core.witness import compare
from .models import ConsentRecord, LedgerSeal
from .page import Honoured, build_page, to_markdown

#: A consent id as the consent cookie carries it and the charter page shows it.
CONSENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{16}")


class MalformedConsentId(ValueError):
    """Not a consent id at all (16 letters, digits, "-" or "_")."""


class UnknownConsentId(LookupError):
    """A well-formed id with no record on the site."""


def full_text(charter: Charter, language: str, page_options: dict[str, bool]) -> str:
    """The charter page in ``language``, as Markdown, with the package's own catalogues."""
    return to_markdown(build_page(charter, language, honoured=Honoured(**page_options)))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else timezone.make_aware(when, timezone.get_default_timezone())


def _seal_fields(seal: LedgerSeal) -> SealFields:
    return SealFields(
        number=seal.number,
        first_id=seal.first_id,
        last_id=seal.last_id,
        count=seal.count,
        ids=seal.ids,
        records_digest=seal.records_digest,
        previous_hash=seal.previous_hash,
        created_at=_aware(seal.created_at),
        site=seal.site,
    )


def records_of(site: str, consent_id: str, *, using: str | None = None) -> list[ConsentRecord]:
    """The visitor's records, oldest first; ``MalformedConsentId`` or ``UnknownConsentId`` otherwise."""
    consent_id = consent_id.strip()
    if not CONSENT_ID_RE.fullmatch(consent_id):
        raise MalformedConsentId(consent_id)
    alias = using or ledger.ledger_alias()
    rows = list(
        ConsentRecord.objects.using(alias)
        .filter(site=site, consent_id=consent_id)
        .select_related("charter_version")
        .order_by("id")
    )
    if not rows:
        raise UnknownConsentId(consent_id)
    return rows


def _seals_from(site: str, rows: list[ConsentRecord], alias: str) -> list[LedgerSeal]:
    return list(LedgerSeal.objects.using(alias).filter(site=site, last_id__gte=rows[0].id).order_by("number"))


def _covering(rows: list[ConsentRecord], seals: list[LedgerSeal]) -> dict[int, LedgerSeal]:
    """The seal over each record: the one whose ids hold its id (ranges never overlap)."""
    covering: dict[int, LedgerSeal] = {}
    for row in rows:
        for seal in seals:
            if seal.first_id <= row.id <= seal.last_id and row.id in set(parse_ids(seal.ids)):
                covering[row.id] = seal
                break
    return covering


def seals_of(site: str, rows: list[ConsentRecord], *, using: str | None = None) -> dict[int, int]:
    """``{record id: number of the seal over it}`` for the sealed ones of ``rows``."""
    alias = using or ledger.ledger_alias()
    return {rid: seal.number for rid, seal in _covering(rows, _seals_from(site, rows, alias)).items()}


def build(site: str, consent_id: str, *, using: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The bundle for ``consent_id`` on ``site``, as plain JSON-able data (its ``digest`` included)."""
    from .sites import registry

    alias = using or ledger.ledger_alias()
    rows = records_of(site, consent_id, using=alias)
    keys = ledger.ledger_keys()

    seals = _seals_from(site, rows, alias)
    covering = _covering(rows, seals)
    numbers = [s.number for s in covering.values()]
    chain = [s for s in seals if numbers and min(numbers) <= s.number <= max(numbers)]
    seal_entries = []
    seals_genuine = True
    for seal in chain:
        hashes = None
        if seal.number in numbers:
            ids = list(parse_ids(seal.ids))
            found = dict(
                ConsentRecord.objects.using(alias)
                .filter(site=site, id__gte=seal.first_id, id__lte=seal.last_id)
                .values_list("id", "record_hash")
            )
            hashes = [found.get(i, "") for i in ids]
        sealed = _seal_fields(seal)
        seals_genuine &= any(seal_hash(k, sealed) == seal.seal_hash for k in keys)
        seal_entries.append(core.seal_data(sealed, seal.seal_hash, hashes))

    records = []
    records_genuine = True
    for row in rows:
        fields = _fields(row)
        records_genuine &= any(record_hash(k, fields) == row.record_hash for k in keys)
        over = covering.get(row.id)
        records.append(core.record_data(row.id, fields, row.record_hash, over.number if over else None))

    config = registry.settings().site(site)
    page_options = {"gpc": config.honour_gpc, "adpc": config.honour_adpc, "follow_account": config.follow_account}
    charters = []
    banners = []
    versions: dict[str, Any] = {}
    languages: dict[str, list[str]] = {}
    for row in rows:
        versions.setdefault(row.charter_version.digest, row.charter_version)
        langs = languages.setdefault(row.charter_version.digest, [])
        if row.language not in langs:
            langs.append(row.language)
    controller = ""
    for digest, version in versions.items():
        try:
            charter: Charter | None = charter_from_data(version.data)
        except (KeyError, TypeError, ValueError):
            # A row that is not a charter (edited in SQL?): bundled as it is, and the checker says so.
            charter = None
        texts = {lang: full_text(charter, lang, page_options) for lang in languages[digest]} if charter else {}
        entry = core.charter_entry(digest, version.consent_version, version.data, texts, page_options)
        entry["edition"] = version.edition
        entry["first_shown_at"] = _aware(version.first_shown_at).isoformat()
        charters.append(entry)
        if charter is not None:
            banners += [core.banner_entry(charter, lang) for lang in languages[digest]]
            controller = charter.controller.name

    verification = verify_for(site, rows, covering, using=alias)
    made_at = now or timezone.now()
    data: dict[str, Any] = {
        "format": core.FORMAT,
        "site": site,
        "consent_id": rows[0].consent_id,
        "made_at": made_at.isoformat(),
        "controller": controller,
        "records": records,
        "charters": charters,
        "banner_texts": banners,
        "seals": seal_entries,
        "verification": {
            "at": made_at.isoformat(),
            **verification,
            "records_genuine": records_genuine,
            "seals_genuine": seals_genuine,
        },
    }
    data["digest"] = core.bundle_digest(data)
    return data


def verify_for(
    site: str, rows: list[ConsentRecord], covering: dict[int, LedgerSeal], *, using: str | None = None
) -> dict[str, Any]:
    """The ledger's verification, with the site's key, of what this visitor's proof rests on: the
    whole chain of the site's seals (each seal's hash, its link to the one before, no number
    missing, genuine prunings, the witness's checkpoints), every record of the seals over the
    visitor's records (hash, presence, records digest), and the visitor's own records.

    Unlike ``ledger.verify`` it does not read the other seals' records, so it costs the same on a
    ledger of any size (a thousand seals are a thousand small rows): the download stays fast.
    Whole-ledger verification is the verify button's and ``cookiecharter_verify``'s job.
    """
    alias = using or ledger.ledger_alias()
    keys = ledger.ledger_keys()
    problems: list[str] = []
    seals = list(LedgerSeal.objects.using(alias).filter(site=site).order_by("number"))
    previous, expected = "", None
    stored = []
    for seal in seals:
        sealed = _seal_fields(seal)
        if expected is not None and seal.number != expected:
            problems.append(f"seal: seals {expected}..{seal.number - 1} are missing")
        expected = seal.number + 1
        if not any(hmac.compare_digest(seal_hash(k, sealed), seal.seal_hash) for k in keys):
            problems.append(f"seal: seal {seal.number} does not match its hash (edited)")
        if sealed.previous_hash != previous:
            problems.append(f"seal: seal {seal.number} does not follow the seal before it")
        previous = seal.seal_hash
        pruned_at = _aware(seal.pruned_at) if seal.pruned_at else None
        if pruned_at is not None and not any(
            hmac.compare_digest(pruned_hash(k, seal.seal_hash, pruned_at), seal.pruned_hash) for k in keys
        ):
            problems.append(f"seal: seal {seal.number} is marked pruned but the pruning is not genuine")
        stored.append(StoredSeal(sealed, seal.seal_hash, pruned_at, seal.pruned_hash))
    witness = ledger.witness_file()
    if witness is not None:
        found, _read = compare(witness.lines(keys), stored, site)
        problems += [str(p) for p in found]
    checked = 0
    for seal in {s.number: s for s in covering.values()}.values():
        ids = list(parse_ids(seal.ids))
        found_hashes: dict[int, str] = {}
        for rid, hashed, rhash in _records_between(site, seal.first_id, seal.last_id, alias):
            checked += 1
            if not any(hmac.compare_digest(record_hash(k, hashed), rhash) for k in keys):
                problems.append(f"altered: record {rid} does not match its hash (edited or forged)")
            found_hashes[rid] = rhash
        missing = [i for i in ids if i not in found_hashes]
        if missing:
            problems.append(f"deleted: {len(missing)} record(s) sealed by seal {seal.number} are missing")
        elif records_digest(found_hashes[i] for i in ids) != seal.records_digest:
            problems.append(f"seal: the records of seal {seal.number} are not the ones it sealed")
        extra = sorted(set(found_hashes) - set(ids))
        if extra:
            problems.append(f"inserted: record(s) {format_ids(extra)} were not there when seal {seal.number} was made")
    for row in rows:
        if row.id not in covering:
            checked += 1
            if not any(hmac.compare_digest(record_hash(k, _fields(row)), row.record_hash) for k in keys):
                problems.append(f"altered: record {row.id} does not match its hash (edited or forged)")
    return {
        "ok": not problems,
        "scope": "the chain of seals, the records of the seals over this visitor's records, this visitor's records",
        "seals": len(seals),
        "records": checked,
        "problems": problems[:20],
    }


def _fields(row: ConsentRecord) -> RecordFields:
    return RecordFields(
        consent_id=row.consent_id,
        created_at=_aware(row.created_at),
        charter_digest=row.charter_version.digest,
        texts_digest=row.texts_digest,
        language=row.language,
        choices=row.choices if isinstance(row.choices, dict) else {},
        method=row.method,
        user_id=row.user_id,
        site=row.site,
    )


def _records_between(site: str, first: int, last: int, alias: str) -> Iterator[tuple[int, RecordFields, str]]:
    rows = (
        ConsentRecord.objects.using(alias)
        .filter(site=site, id__gte=first, id__lte=last)
        .order_by("id")
        .values_list(
            "id", "consent_id", "created_at", "charter_version__digest", "texts_digest", "language", "choices",
            "method", "user_id", "record_hash",
        )
    )  # fmt: skip
    for rid, cid, created, digest, texts, lang, choices, method, user_id, rhash in rows:
        fields = RecordFields(
            consent_id=cid,
            created_at=_aware(created),
            charter_digest=digest or "",
            texts_digest=texts,
            language=lang,
            choices=choices if isinstance(choices, dict) else {},
            method=method,
            user_id=user_id,
            site=site,
        )
        yield rid, fields, rhash
