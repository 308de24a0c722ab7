"""The proof ledger in the database: append a record, seal batches, verify, prune; per site.

The hashing rules are ``cookiecharter.core.proof``; this module only moves rows. A choice costs
one INSERT through the ORM (and a look-up of its charter version row), so writers never queue
behind one another. Each site has its own chain of seals over its own records; seals are made
after the fact, by whichever process fills a batch or finds the last sealing older than
``LEDGER_SEAL_INTERVAL`` (after its response is sent), or by ``manage.py cookiecharter_seal``.
Each seal is then written down, signed, in the witness file outside the database
(``core.witness``).

When the database does not answer, a refusal, a withdrawal or a browser signal is kept in the
pending file (``core.pending``) and moved into the database later; a choice that grants anything
new raises ``ProofUnavailable`` instead, so that nothing is granted without its proof.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.signals import request_finished
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import Max, Sum
from django.utils import timezone

from .core import proof as core
from .core.charter import Charter
from .core.consent import Consent, Method
from .core.pending import PendingFile
from .core.witness import Checkpoint, WitnessFile, compare
from .models import CharterVersion, ConsentRecord, LedgerSeal

if TYPE_CHECKING:
    from .sites import Site

log = logging.getLogger("cookiecharter.ledger")


def ledger_alias() -> str:
    from .sites import registry

    return registry.settings().database


def ledger_keys() -> list[bytes]:
    """The HMAC key records and seals are made with, then the keys of ``SECRET_KEY_FALLBACKS``."""
    from .sites import LEDGER_SALT, derived_keys

    return derived_keys(LEDGER_SALT)


def _aware(when: datetime) -> datetime:
    """Datetimes as hashed: aware. (With USE_TZ=False Django stores naive local times.)"""
    if when.tzinfo is not None:
        return when
    return timezone.make_aware(when, timezone.get_default_timezone())


def charter_version(charter: Charter, *, using: str | None = None) -> CharterVersion:
    """The row that stores ``charter`` exactly as shown (created the first time it is shown)."""
    return _version_row(charter.digest, charter.consent_version, charter.edition, charter.as_data(), using)


def _version_row(digest: str, consent_version: str, edition: str, data: Any, using: str | None) -> CharterVersion:
    row, _ = CharterVersion.objects.using(using or ledger_alias()).get_or_create(
        digest=digest,
        defaults={
            "consent_version": consent_version,
            "edition": edition,
            "data": data,
            "first_shown_at": timezone.now(),
        },
    )
    return row


# -- outside the database: the witness and the pending records ---------------------------------


def _directory() -> Path | None:
    from .sites import registry

    directory = registry.settings().directory
    return Path(directory) if directory else None


def witness_file() -> WitnessFile | None:
    """The witness of the seals (``LEDGER_DIRECTORY/witness.jsonl``), or None when not configured."""
    directory = _directory()
    return WitnessFile(directory / "witness.jsonl") if directory else None


def pending_file() -> PendingFile | None:
    """The records waiting for the database (``LEDGER_DIRECTORY/pending.jsonl``), or None."""
    directory = _directory()
    return PendingFile(directory / "pending.jsonl") if directory else None


class ProofUnavailable(Exception):
    """The ledger cannot record a choice that grants something, so the choice is not made."""


# -- appending ----------------------------------------------------------------------------------


def choices_for(charter: Charter, granted: frozenset[str], *, only: list[str] | None = None) -> dict[str, bool]:
    """``{purpose: granted?}`` for every purpose that needs consent (or only those in ``only``)."""
    keys = [p.key for p in charter.consent_purposes]
    if only is not None:
        keys = [k for k in keys if k in only]
    return {k: k in granted for k in keys}


def append(
    site: Site,
    *,
    consent: Consent,
    method: Method,
    language: str,
    choices: Mapping[str, bool],
    user_id: str | None = None,
    created_at: datetime | None = None,
    may_wait: bool = False,
    using: str | None = None,
) -> int | None:
    """Append the one record of a choice made on ``site`` and return its id. One INSERT, in
    autocommit: no lock held across rows.

    When the database fails: with ``may_wait`` (a refusal, a withdrawal, a browser signal) the record
    goes to the pending file, to be written when the database answers again, and None is returned;
    otherwise ``ProofUnavailable`` is raised. ``created_at`` defaults to the choice's time; pass the
    unrounded clock (the cookie keeps whole seconds) so two choices of one visitor within a second
    still differ.
    """
    alias = using or ledger_alias()
    assert consent.consent_id is not None and consent.decided_at is not None
    created_at = created_at or consent.decided_at
    fields = core.RecordFields(
        consent_id=consent.consent_id,
        created_at=_aware(created_at),
        charter_digest=site.charter.digest,
        texts_digest=core.texts_digest(site.charter, language),
        language=language,
        choices=dict(choices),
        method=method.value,
        user_id=user_id,
        site=site.name,
    )
    entry = _entry(fields, core.record_hash(ledger_keys()[0], fields), site.charter)
    try:
        record_id = _write(entry, alias)
    except DatabaseError as exc:
        if not may_wait:
            raise ProofUnavailable(str(exc)) from exc
        _keep_for_later(entry, exc)
        return None
    _after_write(alias, site.name, record_id)
    return record_id


def append_fields(fields: core.RecordFields, charter: Charter, *, using: str | None = None) -> int:
    """Append a record that is not a visitor's choice (an audit run, ``cookiecharter.audits``): the
    fields as given, hashed and sealed like any record. A database failure raises: nothing waits."""
    alias = using or ledger_alias()
    record_id = _write(_entry(fields, core.record_hash(ledger_keys()[0], fields), charter), alias)
    _after_write(alias, fields.site, record_id)
    return record_id


def _entry(fields: core.RecordFields, record_hash: str, charter: Charter) -> dict[str, Any]:
    """A record as plain data: what the pending file keeps, and what a write needs."""
    return {
        "site": fields.site,
        "consent_id": fields.consent_id,
        "created_at": fields.created_at.isoformat(),
        "charter": {
            "digest": charter.digest,
            "consent_version": charter.consent_version,
            "edition": charter.edition,
            "data": charter.as_data(),
        },
        "texts_digest": fields.texts_digest,
        "language": fields.language,
        "choices": dict(fields.choices),
        "method": fields.method,
        "user_id": fields.user_id,
        "record_hash": record_hash,
    }


def _write(entry: Mapping[str, Any], alias: str) -> int:
    charter = entry["charter"]
    version = _version_row(charter["digest"], charter["consent_version"], charter["edition"], charter["data"], alias)
    record = ConsentRecord.objects.using(alias).create(
        site=entry["site"],
        consent_id=entry["consent_id"],
        created_at=datetime.fromisoformat(entry["created_at"]),
        charter_version=version,
        texts_digest=entry["texts_digest"],
        language=entry["language"],
        choices=entry["choices"],
        method=entry["method"],
        user_id=entry["user_id"],
        record_hash=entry["record_hash"],
    )
    return int(record.pk)


def _keep_for_later(entry: dict[str, Any], exc: Exception) -> None:
    pending = pending_file()
    if pending is None:
        # No folder to keep it in (LEDGER_DIRECTORY, check W009): the log is the last durable place.
        log.error(
            "cookiecharter: the ledger's database failed (%s); the proof of this choice is only in this log: %s",
            exc,
            json.dumps(entry, ensure_ascii=False),
        )
        return
    pending.add(entry)
    log.warning(
        "cookiecharter: the ledger's database failed (%s); the proof of a %s on site %s waits in %s",
        exc,
        entry["method"],
        entry["site"],
        pending.path,
    )


def write_pending(*, using: str | None = None) -> int:
    """Move the records waiting in the pending file into the database, oldest first; how many.

    A record already in the database (written before a crash cut the drain short) is not written
    twice: its consent id, time and hash say it is there.
    """
    pending = pending_file()
    if pending is None:
        return 0
    alias = using or ledger_alias()

    def write(entry: dict[str, Any]) -> None:
        there = ConsentRecord.objects.using(alias).filter(
            site=entry["site"], consent_id=entry["consent_id"], record_hash=entry["record_hash"]
        )
        if not there.exists():
            _write(entry, alias)

    return pending.drain(write)


# -- sealing ------------------------------------------------------------------------------------

#: What this thread's request left to do once its response is sent: (alias, {site: partial?}).
_after = threading.local()
#: When this process last sealed each (alias, site): time-based sealing needs no database read.
_last_sealing: dict[tuple[str, str], float] = {}


def _after_write(alias: str, site: str, record_id: int) -> None:
    from .sites import registry

    settings = registry.settings()
    now = time.monotonic()
    batch_full = record_id % settings.seal_batch == 0
    stale = now - _last_sealing.get((alias, site), 0.0) >= settings.seal_interval
    pending = pending_file()
    if batch_full or stale or (pending is not None and pending.path.exists() and pending.count()):
        todo = getattr(_after, "todo", None) or {}
        # A full batch seals full batches; time seals what is there (past the grace period).
        todo[(alias, site)] = todo.get((alias, site), False) or stale
        _after.todo = todo


def _after_response(**kwargs: Any) -> None:
    """Once the response is out, never while the visitor waits: write what waited for the database,
    then seal."""
    todo = getattr(_after, "todo", None)
    if not todo:
        return
    _after.todo = None
    try:
        for alias in {alias for alias, _ in todo}:
            write_pending(using=alias)
        for (alias, site), partial in todo.items():
            _last_sealing[(alias, site)] = time.monotonic()
            seal_pending(site, using=alias, partial=partial)
    except Exception:  # sealing later is fine; failing a finished request is not
        log.exception("cookiecharter: automatic ledger sealing failed; run cookiecharter_seal")


request_finished.connect(_after_response, dispatch_uid="cookiecharter.ledger.seal")


def sites_in_ledger(*, using: str | None = None) -> list[str]:
    """Every site that has records or seals in the ledger (configured now or not)."""
    alias = using or ledger_alias()
    names = set(ConsentRecord.objects.using(alias).values_list("site", flat=True).distinct())
    names |= set(LedgerSeal.objects.using(alias).values_list("site", flat=True).distinct())
    return sorted(names)


def seal_pending(
    site: str,
    *,
    using: str | None = None,
    batch: int | None = None,
    partial: bool = False,
    grace_seconds: float | None = None,
    now: datetime | None = None,
) -> list[LedgerSeal]:
    """Seal every full batch of the site's unsealed records (and, with ``partial``, the rest too).

    Safe to run from several processes at once: each seal's ``number`` and ``first_id`` are
    unique per site, so of two sealers racing for the same batch one INSERT fails and that sealer
    stops.
    """
    from .sites import registry

    alias = using or ledger_alias()
    size = int(batch or registry.settings().seal_batch)
    if grace_seconds is None:
        grace_seconds = registry.settings().seal_grace
    key = ledger_keys()[0]
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=grace_seconds)
    made: list[LedgerSeal] = []
    while True:
        last = LedgerSeal.objects.using(alias).filter(site=site).order_by("-number").first()
        rows = list(
            ConsentRecord.objects.using(alias)
            .filter(site=site, id__gt=last.last_id if last else 0)
            .order_by("id")
            .values_list("id", "record_hash", "created_at")[:size]
        )
        eligible: list[tuple[int, str]] = []
        for rid, rhash, created in rows:
            if _aware(created) > cutoff:
                break  # keep to a prefix: never seal past a record that might still be in flight
            eligible.append((rid, rhash))
        if not eligible or (len(eligible) < size and not partial):
            return made
        fields, seal_hash = core.make_seal(
            key,
            number=(last.number + 1) if last else 1,
            records=eligible,
            previous_hash=last.seal_hash if last else "",
            created_at=now,
            site=site,
        )
        try:
            with transaction.atomic(using=alias):
                # The model's columns carry the core's field names (created_at is ``now``).
                seal = LedgerSeal.objects.using(alias).create(**dataclasses.asdict(fields), seal_hash=seal_hash)
        except IntegrityError:
            log.info("cookiecharter: seal %s of site %s made by another process meanwhile", fields.number, site)
            return made
        made.append(seal)
        _witness(seal, key, alias)


def _witness(seal: LedgerSeal, key: bytes, alias: str) -> None:
    """Write the new seal down outside the database (when a witness is configured)."""
    witness = witness_file()
    if witness is None:
        return
    sealed = LedgerSeal.objects.using(alias).filter(site=seal.site, number__lte=seal.number).aggregate(n=Sum("count"))
    witness.write(
        Checkpoint(
            site=seal.site,
            seal=seal.number,
            seal_hash=seal.seal_hash,
            last_id=seal.last_id,
            sealed=int(sealed["n"] or 0),
            at=_aware(seal.created_at),
        ),
        key,
    )


# -- verifying ----------------------------------------------------------------------------------


def _stored_records(alias: str, site: str) -> Iterator[core.StoredRecord]:
    rows = (
        ConsentRecord.objects.using(alias)
        .filter(site=site)
        .order_by("id")
        .values_list(
            "id",
            "consent_id",
            "created_at",
            "charter_version__digest",
            "texts_digest",
            "language",
            "choices",
            "method",
            "user_id",
            "record_hash",
        )
    )
    for rid, cid, created, digest, texts, lang, choices, method, user_id, rhash in rows.iterator(chunk_size=2000):
        yield core.StoredRecord(
            rid,
            core.RecordFields(
                consent_id=cid,
                created_at=_aware(created),
                charter_digest=digest or "",
                texts_digest=texts,
                language=lang,
                choices=choices if isinstance(choices, dict) else {},
                method=method,
                user_id=user_id,
                site=site,
            ),
            rhash,
        )


def _seal_fields(seal: LedgerSeal) -> core.SealFields:
    """The hashed part of a stored seal, read back: its columns carry the core's field names."""
    values = {f.name: getattr(seal, f.name) for f in dataclasses.fields(core.SealFields)}
    values["created_at"] = _aware(seal.created_at)
    return core.SealFields(**values)


def _stored_seals(alias: str, site: str) -> list[core.StoredSeal]:
    return [
        core.StoredSeal(_seal_fields(s), s.seal_hash, _aware(s.pruned_at) if s.pruned_at else None, s.pruned_hash)
        for s in LedgerSeal.objects.using(alias).filter(site=site).order_by("number")
    ]


def high_water_mark(alias: str) -> int | None:
    """The highest record id the database ever handed out (its sequence), or None if unknown."""
    connection = connections[alias]
    table = ConsentRecord._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (sequence,) = cursor.fetchone()
            if not sequence:
                return None
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a name from the catalogue
            last_value, is_called = cursor.fetchone()
            return int(last_value) if is_called else 0
    return None


def verify(site: str, *, using: str | None = None) -> core.Report:
    """Check every record and seal of one site, and that no record is missing from the table."""
    alias = using or ledger_alias()
    # The sequence first: a record inserted while we read can then only look "extra", never missing.
    hwm = high_water_mark(alias)
    seals = _stored_seals(alias, site)
    others = (
        ConsentRecord.objects.using(alias)
        .exclude(site=site)
        .order_by("id")
        .values_list("id", flat=True)
        .iterator(chunk_size=10000)
    )
    keys = ledger_keys()
    report = core.verify(keys, _stored_records(alias, site), seals, high_water_mark=hwm, other_ids=others)
    witness = witness_file()
    if witness is not None:
        problems, report.witnessed = compare(witness.lines(keys), seals, site)
        report.problems.extend(problems)
    pending = pending_file()
    if pending is not None:
        report.pending = sum(1 for entry in pending.entries() if entry.get("site") == site)
    return report


# -- pruning ------------------------------------------------------------------------------------


def prune(site: str, *, days: int, using: str | None = None, now: datetime | None = None) -> tuple[int, int]:
    """Delete a site's records older than ``days``, whole seals at a time; return (seals, records).

    Old records not yet sealed are sealed first, so nothing is deleted without a seal that says
    what was there; each pruned seal keeps its row, marked with an HMAC of the pruning time.
    """
    alias = using or ledger_alias()
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    seal_pending(site, using=alias, partial=True, now=now)
    key = ledger_keys()[0]
    seals = records = 0
    for seal in LedgerSeal.objects.using(alias).filter(site=site, pruned_at__isnull=True).order_by("number"):
        covered = ConsentRecord.objects.using(alias).filter(site=site, id__gte=seal.first_id, id__lte=seal.last_id)
        newest = covered.aggregate(m=Max("created_at"))["m"]
        if newest is not None and _aware(newest) >= cutoff:
            break  # seals are in time order: the rest are younger still
        with transaction.atomic(using=alias):
            deleted, _ = covered.delete()
            seal.pruned_at = now
            seal.pruned_hash = core.pruned_hash(key, seal.seal_hash, _aware(now))
            seal.save(using=alias, update_fields=["pruned_at", "pruned_hash"])
        seals += 1
        records += deleted
    return seals, records


# -- SQLite: concurrent writers -----------------------------------------------------------------


#: How long a write waits for another writer's lock on SQLite before it fails (milliseconds), unless
#: the database's OPTIONS set a "timeout": long enough for the other writer's one-row INSERT, short
#: enough that a file locked by something else costs each request a bounded wait, not a frozen site.
SQLITE_BUSY_TIMEOUT_MS = 2000


def _tune_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """WAL lets readers go on while one writer writes; a busy timeout makes a second writer wait
    its turn instead of failing at once with "database is locked"."""
    if connection.vendor != "sqlite":
        return
    options = connection.settings_dict.get("OPTIONS", {})
    with connection.cursor() as cursor:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception:  # e.g. another connection switching it at this very moment
            log.debug("cookiecharter: could not switch SQLite to WAL", exc_info=True)
        if "timeout" not in options:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


connection_created.connect(_tune_sqlite, dispatch_uid="cookiecharter.ledger.sqlite")


__all__ = [
    "ProofUnavailable",
    "append",
    "append_fields",
    "charter_version",
    "choices_for",
    "high_water_mark",
    "ledger_keys",
    "pending_file",
    "prune",
    "seal_pending",
    "sites_in_ledger",
    "verify",
    "witness_file",
    "write_pending",
]
