"""Tamper evidence for the proof ledger: record hashes, seals and their verification.

No database code here (that is ``cookiecharter.ledger``): plain values in, plain values out, so
the rules can be tested exhaustively and reused outside Django.

The design, and why:

* **Per-record HMAC.** Each record stores ``HMAC-SHA256(key, canonical(fields))``. Whoever edits
  a row in SQL without the key cannot recompute it: the edit shows. Writing a record needs no
  other row, so concurrent writers never wait on each other (no hash chain through every record,
  which would make each insert read the previous one under a lock).
* **Seals.** Later, in batches, a seal covers a run of record ids: their exact ids, their count,
  a digest of their hashes, and the previous seal's hash (a chain of seals, not of records). A
  deleted record inside a sealed run, a record slipped into it, or a seal removed or rewritten
  all show. Two sealers racing for the same run collide on a unique column and one gives up.
* **Pruning** for retention deletes the records of whole seals and marks the seal with an HMAC of
  the pruning time, so verify tells a pruning from a deletion.

What it cannot prove: a record deleted before any seal covers it leaves only an id gap; the
verifier reports gaps (and the id sequence's high-water mark) but cannot tell a deletion from an
insert that was rolled back. Seal often (``LEDGER_SEAL_BATCH``) to keep that window short.
"""

from __future__ import annotations

import bisect
import enum
import hashlib
import heapq
import hmac
import itertools
import json
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .charter import Charter
from .mac import HmacSha256

#: The name of the site a single-site installation has; also what records made before sites
#: existed belong to.
DEFAULT_SITE = "default"

# -- canonical forms --------------------------------------------------------------------------


def canonical_time(when: datetime) -> str:
    """UTC, microseconds, fixed width: the same instant always serialises the same way."""
    if when.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class RecordFields:
    """Everything a consent record proves, as hashed. ``charter_digest`` stands for the charter
    version row (the digest, not the row id, so re-linking a record to another version shows)."""

    consent_id: str
    created_at: datetime
    charter_digest: str
    texts_digest: str
    language: str
    choices: Mapping[str, bool]
    method: str
    user_id: str | None
    #: The site the choice was made on (see ``DEFAULT_SITE``).
    site: str = DEFAULT_SITE

    def canonical(self) -> bytes:
        data = {
            "v": 1,
            "consent_id": self.consent_id,
            "created_at": canonical_time(self.created_at),
            "charter": self.charter_digest,
            "texts": self.texts_digest,
            "language": self.language,
            "choices": {str(k): bool(v) for k, v in self.choices.items()},
            "method": self.method,
            "user_id": self.user_id,
        }
        # The default site's records hash as they did before sites existed, so a ledger kept from
        # then verifies; any other site is part of what is hashed (moving a record shows).
        if self.site != DEFAULT_SITE:
            data["site"] = self.site
        return _canonical_json(data)


def record_hash(key: bytes, fields: RecordFields) -> str:
    return hmac.new(key, fields.canonical(), hashlib.sha256).hexdigest()


def texts_digest(charter: Charter, language: str) -> str:
    """SHA-256 of the texts a visitor reading ``language`` was shown about every purpose and cookie.

    The charter version row keeps the full texts in every language; this digest pins the ones
    of this language, so a record proves which wording the visitor read.
    """
    return digest_of_texts(banner_texts(charter, language))


def digest_of_texts(texts: Mapping[str, Any]) -> str:
    """The texts digest of ``banner_texts``' output: a proof bundle carries the texts, and whoever
    checks it recomputes the digest from them with this alone."""
    return hashlib.sha256(_canonical_json(texts)).hexdigest()


def banner_texts(charter: Charter, language: str) -> dict[str, Any]:
    """The texts ``texts_digest`` covers, as plain data: the controller, each purpose's title and
    description and each cookie's line, in ``language`` (falling back as the page does)."""
    return {
        "language": language,
        "controller": [charter.controller.name, charter.controller.contact, charter.controller.url],
        "purposes": [
            {
                "key": p.key,
                "exemption": p.exemption.value if p.exemption else None,
                "title": p.text("title", language),
                "description": p.text("description", language),
            }
            for p in charter.purposes
        ],
        "cookies": [
            {
                "name": c.name.display,
                "provider": c.provider,
                "purpose": c.purpose,
                "service": c.text("service", language),
                "description": c.text("description", language),
                "reason": c.text("reason", language) if c.reason else "",
                "lifetime": str(c.lifetime),
                "party": c.party.value,
                "domain": c.domain,
            }
            for c in charter.cookies
        ],
    }


# -- id ranges --------------------------------------------------------------------------------


def format_ids(ids: Iterable[int]) -> str:
    """Sorted ids as ranges: [1, 2, 3, 5] -> "1-3,5"."""
    out: list[str] = []
    start = prev = None
    for i in sorted(ids):
        if start is None:
            start = prev = i
        elif i == prev + 1:  # type: ignore[operator]
            prev = i
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = i
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(out)


def parse_ids(text: str) -> Iterator[int]:
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        yield from range(int(first), int(last or first) + 1)


# -- seals ------------------------------------------------------------------------------------


def records_digest(hashes: Iterable[str]) -> str:
    """SHA-256 over the record hashes in id order."""
    h = hashlib.sha256()
    for rh in hashes:
        h.update(rh.encode("ascii"))
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True)
class SealFields:
    number: int
    first_id: int
    last_id: int
    count: int
    ids: str
    records_digest: str
    previous_hash: str
    created_at: datetime
    site: str = DEFAULT_SITE

    def canonical(self) -> bytes:
        data = {
            "v": 1,
            "number": self.number,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "count": self.count,
            "ids": self.ids,
            "records": self.records_digest,
            "previous": self.previous_hash,
            "created_at": canonical_time(self.created_at),
        }
        if self.site != DEFAULT_SITE:  # as for records: the default site's seals hash as before
            data["site"] = self.site
        return _canonical_json(data)


def seal_hash(key: bytes, seal: SealFields) -> str:
    return hmac.new(key, seal.canonical(), hashlib.sha256).hexdigest()


def pruned_hash(key: bytes, seal_hash_value: str, pruned_at: datetime) -> str:
    message = f"pruned:{seal_hash_value}:{canonical_time(pruned_at)}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_seal(
    key: bytes,
    *,
    number: int,
    records: Sequence[tuple[int, str]],
    previous_hash: str,
    created_at: datetime,
    site: str = DEFAULT_SITE,
) -> tuple[SealFields, str]:
    """A seal over ``records`` (``(id, record_hash)`` in id order) and its hash."""
    if not records:
        raise ValueError("a seal covers at least one record")
    ids = [i for i, _ in records]
    fields = SealFields(
        number=number,
        first_id=ids[0],
        last_id=ids[-1],
        count=len(ids),
        ids=format_ids(ids),
        records_digest=records_digest(h for _, h in records),
        previous_hash=previous_hash,
        created_at=created_at,
        site=site,
    )
    return fields, seal_hash(key, fields)


# -- verification -----------------------------------------------------------------------------


class ProblemKind(str, enum.Enum):
    ALTERED = "altered"
    DELETED = "deleted"
    INSERTED = "inserted"
    SEAL = "seal"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    message: str
    record_id: int | None = None
    seal_number: int | None = None
    #: How a run of such problems about consecutive records reads as one ("{span}" is replaced by
    #: "records 1001-2000 (1000)"); empty for a problem that stands alone.
    run: str = ""
    #: The last record of a run (``record_id`` is the first).
    last_record_id: int | None = None
    count: int = 1

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"


def collapse(problems: Iterable[Problem]) -> list[Problem]:
    """Problems about consecutive records of one kind, one cause, as one problem each: deleting a
    sealed batch is one finding ("records 1001-2000 (1000) ... are missing"), not a thousand."""
    out: list[Problem] = []
    for problem in problems:
        last = out[-1] if out else None
        if problem.run and last is not None and last.run == problem.run and last.kind is problem.kind:
            first = last.record_id
            count = last.count + problem.count
            span = f"records {first}-{problem.last_record_id or problem.record_id} ({count})"
            out[-1] = Problem(
                problem.kind,
                problem.run.replace("{span}", span),
                first,
                problem.seal_number,
                problem.run,
                problem.last_record_id or problem.record_id,
                count,
            )
        else:
            out.append(problem)
    return out


@dataclass(frozen=True)
class StoredRecord:
    id: int
    fields: RecordFields
    record_hash: str


@dataclass(frozen=True)
class StoredSeal:
    fields: SealFields
    seal_hash: str
    pruned_at: datetime | None = None
    pruned_hash: str = ""


@dataclass(frozen=True)
class Checked:
    """Records whose hashes were checked, in id order, as columns: their ids; their hashes as
    bytes, 32 per record (a hash that matched is 64 hexadecimal digits, so nothing is lost); and
    the records whose hash does not match, with the value stored in its place (32 zero bytes stand
    for it in ``digests``). Columns rather than a tuple per record: a seal whose records are all
    intact is settled from slices of them (``_walk``), and other processes send them back as a few
    compact values (``cookiecharter.ledger``)."""

    ids: list[int]
    digests: bytes
    bad: Mapping[int, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Iterable[tuple[int, Any, bool]]) -> Checked:
        """From ``(id, stored hash, matches?)`` triples."""
        ids: list[int] = []
        hashes: list[Any] = []
        bad: dict[int, Any] = {}
        for rid, stored, ok in items:
            ids.append(rid)
            hashes.append(stored if ok else _NO_HASH)
            if not ok:
                bad[rid] = stored
        return cls(ids, bytes.fromhex("".join(hashes)), bad)

    def at(self, i: int) -> tuple[int, Any, bool]:
        """``(id, stored hash, matches?)`` of the ``i``-th record."""
        rid = self.ids[i]
        if rid in self.bad:
            return rid, self.bad[rid], False
        return rid, self.digests[32 * i : 32 * i + 32].hex(), True

    def items(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, Any, bool]]:
        """``(id, stored hash, matches?)`` of the records from ``start`` to ``end``."""
        return map(self.at, range(start, len(self.ids) if end is None else end))

    def after(self, start: int, more: Checked) -> Checked:
        """The records from ``start`` on, then those of ``more``."""
        return Checked(self.ids[start:] + more.ids, self.digests[32 * start :] + more.digests, {**self.bad, **more.bad})


#: What stands in ``Checked.digests`` for a hash that does not match.
_NO_HASH = "0" * 64
_NOTHING_CHECKED = Checked([], b"")


@dataclass
class Report:
    records: int = 0
    seals: int = 0
    sealed_records: int = 0
    pruned_seals: int = 0
    problems: list[Problem] = field(default_factory=list)
    #: Checkpoints of the witness compared with the chain (0: no witness, or nothing sealed yet).
    witnessed: int = 0
    #: Proof records waiting outside the database for it to answer again (not a problem: a debt).
    pending: int = 0
    #: An incremental run: the last record id, the seal and the time of the verified checkpoint it
    #: started from (None: a full run, every record read), and how many sealed records before it
    #: were not read again (their seals, count and ids were checked instead).
    since_id: int | None = None
    since_seal: int | None = None
    since_at: datetime | None = None
    not_reread: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    keys: Sequence[bytes],
    records: Iterable[StoredRecord],
    seals: Iterable[StoredSeal],
    *,
    high_water_mark: int | None = None,
    other_ids: Iterable[int] = (),
    since: int | None = None,
    seen: Iterable[tuple[int, str]] = (),
    by_seal: bool = True,
) -> Report:
    """Recompute every hash and seal; report what was altered, deleted or inserted.

    ``keys`` are the current HMAC key then older ones (a rotated ``SECRET_KEY``). ``records`` must
    come in id order; they are streamed, never all held in memory (only a 16-byte fingerprint of
    each hash, to spot copies), so a ledger of millions of records verifies in bounded memory.
    ``high_water_mark`` is the highest id the database ever handed out (from its sequence), which
    reveals the deletion of the newest unsealed records. ``other_ids`` are the ids, in order, of
    the records of the table's other sites: they fill the id sequence, so a gap means a record is
    missing from the table, whichever site it belonged to.

    ``since`` makes an incremental run: the last record id of a seal a previous run verified clean.
    ``records`` and ``other_ids`` then start after it; the whole chain of seals is still checked,
    and the seals that end at or before it are not walked. ``seen`` are ``(id, record_hash)`` of
    records before it that a later record might copy (in id order), so a copy still shows.
    ``by_seal=False`` walks every record one by one even where a whole seal could be settled at
    once (same findings, slower: what the tests compare the fast way with).
    """
    checked = ((r.id, r.record_hash, _hash_matches(keys, r.fields, r.record_hash)) for r in records)
    return _walk(
        keys,
        map(Checked.of, _batched(checked, 1000)),
        seals,
        high_water_mark=high_water_mark,
        other_ids=other_ids,
        since=since,
        seen=seen,
    )


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def verify_rows(
    keys: Sequence[bytes],
    batches: Iterable[Sequence[tuple[Any, ...]]],
    seals: Iterable[StoredSeal],
    *,
    site: str = DEFAULT_SITE,
    high_water_mark: int | None = None,
    other_ids: Iterable[int] = (),
    since: int | None = None,
    seen: Iterable[tuple[int, str]] = (),
    time: Callable[[Any], str] | None = None,
    charter: Callable[[Any], str | None] | None = None,
) -> Report:
    """``verify`` over stored columns rather than ``StoredRecord`` objects, with the same findings.

    ``batches`` are lists of rows in id order (as a cursor's ``fetchmany`` gives them), each row
    ``(id, consent_id, created_at, charter_digest, texts_digest, language, choices, method,
    user_id, record_hash)``, exactly those ten, with ``created_at`` already in ``canonical_time``
    form (or as stored, ``time`` putting it in that form), ``charter_digest`` the version's digest
    (or what points to the version, ``charter`` giving its digest) and ``choices`` as stored JSON
    text: what a database cursor gives, with nothing built per record but the message to hash (see
    ``RecordHasher``). This is what makes a million records a few seconds' work rather than half a
    minute.
    """
    hasher = RecordHasher(keys, site, time=time, charter=charter)
    checked = (hasher.check(batch) for batch in batches)
    return _walk(keys, checked, seals, high_water_mark=high_water_mark, other_ids=other_ids, since=since, seen=seen)


def verify_checked(
    keys: Sequence[bytes],
    checked: Iterable[Checked],
    seals: Iterable[StoredSeal],
    *,
    high_water_mark: int | None = None,
    other_ids: Iterable[int] = (),
    since: int | None = None,
    seen: Iterable[tuple[int, str]] = (),
) -> Report:
    """``verify`` over records whose hashes were already checked elsewhere (``RecordHasher.check``,
    in other processes): batches of them in id order."""
    return _walk(keys, checked, seals, high_water_mark=high_water_mark, other_ids=other_ids, since=since, seen=seen)


def _walk(
    keys: Sequence[bytes],
    batches: Iterable[Checked],
    seals: Iterable[StoredSeal],
    *,
    high_water_mark: int | None,
    other_ids: Iterable[int],
    since: int | None,
    seen: Iterable[tuple[int, str]],
    by_seal: bool = True,
) -> Report:
    """The verifier proper, over batches of checked records in id order.

    Record by record it is a small state machine (``_Walker.record``). Most of a large ledger is
    seals whose records are all there, all intact: such a seal is settled at once, from its records
    taken together (``_Walker.whole_seal``), which finds exactly what the record-by-record walk
    would find there, that is nothing; at the first doubt, its records go through one by one.
    """
    report = Report()
    ordered = _check_seal_chain(keys, seals, report)
    # A chain with any problem (seals overlapping, out of order ...) is walked record by record.
    settle_whole = by_seal and not report.problems
    walker = _Walker(report, ordered, since, seen)
    last_sealed_id = walker.last_sealed_id
    pending = iter(batches)
    buffer = _NOTHING_CHECKED
    p = 0
    while True:
        if p >= len(buffer.ids):
            batch = next(pending, None)
            if batch is None:
                break
            buffer, p = batch, 0
            continue
        rid = buffer.ids[p]
        if rid > last_sealed_id:
            break  # the unsealed tail, below
        seal = walker.fresh_seal(rid) if settle_whole else None
        if seal is None:
            walker.record(*buffer.at(p))
            p += 1
            continue
        last_id = seal.seal.fields.last_id
        while buffer.ids[-1] <= last_id:  # the seal's records may go on in the next batch
            batch = next(pending, None)
            if batch is None:
                break
            buffer, p = buffer.after(p, batch), 0
        end = bisect.bisect_right(buffer.ids, last_id, lo=p)
        if not walker.whole_seal(seal, buffer, p, end):
            for item in buffer.items(p, end):
                walker.record(*item)
        p = end
    # The unsealed tail, where the other sites' ids fill the sequence between this site's.
    rest = itertools.chain(buffer.items(p), (item for batch in pending for item in batch.items()))
    others = (i for i in other_ids if i > last_sealed_id)
    first_other = next(others, None)
    if first_other is None:  # one site in the table: nothing to merge
        for item in rest:
            walker.record(*item)
    else:
        tail = ((i, None, True) for i in itertools.chain((first_other,), others))
        for rid, rhash, valid in heapq.merge(rest, tail, key=_first):
            if rhash is None:
                walker.other(rid)
            else:
                walker.record(rid, rhash, valid)
    walker.finish(high_water_mark)
    return report


#: A hash's fingerprint, from 32 bytes: the first 16.
_FINGERPRINTS = struct.Struct("16s16x")


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


class _Walker:
    """The state of a walk through the records in id order: the seal it is in, the next seals, what
    each record's fingerprint was first seen on, where the unsealed tail should go on."""

    def __init__(self, report: Report, ordered: list[StoredSeal], since: int | None, seen: Iterable[tuple[int, str]]):
        self.report = report
        self.problems = report.problems
        self.last_sealed_id = max((s.fields.last_id for s in ordered), default=0)
        self.fingerprints: dict[bytes, int] = {}
        for old_id, old_hash in seen:
            try:
                self.fingerprints.setdefault(bytes.fromhex(old_hash[:32]), old_id)
            except ValueError:  # not a hash at all: nothing can be a copy of it
                continue
        if since is not None:
            report.since_id = since
            old = [s for s in ordered if s.fields.first_id <= since]
            report.not_reread = sum(s.fields.count for s in old if s.pruned_at is None)
            report.sealed_records += report.not_reread
            ordered = [s for s in ordered if s.fields.first_id > since]
        self.pending = iter(ordered)
        self.current: _OpenSeal | None = None
        self.upcoming = next(self.pending, None)
        self.expected_unsealed = self.last_sealed_id + 1  # ids start at 1 and are never reused
        self.previous_id = 0

    def _reach(self, rid: int) -> None:
        """Close the seals that end before ``rid``, open the one it may fall in."""
        problems, report = self.problems, self.report
        while self.current is not None and rid > self.current.seal.fields.last_id:
            self.current.close(problems, report)
            self.current = None
        while self.current is None and self.upcoming is not None and rid >= self.upcoming.fields.first_id:
            self.current = _OpenSeal(self.upcoming)
            self.upcoming = next(self.pending, None)
            if rid > self.current.seal.fields.last_id:
                self.current.close(problems, report)
                self.current = None

    def fresh_seal(self, rid: int) -> _OpenSeal | None:
        """The seal ``rid`` opens, when nothing of it has been seen yet (else None)."""
        self._reach(rid)
        current = self.current
        if current is None or current.pruned or current.hashes or rid < current.seal.fields.first_id:
            return None
        return current

    def whole_seal(self, seal: _OpenSeal, batch: Checked, start: int, end: int) -> bool:
        """Settle a seal from all its records at once (those of ``batch`` from ``start`` to ``end``),
        if they are exactly the ones it sealed, each intact and none a copy; else change nothing and
        say so (they are then walked one by one)."""
        fields = seal.seal.fields
        if end - start != fields.count or not fields.count or batch.ids[start] <= self.previous_id:
            return False
        ids = batch.ids[start:end]
        if ids != seal.id_list or len(seal.ids) != fields.count or not batch.bad.keys().isdisjoint(ids):
            return False
        # records_digest() in one call: every hash here matched its record, so is 32 bytes of them.
        raw = batch.digests[32 * start : 32 * end]
        if hashlib.sha256((raw.hex("\n", 32) + "\n").encode("ascii")).hexdigest() != fields.records_digest:
            return False
        # Their fingerprints (the first 16 bytes of each hash, as ``record`` takes them) in one go.
        prints = dict(zip([p for (p,) in _FINGERPRINTS.iter_unpack(raw)], ids))
        if len(prints) != len(ids) or not self.fingerprints.keys().isdisjoint(prints):
            return False
        self.fingerprints.update(prints)
        self.report.records += len(ids)
        self.report.sealed_records += len(seal.ids)
        self.previous_id = ids[-1]
        self.current = None  # closed: nothing missing, nothing replaced
        return True

    def record(self, rid: int, rhash: str, valid: bool) -> None:
        problems = self.problems
        if rid <= self.previous_id:
            raise ValueError("records must come in increasing id order")
        self.previous_id = rid
        self.report.records += 1
        if not valid:
            problems.append(
                Problem(ProblemKind.ALTERED, f"record {rid} does not match its hash (edited or forged)", rid)
            )
        else:
            first = self.fingerprints.setdefault(bytes.fromhex(rhash[:32]), rid)
            if first != rid:
                # A byte-for-byte copy of another record carries a valid hash: still an insertion.
                problems.append(Problem(ProblemKind.INSERTED, f"record {rid} is a copy of record {first}", rid))
        self._reach(rid)
        current = self.current
        if current is not None and rid >= current.seal.fields.first_id:
            current.see(rid, rhash, problems)
        elif rid <= self.last_sealed_id:
            problems.append(
                Problem(
                    ProblemKind.INSERTED,
                    f"record {rid} lies between two seals, in neither",
                    rid,
                    run="{span} lie between two seals, in none (a seal over them was removed?)",
                )
            )
        else:
            if rid > self.expected_unsealed:
                problems.append(_gap(self.expected_unsealed, rid - 1))
            self.expected_unsealed = rid + 1

    def other(self, rid: int) -> None:
        """Another site's record: it only fills the id sequence (past the last seal)."""
        if rid > self.last_sealed_id:
            if rid > self.expected_unsealed:
                self.problems.append(_gap(self.expected_unsealed, rid - 1))
            self.expected_unsealed = max(self.expected_unsealed, rid + 1)

    def finish(self, high_water_mark: int | None) -> None:
        problems, report = self.problems, self.report
        if self.current is not None:
            self.current.close(problems, report)
        for seal in self.pending if self.upcoming is None else (self.upcoming, *self.pending):
            _OpenSeal(seal).close(problems, report)
        top = max(high_water_mark or 0, self.expected_unsealed - 1)
        if top >= self.expected_unsealed:
            problems.append(_gap(self.expected_unsealed, top))
        report.problems = collapse(problems)


def _hash_matches(keys: Sequence[bytes], fields: RecordFields, stored: str) -> bool:
    return any(hmac.compare_digest(record_hash(k, fields), stored) for k in keys)


class RecordHasher:
    """Whether a record's stored hash matches its stored columns, as ``RecordFields.canonical`` and
    ``record_hash`` would decide, without a dataclass and a ``json.dumps`` per record.

    Most columns repeat from record to record (the charter digest, the choices, the language, the
    method, the texts digest): their part of the canonical JSON is made once and kept. What is
    left per record is to join three strings into the message and one HMAC, in C, from the key's
    padded blocks hashed once (``HmacSha256``). The message is byte for byte
    ``RecordFields.canonical`` (``tests/core/test_proof_rows.py`` compares them).
    """

    #: Distinct (charter, choices, language, method, texts) kept; past it the memo starts over.
    LIMIT = 4096

    def __init__(
        self,
        keys: Sequence[bytes],
        site: str = DEFAULT_SITE,
        *,
        time: Callable[[Any], str] | None = None,
        charter: Callable[[Any], str | None] | None = None,
    ) -> None:
        key, *older = keys
        self.mac = HmacSha256(key)
        self.older = [HmacSha256(k) for k in older]
        self.site = site
        #: Puts a row's time in ``canonical_time`` form, when the rows carry it as stored instead.
        self.time = time
        #: Gives the charter version's digest, when the rows carry what points to the version (its
        #: id) instead. Called once per distinct row of the memo, not once per record.
        self.charter = charter
        self._parts: dict[tuple[str | None, str, str, str, str], tuple[str, str]] = {}

    def message(
        self,
        consent_id: str,
        created_at: str,
        charter_digest: str | None,
        texts_digest: str,
        language: str,
        choices: str,
        method: str,
        user_id: str | None,
    ) -> bytes:
        head, middle = self._parts_of(charter_digest, choices, language, method, texts_digest)
        user = "null" if user_id is None else _encode(user_id)
        return f'{head}{_encode(consent_id)},"created_at":{_encode(created_at)}{middle}{user},"v":1}}'.encode()

    def check(self, rows: Sequence[tuple[Any, ...]]) -> Checked:
        """Rows as ``verify_rows`` takes them, checked, in one loop with everything it needs at hand
        (this loop is most of a verification)."""
        parts_memo, parts_of = self._parts, self._parts_of
        inner, outer, older, encode, time = self.mac.inner.copy, self.mac.outer.copy, self.older, _encode, self.time
        ids: list[int] = []
        hashes: list[str] = []
        bad: dict[int, Any] = {}
        for rid, consent_id, created_at, charter, texts, language, choices, method, user_id, stored in rows:
            if time is not None:
                created_at = time(created_at)
            parts = parts_memo.get((charter, choices, language, method, texts))
            if parts is None:
                parts = parts_of(charter, choices, language, method, texts)
            user = "null" if user_id is None else encode(user_id)
            message = (
                f'{parts[0]}{encode(consent_id)},"created_at":{encode(created_at)}{parts[1]}{user},"v":1}}'.encode()
            )
            # HmacSha256.hexdigest, inlined: two method look-ups fewer per record.
            h = inner()
            h.update(message)
            mac = outer()
            mac.update(h.digest())
            # A plain comparison: nobody times the verifier to guess a hash it reads from the table.
            ok = mac.hexdigest() == stored
            if not ok and not any(k.hexdigest(message) == stored for k in older):
                bad[rid] = stored
                stored = _NO_HASH
            ids.append(rid)
            hashes.append(stored)
        return Checked(ids, bytes.fromhex("".join(hashes)), bad)

    def _parts_of(
        self, charter_digest: str | None, choices: str, language: str, method: str, texts_digest: str
    ) -> tuple[str, str]:
        """The canonical JSON before the consent id and between the time and the user id (memoised)."""
        key = (charter_digest, choices, language, method, texts_digest)
        parts = self._parts.get(key)
        if parts is None:
            if len(self._parts) >= self.LIMIT:
                self._parts.clear()
            digest = self.charter(charter_digest) if self.charter is not None else charter_digest
            parts = self._parts[key] = (
                self._head(digest or "", choices),
                self._middle(language, method, texts_digest),
            )
        return parts

    def _head(self, charter_digest: str, choices: str) -> str:
        try:
            decoded = json.loads(choices) if isinstance(choices, (str, bytes)) else choices
        except ValueError:
            decoded = None
        mapping = decoded if isinstance(decoded, dict) else {}  # as the verifier always read it
        canonical = _canonical_json({str(k): bool(v) for k, v in mapping.items()}).decode()
        return f'{{"charter":{_encode(charter_digest)},"choices":{canonical},"consent_id":'

    def _middle(self, language: str, method: str, texts_digest: str) -> str:
        site = f',"site":{_encode(self.site)}' if self.site != DEFAULT_SITE else ""
        return f',"language":{_encode(language)},"method":{_encode(method)}{site},"texts":{_encode(texts_digest)},"user_id":'


#: A string as ``json.dumps(..., ensure_ascii=False)`` writes it (the C encoder when there is one).
_encode = json.encoder.encode_basestring


def _check_seal_chain(keys: Sequence[bytes], seals: Iterable[StoredSeal], report: Report) -> list[StoredSeal]:
    """Each seal's own hash, the chain, numbering, overlaps and prunings; the seals in order."""
    problems = report.problems
    ordered = sorted(seals, key=lambda s: s.fields.number)
    previous = ""
    expected_number = None
    last_id = 0
    for seal in ordered:
        report.seals += 1
        f = seal.fields
        if expected_number is not None and f.number != expected_number:
            problems.append(
                Problem(ProblemKind.SEAL, f"seals {expected_number}..{f.number - 1} are missing", seal_number=f.number)
            )
        expected_number = f.number + 1
        if not any(hmac.compare_digest(seal_hash(k, f), seal.seal_hash) for k in keys):
            problems.append(
                Problem(ProblemKind.SEAL, f"seal {f.number} does not match its hash (edited)", seal_number=f.number)
            )
        if f.previous_hash != previous:
            problems.append(
                Problem(
                    ProblemKind.SEAL,
                    f"seal {f.number} does not follow the seal before it (a seal was removed or rewritten)",
                    seal_number=f.number,
                )
            )
        previous = seal.seal_hash
        if f.first_id <= last_id:
            problems.append(
                Problem(ProblemKind.SEAL, f"seal {f.number} overlaps the seal before it", seal_number=f.number)
            )
        last_id = max(last_id, f.last_id)
        if seal.pruned_at is not None:
            report.pruned_seals += 1
            if not any(
                hmac.compare_digest(pruned_hash(k, seal.seal_hash, seal.pruned_at), seal.pruned_hash) for k in keys
            ):
                problems.append(
                    Problem(
                        ProblemKind.SEAL,
                        f"seal {f.number} is marked pruned but the pruning is not genuine",
                        seal_number=f.number,
                    )
                )
    # Walked in id order by the record stream; overlapping seals were reported above.
    return sorted(ordered, key=lambda s: s.fields.first_id)


class _OpenSeal:
    """The seal whose id range the record stream is inside: collects what it finds there."""

    def __init__(self, seal: StoredSeal) -> None:
        self.seal = seal
        self.pruned = seal.pruned_at is not None
        self.id_list = list(parse_ids(seal.fields.ids)) if not self.pruned else []
        self.ids = set(self.id_list)
        self.hashes: dict[int, str] = {}

    def see(self, rid: int, rhash: str, problems: list[Problem]) -> None:
        number = self.seal.fields.number
        if self.pruned:
            problems.append(
                Problem(
                    ProblemKind.INSERTED,
                    f"record {rid} sits in pruned seal {number}",
                    rid,
                    number,
                    run=f"{{span}} sit in pruned seal {number}",
                )
            )
        elif rid in self.ids:
            self.hashes[rid] = rhash
        else:
            problems.append(
                Problem(
                    ProblemKind.INSERTED,
                    f"record {rid} was not there when seal {number} was made",
                    rid,
                    number,
                    run=f"{{span}} were not there when seal {number} was made",
                )
            )

    def close(self, problems: list[Problem], report: Report) -> None:
        if self.pruned:
            return
        f = self.seal.fields
        report.sealed_records += len(self.ids)
        for rid in sorted(self.ids - self.hashes.keys()):
            problems.append(
                Problem(
                    ProblemKind.DELETED,
                    f"record {rid} (sealed by seal {f.number}) is missing",
                    rid,
                    f.number,
                    run=f"{{span}} (sealed by seal {f.number}) are missing",
                )
            )
        all_there = len(self.hashes) == len(self.ids)
        if all_there and records_digest(self.hashes[rid] for rid in sorted(self.ids)) != f.records_digest:
            problems.append(
                Problem(
                    ProblemKind.SEAL,
                    f"the records of seal {f.number} are not the ones it sealed (hashes replaced)",
                    seal_number=f.number,
                )
            )


def _gap(first: int, last: int) -> Problem:
    span = f"record {first}" if first == last else f"records {first}-{last}"
    return Problem(
        ProblemKind.DELETED,
        f"{span} missing from the unsealed tail (deleted, or an insert that was rolled back)",
        first,
    )
