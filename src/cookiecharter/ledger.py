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

import array
import contextlib
import dataclasses
import functools
import gc
import hmac
import itertools
import json
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.signals import request_finished
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import daily
from .core import proof as core
from .core.charter import Charter
from .core.consent import Consent, Method
from .core.pending import PendingFile
from .core.witness import Checkpoint, VerifiedFile, WitnessFile, compare
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

    written: dict[str, list[datetime]] = {}

    def write(entry: dict[str, Any]) -> None:
        there = ConsentRecord.objects.using(alias).filter(
            site=entry["site"], consent_id=entry["consent_id"], record_hash=entry["record_hash"]
        )
        if not there.exists():
            _write(entry, alias)
            written.setdefault(entry["site"], []).append(datetime.fromisoformat(entry["created_at"]))

    try:
        return pending.drain(write)
    finally:
        # They are dated when they were decided: a day already counted must count them too.
        for site, dates in written.items():
            daily.recount(site, daily.local_day(min(dates)), daily.local_day(max(dates)), using=alias)


# -- sealing ------------------------------------------------------------------------------------

#: What this thread's request left to do once its response is sent: (alias, {site: partial?}).
_after = threading.local()
#: When this process last sealed each (alias, site), or first wrote to it: time-based sealing needs
#: no database read.
_last_sealing: dict[tuple[str, str], float] = {}


def _after_write(alias: str, site: str, record_id: int) -> None:
    from .sites import registry

    settings = registry.settings()
    now = time.monotonic()
    batch_full = record_id % settings.seal_batch == 0
    # A process that has not sealed this site yet counts the interval from its first write: whether
    # it seals at once must not depend on how long the machine has been up (the monotonic clock's origin).
    stale = now - _last_sealing.setdefault((alias, site), now) >= settings.seal_interval
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
    """Every site that has records or seals in the ledger (configured now or not).

    The records' sites one index look-up at a time (the first name after the last one found, in the
    ``(site, id)`` index): a ``DISTINCT`` reads every record, 0.7 s a million before the verifier or
    the sealer started, at each run of their commands."""
    alias = using or ledger_alias()
    names = set(LedgerSeal.objects.using(alias).values_list("site", flat=True).distinct())
    records = ConsentRecord.objects.using(alias)
    site = records.aggregate(first=Min("site"))["first"]
    while site is not None:
        names.add(site)
        site = records.filter(site__gt=site).aggregate(first=Min("site"))["first"]
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


def verify_reference(site: str, *, using: str | None = None) -> core.Report:
    """The verifier as it was before ``verify`` read raw rows: every record through the ORM into
    ``core.StoredRecord`` objects. Slow (about ten times ``verify(full=True)``), kept as the yardstick
    the fast path is compared with (tests, ``bench/bench_verify.py``); no witness, no checkpoint."""
    alias = using or ledger_alias()
    hwm = high_water_mark(alias)
    seals = _stored_seals(alias, site)
    others = _other_ids(alias, site, 0)
    return core.verify(ledger_keys(), _stored_records(alias, site), seals, high_water_mark=hwm, other_ids=others)


def verify(site: str, *, using: str | None = None, full: bool = False, jobs: int = 1) -> core.Report:
    """Check the records and seals of one site, and that no record is missing from the table.

    Incremental unless ``full``: when ``LEDGER_DIRECTORY/verified.jsonl`` holds a checkpoint of a
    clean run for the site, only the records after its seal are read again; the whole chain of
    seals, the checkpoint's seal and the number and ids of the records before it are still checked
    (docs/ledger.md, "Verifying a large ledger"). When that finds anything wrong, everything is
    verified again, so a problem is always reported as a full run reports it. A clean run writes
    its checkpoint.

    ``jobs`` > 1 reads and hashes the records in that many processes (forked, each with its own
    connection, a range of ids at a time) when there are enough records to be worth it and no
    transaction is open; this process walks through what they send back, records and seals, as
    it comes.
    """
    alias = using or ledger_alias()
    keys = ledger_keys()
    checkpoints = verified_file()
    problems: list[core.Problem] = []
    since: Checkpoint | None = None
    if checkpoints is not None and not full:
        since, problems = _last_verified(checkpoints, site, keys)
    # The sequence first: a record inserted while we read can then only look "extra", never missing.
    hwm = high_water_mark(alias)
    seals = _stored_seals(alias, site)
    if since is not None and not _checkpoint_holds(seals, since):
        # Its seal is not the one verified: nothing before it is vouched for, so read everything (the
        # full run and the witness name what changed, as they would without a checkpoint).
        since = None
    with _collector_paused():
        report = _verify_records(alias, site, keys, seals, hwm, since, jobs)
        if since is not None and not report.ok:
            # Something is wrong: name it exactly as a full run does, reading everything again.
            hwm = high_water_mark(alias)
            seals = _stored_seals(alias, site)
            report = _verify_records(alias, site, keys, seals, hwm, None, jobs)
    report.problems.extend(problems)
    witness = witness_file()
    if witness is not None:
        found, report.witnessed = compare(witness.lines(keys), seals, site)
        report.problems.extend(found)
    pending = pending_file()
    if pending is not None:
        report.pending = sum(1 for entry in pending.entries() if entry.get("site") == site)
    if checkpoints is not None and report.ok:
        _write_verified(checkpoints, site, seals, since, keys[0])
    return report


#: Verifications under way in this process, and whether the cyclic garbage collector ran before the first.
_pausing = {"count": 0, "was_enabled": False}
_pausing_lock = threading.Lock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the records stream through. Reading a million
    rows makes millions of short-lived tuples, and the collector would otherwise walk them over and
    over (about a tenth of a full run), although they make no cycles: reference counting frees
    them as the walk moves on. Other threads only see their own cycles freed a few seconds later."""
    with _pausing_lock:
        if _pausing["count"] == 0:
            _pausing["was_enabled"] = gc.isenabled()
            gc.disable()
        _pausing["count"] += 1
    try:
        yield
    finally:
        with _pausing_lock:
            _pausing["count"] -= 1
            if _pausing["count"] == 0 and _pausing["was_enabled"]:
                gc.enable()


def _verify_records(
    alias: str,
    site: str,
    keys: list[bytes],
    seals: list[core.StoredSeal],
    hwm: int | None,
    since: Checkpoint | None,
    jobs: int = 1,
) -> core.Report:
    after = 0
    before: list[core.Problem] = []
    if since is not None:
        before = _old_part_problems(alias, site, seals, since)
        after = since.last_id
    rows = _record_rows(alias, site, after)
    # Other sites' ids matter only past the last seal (they fill the unsealed tail's sequence).
    others = _other_ids(alias, site, max([after, *(s.fields.last_id for s in seals)]))
    seen = _seen_before(alias, site, after) if after else ()
    checked = _checked_in_parallel(alias, site, keys, after, jobs) if rows is not None and jobs > 1 else None
    if checked is not None:
        report = core.verify_checked(
            keys, checked, seals, high_water_mark=hwm, other_ids=others, since=after if since else None, seen=seen
        )
    elif rows is None:  # a database without a fast path: the ORM, row by row
        old = _stored_records(alias, site)
        records = (r for r in old if r.id > after)
        report = core.verify(
            keys, records, seals, high_water_mark=hwm, other_ids=others, since=after if since else None, seen=seen
        )
    else:
        report = core.verify_rows(
            keys,
            rows,
            seals,
            site=site,
            time=_stored_time(alias),
            charter=_charter_digests(alias),
            high_water_mark=hwm,
            other_ids=others,
            since=after if since else None,
            seen=seen,
        )
    if since is not None:
        report.since_seal, report.since_at = since.seal, since.at
    report.problems[:0] = before
    return report


#: Below a span of this many ids to read, one process is quicker than starting others.
PARALLEL_FROM = 50_000
#: About how many records each task of a parallel run reads and hashes (its answer is some 8 MB).
PARALLEL_CHUNK = 100_000
#: ``cookiecharter_verify --jobs`` when not given is the idle CPUs, up to this: past about four
#: processes hashing, this one's walk through their answers is what takes the time.
DEFAULT_JOBS_MAX = 4


def default_jobs() -> int:
    """The processes ``cookiecharter_verify`` reads and hashes with when ``--jobs`` is not given: as
    many as there are idle CPUs (those it may use, less the load average of the last minute), from
    1 (this process alone) to ``DEFAULT_JOBS_MAX``. On a busy machine more processes only queue
    behind the others' jobs and lose to one (docs/benchmarks.md, "Verifying the ledger")."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here
        busy = 0.0
    return max(1, min(cpus, DEFAULT_JOBS_MAX, round(cpus - busy)))


def _checked_in_parallel(
    alias: str, site: str, keys: list[bytes], after: int, jobs: int
) -> Iterator[core.Checked] | None:
    """Batches of checked records in id order, read and hashed by ``jobs`` other
    processes, range of ids by range of ids, while this one walks through what they send back. None
    when it is not worth it (few records), or not possible (an open transaction, whose rows other
    connections cannot see; no ``fork``)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if any(connections[name].in_atomic_block for name in connections):
        return None
    # The span of ids, not the number of records: two look-ups in the (site, id) index, one query
    # each (SQLite answers a lone MIN or MAX from the index, not both together), where a COUNT reads
    # the whole index before any process starts (a quarter of a second a million records on SQLite).
    # Other sites' records inside the span only make it look bigger.
    records = ConsentRecord.objects.using(alias).filter(site=site, id__gt=after)
    low, top = records.aggregate(low=Min("id"))["low"], records.aggregate(top=Max("id"))["top"]
    if low is None or top is None or top - low + 1 < PARALLEL_FROM:
        return None
    low, top = int(low), int(top)
    n = top - low + 1
    step = -(-n // max(2 * jobs, -(-n // PARALLEL_CHUNK)))
    ranges = iter([(start, min(start + step - 1, top)) for start in range(low, top + 1, step)])
    connections.close_all()  # each process opens its own; none shares this one's socket
    pool = multiprocessing.get_context("fork").Pool(jobs)
    # A few ranges ahead, not all: memory stays bounded if this process walks slower than they hash.
    ahead = deque(
        pool.apply_async(_checked_range, (alias, site, keys, first, last))
        for first, last in itertools.islice(ranges, 2 * jobs)
    )
    return _checked_batches(pool, ahead, ranges, alias, site, keys, top)


def _checked_batches(
    pool: Any, ahead: deque[Any], ranges: Iterator[tuple[int, int]], alias: str, site: str, keys: list[bytes], top: int
) -> Iterator[core.Checked]:
    """The ranges' answers in order, then the records added since (past ``top``), checked here."""
    try:
        while ahead:
            ids, digests, bad = ahead.popleft().get()
            following = next(ranges, None)
            if following is not None:
                ahead.append(pool.apply_async(_checked_range, (alias, site, keys, *following)))
            yield _unpacked(ids, digests, bad)
    finally:
        pool.terminate()
        pool.join()
    hasher = _hasher(alias, site, keys)
    for batch in _record_rows(alias, site, top) or ():
        yield hasher.check(batch)


def _checked_range(
    alias: str, site: str, keys: list[bytes], first: int, last: int
) -> tuple[bytes, bytes, dict[int, Any]]:
    """In a process of the pool: the records from ``first`` to ``last`` read and hashed, sent back
    compactly (ids as 8-byte integers, hashes as 32 bytes each, the records whose hash does not
    match with what is stored in its place)."""
    hasher = _hasher(alias, site, keys)
    ids = array.array("q")
    digests = bytearray()
    bad: dict[int, Any] = {}
    try:
        for batch in _record_rows(alias, site, first - 1, last) or ():
            checked = hasher.check(batch)
            ids.extend(checked.ids)
            digests += checked.digests
            bad.update(checked.bad)
    finally:
        connections.close_all()
    return ids.tobytes(), bytes(digests), bad


def _unpacked(ids_bytes: bytes, digests: bytes, bad: dict[int, Any]) -> core.Checked:
    """What ``_checked_range`` sent back."""
    ids = array.array("q")
    ids.frombytes(ids_bytes)
    return core.Checked(ids.tolist(), digests, bad)


def _other_ids(alias: str, site: str, after: int) -> Iterator[int]:
    """The ids of the other sites' records after ``after``, in order (they fill the id sequence)."""
    return (
        ConsentRecord.objects.using(alias)
        .filter(id__gt=after)
        .exclude(site=site)
        .order_by("id")
        .values_list("id", flat=True)
        .iterator(chunk_size=10000)
    )


def _hasher(alias: str, site: str, keys: list[bytes]) -> core.RecordHasher:
    """What checks the rows of ``_record_rows(alias, ...)``."""
    return core.RecordHasher(keys, site, time=_stored_time(alias), charter=_charter_digests(alias))


def _record_rows(alias: str, site: str, after: int, upto: int | None = None) -> Iterator[list[tuple[Any, ...]]] | None:
    """The site's records after ``after`` in batches as ``core.verify_rows`` takes them, straight from a cursor
    (no model instance, no converter), or None on a database without this fast path. Their times
    are put in canonical form by ``_stored_time(alias)`` when it is not None. Each row carries its
    charter version's id, which ``_charter_digests(alias)`` turns into the version's digest: the
    hasher asks once per version, where a join would make the database find the version and send
    its digest again for every record.

    On PostgreSQL the database puts the time in canonical form (``to_char`` in UTC). On SQLite it is
    read as stored, as text, and put in that form in Python: there, cutting the text costs less than
    the string functions did in SQL.
    """
    connection = connections[alias]
    records = connection.ops.quote_name(ConsentRecord._meta.db_table)
    if connection.vendor == "postgresql":
        # A missing time (a NOT NULL dropped) hashes as the text "None": the record shows as altered.
        when = """COALESCE(to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'None')"""
        choices = "r.choices::text"
    elif connection.vendor == "sqlite":
        when = "CAST(r.created_at AS TEXT)"  # an expression: no converter parses it
        choices = "r.choices"
    else:
        return None
    sql = (
        f"SELECT r.id, r.consent_id, {when}, r.charter_version_id, r.texts_digest, r.language, {choices}, "  # noqa: S608
        f"r.method, r.user_id, r.record_hash FROM {records} r "
        f"WHERE r.site = %s AND r.id > %s{' AND r.id <= %s' if upto is not None else ''} ORDER BY r.id"
    )
    return _rows(connection, sql, [site, after] if upto is None else [site, after, upto])


def _charter_digests(alias: str) -> Callable[[Any], str | None]:
    """The digest of the charter version with a given id, read from the database once per id (None
    when there is no such version, or the value is no id, as SQLite keeps whatever is written: the
    record then shows as altered)."""

    @functools.cache
    def digest(version_id: Any) -> str | None:
        if type(version_id) is not int:
            return None
        return CharterVersion.objects.using(alias).filter(pk=version_id).values_list("digest", flat=True).first()

    return digest


def _stored_time(alias: str) -> Callable[[Any], str] | None:
    """What puts the times of ``_record_rows(alias, ...)`` in canonical form (None: they come so)."""
    if connections[alias].vendor != "sqlite":
        return None
    # Only UTC can be cut as text; a naive local time (USE_TZ = False) is converted as the ORM would.
    return _cut_utc_text if django_settings.USE_TZ else _canonical_time


def _cut_utc_text(stored: Any) -> str:
    """A time as Django keeps UTC in SQLite, ``YYYY-MM-DD HH:MM:SS[.ffffff]``, in canonical form by
    cutting the text; a value in any other shape converted as the ORM would read it."""
    if type(stored) is str and stored[10:11] == " ":
        if len(stored) == 26:
            return f"{stored[:10]}T{stored[11:]}Z"
        if len(stored) == 19:
            return f"{stored[:10]}T{stored[11:]}.000000Z"
    return _canonical_time(stored)


def _rows(connection: Any, sql: str, params: list[Any]) -> Iterator[list[tuple[Any, ...]]]:
    # On PostgreSQL a server-side cursor (in a transaction, so it streams instead of being kept
    # whole WITH HOLD): memory stays flat however long the ledger.
    with transaction.atomic(using=connection.alias), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        yield from _batches(cursor, ahead=connection.vendor == "postgresql")


def _batches(cursor: Any, *, ahead: bool, size: int = 5000) -> Iterator[list[tuple[Any, ...]]]:
    """The cursor's rows, ``size`` at a time. With ``ahead``, a thread fetches the next batch while
    this one is checked: PostgreSQL reads and sends it meanwhile (psycopg lets the GIL go while it
    waits for the server), instead of waiting idle for the verifier between two fetches. Not on
    SQLite, where reading a row is this process's own work and needs the GIL row by row."""
    if not ahead:
        while batch := cursor.fetchmany(size):
            yield batch
        return
    # Closing early (an error downstream) waits for the fetch under way, then the cursor closes.
    with ThreadPoolExecutor(1, thread_name_prefix="cookiecharter-verify") as pool:
        future = pool.submit(cursor.fetchmany, size)
        while batch := future.result():
            future = pool.submit(cursor.fetchmany, size)
            yield batch


def _canonical_time(raw: Any) -> str:
    """A stored time as the record was hashed with it, converted as Django's ORM would read it."""
    try:
        value = raw if isinstance(raw, datetime) else parse_datetime(str(raw))
    except ValueError:  # the shape of a time, not a valid one (a 13th month)
        value = None
    if value is None:
        return str(raw)  # not a time at all: hashed as it is, the record shows as altered
    if value.tzinfo is None:
        value = timezone.make_aware(value, dt_timezone.utc if django_settings.USE_TZ else None)
    return core.canonical_time(value)


def _seen_before(alias: str, site: str, since: int) -> list[tuple[int, str]]:
    """(id, hash) of the records up to ``since`` whose consent id recurs after it: the only old
    records a new one could be a byte-for-byte copy of (a copy keeps the consent id)."""
    old = ConsentRecord.objects.using(alias).filter(site=site, id__lte=since)
    new_ids = ConsentRecord.objects.using(alias).filter(site=site, id__gt=since).values("consent_id")
    return list(old.filter(consent_id__in=new_ids).order_by("id").values_list("id", "record_hash"))


def _checkpoint_holds(seals: list[core.StoredSeal], since: Checkpoint) -> bool:
    """The checkpoint's seal is still there, with the hash and the last id it was verified with."""
    seal = next((s for s in seals if s.fields.number == since.seal), None)
    return (
        seal is not None
        and hmac.compare_digest(seal.seal_hash, since.seal_hash)
        and seal.fields.last_id == since.last_id
    )


def _old_part_problems(alias: str, site: str, seals: list[core.StoredSeal], since: Checkpoint) -> list[core.Problem]:
    """What an incremental run checks of the records it does not read: they are exactly those their
    seals list, by count and by the sum of their ids (a record deleted, or one slipped in, shows)."""
    when = core.canonical_time(since.at)
    count = total = 0
    for s in seals:
        if s.fields.first_id <= since.last_id and s.pruned_at is None:
            for part in filter(None, s.fields.ids.split(",")):
                first, _, last = part.partition("-")
                a, b = int(first), int(last or first)
                count += b - a + 1
                total += (a + b) * (b - a + 1) // 2
    found = (
        ConsentRecord.objects.using(alias)
        .filter(site=site, id__lte=since.last_id)
        .aggregate(n=Count("id"), s=Sum("id"))
    )
    if (found["n"], found["s"] or 0) != (count, total):
        return [
            core.Problem(
                core.ProblemKind.DELETED if found["n"] < count else core.ProblemKind.INSERTED,
                f"the records up to seal {since.seal} are not the ones verified on {when} "
                f"({found['n']} found, {count} sealed)",
                seal_number=since.seal,
            )
        ]
    return []


def verified_file() -> WitnessFile | None:
    """The checkpoints of clean verifications (``LEDGER_DIRECTORY/verified.jsonl``), or None."""
    directory = _directory()
    return VerifiedFile(directory / "verified.jsonl") if directory else None


def _last_verified(file: WitnessFile, site: str, keys: list[bytes]) -> tuple[Checkpoint | None, list[core.Problem]]:
    last: Checkpoint | None = None
    problems: list[core.Problem] = []
    for line in file.lines(keys):
        if line.checkpoint is None or not line.genuine:
            problems.append(
                core.Problem(
                    core.ProblemKind.SEAL, f"verification line {line.number} is not a genuine checkpoint: {line.error}"
                )
            )
        elif line.checkpoint.site == site:
            last = line.checkpoint
    return last, problems


def _write_verified(
    file: WitnessFile, site: str, seals: list[core.StoredSeal], since: Checkpoint | None, key: bytes
) -> None:
    newest = max(seals, key=lambda s: s.fields.number, default=None)
    if newest is None or (since is not None and since.seal == newest.fields.number):
        return  # nothing sealed, or nothing sealed since the last checkpoint
    file.write(
        Checkpoint(
            site=site,
            seal=newest.fields.number,
            seal_hash=newest.seal_hash,
            last_id=newest.fields.last_id,
            sealed=sum(s.fields.count for s in seals),
            at=timezone.now(),
        ),
        key,
    )


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
    if records:
        # The pruned days' counts follow: only the records left before the cutoff are read.
        daily.recount(site, None, daily.local_day(cutoff), using=alias)
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
    "verified_file",
    "verify",
    "verify_reference",
    "witness_file",
    "write_pending",
]
