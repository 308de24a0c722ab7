"""The ledger's export formats: plain records in, bytes out, one chunk at a time.

No database code here (that is ``cookiecharter.export``): the Django layer reads the rows with a
server-side cursor and feeds them through :class:`Exporter`, which turns them into text in one of
three formats and keeps the count and the SHA-256 of every byte it hands out, so the export's own
record can say exactly what was sent. Nothing is held but the current chunk.

The formats:

* ``csv``: one line per record, a header first; the choices as ``granted`` / ``refused`` lists
  (purpose keys separated by spaces) and as the original JSON object.
* ``jsonl``: JSON Lines, one object per record with the same fields, ``choices`` as an object.
* ``iso27560``: JSON Lines again, each line a consent record laid out as ISO/IEC TS 27560
  (consent record information structure) lays out its fields: see docs/ledger.md for the mapping
  and for what the standard has that the ledger does not hold.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

#: Format name -> (file extension, content type).
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "jsonl": ("jsonl", "application/jsonl; charset=utf-8"),
    "iso27560": ("iso27560.jsonl", "application/jsonl; charset=utf-8"),
}

#: What the ISO/IEC TS 27560 records say their layout is.
ISO_SCHEMA_VERSION = "ISO/IEC TS 27560:2023 (cookiecharter mapping 1)"

#: The columns of the CSV, and the keys of the JSON Lines objects, in this order.
COLUMNS = (
    "record_id",
    "site",
    "consent_id",
    "created_at",
    "method",
    "language",
    "consent_version",
    "charter_edition",
    "charter_digest",
    "texts_digest",
    "granted",
    "refused",
    "choices",
    "user_id",
    "record_hash",
)

#: How many records go into one chunk of bytes (one write to the socket or the file).
CHUNK_RECORDS = 500


@dataclass(frozen=True)
class Notice:
    """The charter version a record answers: what ISO/IEC TS 27560 calls the notice."""

    digest: str
    consent_version: str
    edition: str
    #: ``{"name", "contact", "url"}`` from the charter.
    controller: Mapping[str, Any] = field(default_factory=dict)
    #: Purpose key -> {language: title}.
    titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_charter_data(cls, digest: str, consent_version: str, edition: str, data: Mapping[str, Any]) -> Notice:
        """From ``Charter.as_data()`` as the ledger stores it with each charter version."""
        titles = {p["key"]: dict(p.get("title") or {}) for p in data.get("purposes", []) if "key" in p}
        return cls(digest, consent_version, edition, dict(data.get("controller") or {}), titles)

    def title(self, purpose: str, language: str) -> str:
        texts = self.titles.get(purpose) or {}
        return texts.get(language) or next(iter(texts.values()), purpose)


@dataclass(frozen=True)
class ExportRecord:
    """One ledger record as exported (the Django layer fills it from a row)."""

    id: int
    site: str
    consent_id: str
    created_at: datetime
    method: str
    language: str
    choices: Mapping[str, bool]
    user_id: str | None
    texts_digest: str
    record_hash: str
    notice: Notice

    @property
    def granted(self) -> list[str]:
        return sorted(k for k, v in self.choices.items() if v)

    @property
    def refused(self) -> list[str]:
        return sorted(k for k, v in self.choices.items() if not v)


def _utc(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def flat(record: ExportRecord) -> dict[str, Any]:
    """The record as the CSV and JSON Lines formats carry it (``COLUMNS``)."""
    return {
        "record_id": record.id,
        "site": record.site,
        "consent_id": record.consent_id,
        "created_at": _utc(record.created_at),
        "method": record.method,
        "language": record.language,
        "consent_version": record.notice.consent_version,
        "charter_edition": record.notice.edition,
        "charter_digest": record.notice.digest,
        "texts_digest": record.texts_digest,
        "granted": record.granted,
        "refused": record.refused,
        "choices": dict(sorted(record.choices.items())),
        "user_id": record.user_id,
        "record_hash": record.record_hash,
    }


def purpose_state(record: ExportRecord, granted: bool) -> str:
    """``given``, ``refused`` or ``withdrawn`` for one purpose of the record.

    A withdrawal record (method ``withdraw``) marks every purpose it refuses as withdrawn: the
    record itself does not say which of them the previous choice had granted (the consent id's
    previous record does)."""
    if granted:
        return "given"
    return "withdrawn" if record.method == "withdraw" else "refused"


def iso27560(record: ExportRecord) -> dict[str, Any]:
    """The record laid out as an ISO/IEC TS 27560 consent record (field names of the standard)."""
    notice = record.notice
    controller = notice.controller
    states = {key: purpose_state(record, value) for key, value in sorted(record.choices.items())}
    if any(state == "given" for state in states.values()):
        overall = "given"
    else:
        overall = "withdrawn" if record.method == "withdraw" else "refused"
    return {
        "schema_version": ISO_SCHEMA_VERSION,
        "record_id": f"{record.site}:{record.id}",
        # Pseudonymous: the random id of the visitor's consent cookie, which they can read and cite.
        "pii_principal_id": record.consent_id,
        "pii_controllers": [
            {
                "pii_controller_name": controller.get("name", ""),
                "contact": controller.get("contact", ""),
                "url": controller.get("url", ""),
            }
        ],
        "notice": {
            "notice_id": notice.digest,
            "version": notice.consent_version,
            "edition": notice.edition,
            "language": record.language,
            "texts_digest": record.texts_digest,
        },
        "purposes": [
            {
                "purpose_id": key,
                "purpose": notice.title(key, record.language),
                "lawful_basis": "consent",
                "state": states[key],
            }
            for key in states
        ],
        "events": [
            {
                "event_time": _utc(record.created_at),
                "event_type": record.method,
                "event_by": "pii_principal",
                "event_state": overall,
            }
        ],
        "collection_method": "website cookie banner",
        "site": record.site,
        "pii_principal_account": record.user_id,
        "record_integrity": {"algorithm": "HMAC-SHA256", "record_hash": record.record_hash},
    }


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def render(records: Iterable[ExportRecord], fmt: str) -> Iterator[str]:
    """The text of the export, a chunk of ``CHUNK_RECORDS`` records at a time (header first for CSV)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if fmt == "csv":
        writer.writerow(COLUMNS)
    pending = 0
    for record in records:
        if fmt == "csv":
            row = flat(record)
            row["granted"] = " ".join(row["granted"])
            row["refused"] = " ".join(row["refused"])
            row["choices"] = _dumps(row["choices"])
            row["user_id"] = "" if row["user_id"] is None else row["user_id"]
            writer.writerow([row[c] for c in COLUMNS])
        else:
            buffer.write(_dumps(flat(record) if fmt == "jsonl" else iso27560(record)))
            buffer.write("\n")
        pending += 1
        if pending == CHUNK_RECORDS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue()


class Exporter:
    """Renders records to UTF-8 bytes and keeps what the export's record needs: how many
    records, how many bytes, and the SHA-256 of those bytes."""

    def __init__(self, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
        self.format = fmt
        self.records = 0
        self.size = 0
        self._sha256 = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def _counted(self, records: Iterable[ExportRecord]) -> Iterator[ExportRecord]:
        for record in records:
            self.records += 1
            yield record

    def chunks(self, records: Iterable[ExportRecord]) -> Iterator[bytes]:
        for text in render(self._counted(records), self.format):
            data = text.encode("utf-8")
            self._sha256.update(data)
            self.size += len(data)
            yield data
