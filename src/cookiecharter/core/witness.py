"""The ledger's witness: signed checkpoints kept outside the database.

Seals prove what they cover, but not that the newest seal is still there: whoever can write to
the database can delete the last seal with the records it sealed, reset the id sequence, and the
chain that is left verifies. A checkpoint is written, after each seal, to a place the database
cannot rewrite (an append-only file here; ship it to syslog or another host for more): the site, the
seal's number and hash, the last record id it covers, how many records the chain has sealed, when,
and an HMAC over all of it. ``verify`` compares the chain in the database with every checkpoint.

Nothing here imports Django. Each line of the file is one JSON object, so the file can be read with
``jq``, tailed into a log shipper, or appended to from several processes at once (a write of one
short line with O_APPEND is atomic on a local file system).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from .proof import Problem, ProblemKind, StoredSeal, canonical_time


@dataclass(frozen=True)
class Checkpoint:
    """What the witness keeps of one seal."""

    site: str
    seal: int
    seal_hash: str
    last_id: int
    #: Records the site's chain had sealed up to and including this seal.
    sealed: int
    at: datetime

    def canonical(self) -> bytes:
        data = {**asdict(self), "at": canonical_time(self.at), "v": 1}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def mac(self, key: bytes, purpose: bytes = b"checkpoint:") -> str:
        return hmac.new(key, purpose + self.canonical(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WitnessLine:
    """One line of the file as read back: its checkpoint, or why it is not one."""

    number: int
    checkpoint: Checkpoint | None
    genuine: bool
    error: str = ""


class WitnessFile:
    """An append-only file of checkpoints, one JSON object per line."""

    #: What each line's MAC is made for, so that a line cannot be moved to a file of another kind.
    purpose = b"checkpoint:"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def write(self, checkpoint: Checkpoint, key: bytes) -> None:
        """Append one signed checkpoint and flush it to the disk before returning."""
        data = json.loads(checkpoint.canonical())
        data["mac"] = checkpoint.mac(key, self.purpose)
        line = (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def lines(self, keys: Sequence[bytes]) -> Iterator[WitnessLine]:
        """Every line, checked against ``keys`` (the current ledger key, then older ones)."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for number, raw in enumerate(handle, start=1):
                yield _read_line(number, raw, keys, self.purpose)


class VerifiedFile(WitnessFile):
    """The checkpoints of clean verifications: the seal up to which a run found every record intact,
    where the next incremental run starts. Its own MAC purpose: a witness line copied here does not
    pass for a verification, so nobody can make the verifier skip records by copying lines."""

    purpose = b"verified:"


def _read_line(number: int, raw: bytes, keys: Sequence[bytes], purpose: bytes) -> WitnessLine:
    try:
        data = json.loads(raw)
        mac = data.pop("mac")
        data.pop("v", None)
        checkpoint = Checkpoint(
            site=str(data["site"]),
            seal=int(data["seal"]),
            seal_hash=str(data["seal_hash"]),
            last_id=int(data["last_id"]),
            sealed=int(data["sealed"]),
            at=datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return WitnessLine(number, None, False, f"unreadable ({exc.__class__.__name__})")
    genuine = any(hmac.compare_digest(checkpoint.mac(key, purpose), str(mac)) for key in keys)
    return WitnessLine(number, checkpoint, genuine, "" if genuine else "its signature does not match")


def compare(lines: Iterable[WitnessLine], seals: Sequence[StoredSeal], site: str) -> tuple[list[Problem], int]:
    """The site's chain in the database against what the witness saw: (problems, checkpoints read).

    Every checkpoint of the site must find its seal, with the same hash: a seal the witness saw and
    the database no longer has means the chain was cut (its end deleted, maybe with the records it
    sealed and the id sequence reset); a different hash means the seal was rewritten. A line whose
    signature does not match is reported, as someone wrote it who does not hold the key.
    """
    by_number = {seal.fields.number: seal for seal in seals}
    problems: list[Problem] = []
    missing: list[Checkpoint] = []
    read = 0
    for line in lines:
        checkpoint = line.checkpoint
        if checkpoint is None or not line.genuine:
            problems.append(
                Problem(ProblemKind.SEAL, f"witness line {line.number} is not a genuine checkpoint: {line.error}")
            )
            continue
        if checkpoint.site != site:
            continue
        read += 1
        seal = by_number.get(checkpoint.seal)
        if seal is None:
            missing.append(checkpoint)
        elif not hmac.compare_digest(seal.seal_hash, checkpoint.seal_hash):
            problems.append(
                Problem(
                    ProblemKind.SEAL,
                    f"seal {checkpoint.seal} is not the one the witness saw on {canonical_time(checkpoint.at)} "
                    "(rewritten)",
                    seal_number=checkpoint.seal,
                )
            )
    if missing:
        numbers = sorted({c.seal for c in missing})
        newest = max(missing, key=lambda c: c.seal)
        span = f"seal {numbers[0]}" if len(numbers) == 1 else f"seals {numbers[0]}-{numbers[-1]}"
        problems.append(
            Problem(
                ProblemKind.SEAL,
                f"{span}, which the witness saw (the last on {canonical_time(newest.at)}, covering records up to "
                f"id {newest.last_id}, {newest.sealed} sealed in all), "
                f"{'is' if len(numbers) == 1 else 'are'} missing from the database: the chain was cut",
                seal_number=numbers[0],
            )
        )
    return problems, read
