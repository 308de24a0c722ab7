"""The proof ledger in the database: append a record, seal batches, verify, prune.

The hashing rules are ``cookiecharter.core.ledger``; this module only moves rows. A decision costs
one INSERT (plus, once per charter version and process, a lookup of the version row), so writers
never queue behind one another. Seals are made after the fact, in batches, by whichever process
fills a batch (after its response is sent) or by ``manage.py cookiecharter_seal``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any

from django.core.signals import request_finished
from django.db import IntegrityError, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import Max

from . import conf
from .consent import LEDGER_SALT, derived_keys
from .core import ledger as core
from .core.charter import Charter
from .core.consent import Consent, Method
from .models import CharterVersion, ConsentRecord, LedgerSeal

log = logging.getLogger("cookiecharter.ledger")

#: A record younger than this is not sealed yet: on PostgreSQL a lower id can commit after a
#: higher one, and a seal must never skip a record that is still in flight.
SEAL_GRACE_SECONDS = 5


def ledger_alias() -> str:
    return conf.config()["LEDGER_DATABASE"]


@lru_cache(maxsize=None)
def _keys() -> tuple[bytes, ...]:
    return tuple(derived_keys(LEDGER_SALT))


conf.on_clear(_keys.cache_clear)


def ledger_keys() -> list[bytes]:
    """The HMAC key records and seals are made with, then the keys of ``SECRET_KEY_FALLBACKS``."""
    return list(_keys())


def _aware(when: datetime) -> datetime:
    """Datetimes as hashed: aware. (With USE_TZ=False Django stores naive local times.)"""
    if when.tzinfo is not None:
        return when
    from django.utils import timezone

    return timezone.make_aware(when, timezone.get_default_timezone())


# -- charter versions ---------------------------------------------------------------------------

_versions: dict[tuple[str, str], tuple[int, str]] = {}
_texts: dict[tuple[str, str], str] = {}


@conf.on_clear
def _forget_versions() -> None:
    _versions.clear()
    _texts.clear()


def charter_version(charter: Charter, *, using: str | None = None) -> int:
    """The id of the row that stores ``charter`` (created the first time it is shown)."""
    alias = using or ledger_alias()
    key = (alias, charter.digest)
    cached = _versions.get(key)
    if cached is not None:
        return cached[0]
    from django.utils import timezone

    row, _ = CharterVersion.objects.using(alias).get_or_create(
        digest=charter.digest,
        defaults={
            "consent_version": charter.consent_version,
            "edition": charter.edition,
            "data": charter.as_data(),
            "first_shown_at": timezone.now(),
        },
    )
    # Cached only once the row is committed: a rolled-back transaction (a test, ATOMIC_REQUESTS
    # failing) must not leave a process pointing at a row that no longer exists. In autocommit
    # this runs at once.
    transaction.on_commit(lambda: _versions.__setitem__(key, (row.pk, charter.digest)), using=alias)
    return row.pk


def texts_digest(charter: Charter, language: str) -> str:
    key = (charter.digest, language)
    found = _texts.get(key)
    if found is None:
        found = _texts[key] = core.texts_digest(charter, language)
    return found


# -- appending ----------------------------------------------------------------------------------


def choices_for(charter: Charter, granted: frozenset[str], *, only: list[str] | None = None) -> dict[str, bool]:
    """``{purpose: granted?}`` for every purpose that needs consent (or only those in ``only``)."""
    keys = [p.key for p in charter.consent_purposes]
    if only is not None:
        keys = [k for k in keys if k in only]
    return {k: k in granted for k in keys}


def append(
    *,
    charter: Charter,
    consent: Consent,
    method: Method,
    language: str,
    choices: Mapping[str, bool],
    user_id: str | None = None,
    created_at: datetime | None = None,
    using: str | None = None,
) -> int:
    """Append the one record of a decision and return its id. One INSERT, in autocommit: no lock
    held across rows.

    ``created_at`` defaults to the decision time; pass the unrounded clock (the cookie keeps whole
    seconds) so two decisions of one visitor within a second still differ.
    """
    alias = using or ledger_alias()
    version_id = charter_version(charter, using=alias)
    assert consent.consent_id is not None and consent.decided_at is not None
    created_at = created_at or consent.decided_at
    fields = core.RecordFields(
        consent_id=consent.consent_id,
        created_at=_aware(created_at),
        charter_digest=charter.digest,
        texts_digest=texts_digest(charter, language),
        language=language,
        choices=dict(choices),
        method=method.value,
        user_id=user_id,
    )
    record_id = _insert(
        alias,
        {
            "consent_id": fields.consent_id,
            "created_at": created_at,
            "charter_version_id": version_id,
            "texts_digest": fields.texts_digest,
            "language": language,
            "choices": fields.choices,
            "method": fields.method,
            "user_id": user_id,
            "record_hash": core.record_hash(ledger_keys()[0], fields),
        },
    )
    batch = int(conf.config()["LEDGER_SEAL_BATCH"] or 0)
    if batch > 0 and record_id % batch == 0:
        # A batch has (probably) filled: seal once this response is out, not while the visitor waits.
        _pending.alias = alias
    return record_id


#: alias -> (INSERT ... RETURNING id, fields), or None where the ORM's own create() is used.
_insert_plans: dict[str, tuple[str, list[Any]] | None] = {}


def _insert(alias: str, values: dict[str, Any]) -> int:
    """INSERT one record and return its id.

    On PostgreSQL and SQLite the statement is written once and reused, each value prepared by its
    model field exactly as the ORM would (``get_db_prep_save``): building the SQL through the ORM
    on every decision cost more than the INSERT itself on a busy CPU. No ``post_save`` signal is
    sent (the ledger is append-only evidence, nothing should hook into its writes). Other
    databases go through ``QuerySet.create``.
    """
    connection = connections[alias]
    if alias not in _insert_plans:
        plan = None
        if connection.vendor in ("postgresql", "sqlite") and connection.features.can_return_columns_from_insert:
            meta = ConsentRecord._meta
            fields = [f for f in meta.concrete_fields if not f.primary_key]
            qn = connection.ops.quote_name
            sql = (
                f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
                f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}"
            )
            plan = (sql, fields)
        _insert_plans[alias] = plan
    plan = _insert_plans[alias]
    if plan is None:
        return ConsentRecord.objects.using(alias).create(**values).pk
    sql, fields = plan
    params = [f.get_db_prep_save(values[f.attname], connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


# -- sealing ------------------------------------------------------------------------------------

_pending = threading.local()


def _seal_after_response(**kwargs: Any) -> None:
    alias = getattr(_pending, "alias", None)
    if alias is None:
        return
    _pending.alias = None
    try:
        seal_pending(using=alias)
    except Exception:  # noqa: BLE001 - sealing later is fine; failing a finished request is not
        log.exception("cookiecharter: automatic ledger sealing failed; run cookiecharter_seal")


request_finished.connect(_seal_after_response, dispatch_uid="cookiecharter.ledger.seal")


def seal_pending(
    *,
    using: str | None = None,
    batch: int | None = None,
    partial: bool = False,
    grace_seconds: float = SEAL_GRACE_SECONDS,
    now: datetime | None = None,
) -> list[LedgerSeal]:
    """Seal every full batch of unsealed records (and, with ``partial``, the rest too).

    Safe to run from several processes at once: each seal's ``number`` and ``first_id`` are
    unique, so of two sealers racing for the same batch one INSERT fails and that sealer stops.
    """
    from django.utils import timezone

    alias = using or ledger_alias()
    size = int(batch or conf.config()["LEDGER_SEAL_BATCH"] or 1000)
    key = ledger_keys()[0]
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=grace_seconds)
    made: list[LedgerSeal] = []
    while True:
        last = LedgerSeal.objects.using(alias).order_by("-number").first()
        after = last.last_id if last else 0
        rows = list(
            ConsentRecord.objects.using(alias)
            .filter(id__gt=after)
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
        )
        try:
            with transaction.atomic(using=alias):
                # The model's columns carry the core's field names (created_at is ``now``).
                seal = LedgerSeal.objects.using(alias).create(**dataclasses.asdict(fields), seal_hash=seal_hash)
        except IntegrityError:
            log.info("cookiecharter: seal %s made by another process meanwhile", fields.number)
            return made
        made.append(seal)


# -- verifying ----------------------------------------------------------------------------------


def _stored_records(alias: str) -> Iterator[core.StoredRecord]:
    rows = (
        ConsentRecord.objects.using(alias)
        .order_by("id")
        .values_list(
            "id", "consent_id", "created_at", "charter_version__digest", "texts_digest",
            "language", "choices", "method", "user_id", "record_hash",
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
            ),
            rhash,
        )


def _seal_fields(seal: LedgerSeal) -> core.SealFields:
    """The hashed part of a stored seal, read back: its columns carry the core's field names."""
    values = {f.name: getattr(seal, f.name) for f in dataclasses.fields(core.SealFields)}
    values["created_at"] = _aware(seal.created_at)
    return core.SealFields(**values)


def _stored_seals(alias: str) -> list[core.StoredSeal]:
    return [
        core.StoredSeal(
            _seal_fields(s),
            s.seal_hash,
            _aware(s.pruned_at) if s.pruned_at else None,
            s.pruned_hash,
        )
        for s in LedgerSeal.objects.using(alias).order_by("number")
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


def verify(*, using: str | None = None) -> core.Report:
    alias = using or ledger_alias()
    # The sequence first: a record inserted while we read can then only look "extra", never missing.
    hwm = high_water_mark(alias)
    seals = _stored_seals(alias)
    return core.verify(ledger_keys(), _stored_records(alias), seals, high_water_mark=hwm)


# -- pruning ------------------------------------------------------------------------------------


def prune(*, days: int, using: str | None = None, now: datetime | None = None) -> tuple[int, int]:
    """Delete records older than ``days``, whole seals at a time; return (seals, records) pruned.

    Old records not yet sealed are sealed first, so nothing is deleted without a seal that says
    what was there; each pruned seal keeps its row, marked with an HMAC of the pruning time.
    """
    from django.utils import timezone

    alias = using or ledger_alias()
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    seal_pending(using=alias, partial=True, now=now)
    key = ledger_keys()[0]
    seals = records = 0
    for seal in LedgerSeal.objects.using(alias).filter(pruned_at__isnull=True).order_by("number"):
        newest = (
            ConsentRecord.objects.using(alias)
            .filter(id__gte=seal.first_id, id__lte=seal.last_id)
            .aggregate(m=Max("created_at"))["m"]
        )
        if newest is not None and _aware(newest) >= cutoff:
            break  # seals are in time order: the rest are younger still
        with transaction.atomic(using=alias):
            deleted, _ = (
                ConsentRecord.objects.using(alias)
                .filter(id__gte=seal.first_id, id__lte=seal.last_id)
                .delete()
            )
            seal.pruned_at = now
            seal.pruned_hash = core.pruned_hash(key, seal.seal_hash, _aware(now))
            seal.save(using=alias, update_fields=["pruned_at", "pruned_hash"])
        seals += 1
        records += deleted
    return seals, records


# -- SQLite: concurrent writers -----------------------------------------------------------------


def _tune_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """WAL lets readers go on while one writer writes; a busy timeout makes a second writer wait
    its turn instead of failing with "database is locked"."""
    if connection.vendor != "sqlite":
        return
    options = connection.settings_dict.get("OPTIONS", {})
    with connection.cursor() as cursor:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except Exception:  # noqa: BLE001 - e.g. another connection switching it at this very moment
            log.debug("cookiecharter: could not switch SQLite to WAL", exc_info=True)
        if "timeout" not in options:
            cursor.execute("PRAGMA busy_timeout = 30000")


connection_created.connect(_tune_sqlite, dispatch_uid="cookiecharter.ledger.sqlite")


__all__ = [
    "append", "charter_version", "choices_for", "high_water_mark", "ledger_keys", "prune",
    "seal_pending", "texts_digest", "verify",
]
