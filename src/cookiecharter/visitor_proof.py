"""The proof for one visitor: the bundle the back office hands an inspector (``core.bundle`` says what
it holds and checks it), gathered from the ledger for one consent id.

The full text of each charter version is the charter page's own Markdown (``cookiecharter.page``),
rendered with the package's catalogues rather than the site's overrides, so that
``cookiecharter check-proof`` renders it again, byte for byte, without the site.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from . import ledger
from .core import bundle as core
from .core.charter import Charter, charter_from_data
from .core.proof import RecordFields, SealFields, parse_ids, record_hash, seal_hash
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
        fields = RecordFields(
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

    report = ledger.verify(site, using=alias)
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
            "ok": report.ok,
            "records": report.records,
            "seals": report.seals,
            "problems": [str(p) for p in report.problems[:20]],
            "records_genuine": records_genuine,
            "seals_genuine": seals_genuine,
        },
    }
    data["digest"] = core.bundle_digest(data)
    return data
