"""Proof records waiting for the database: kept durably in a file until they can be written.

A refusal, a withdrawal or a browser signal must take effect at once, even when the database does
not answer: the visitor's cookie is set and optional cookies stop. Its proof record is then appended
here (one JSON object per line, written and flushed under a lock shared by every process) and moved
into the database by whichever process next finds the database answering. An acceptance never
waits here: without its proof it is not granted at all.

Nothing here imports Django.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


class PendingFile:
    """The file of records waiting for the database."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        handle = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield handle
        finally:
            handle.close()  # releases the lock

    def add(self, entry: Mapping[str, Any]) -> None:
        """Append one record and flush it to the disk before returning."""
        line = (json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with self._locked() as handle:
            handle.seek(0, os.SEEK_END)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def count(self) -> int:
        """How many records wait (0 when there is no file)."""
        try:
            with self.path.open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        except FileNotFoundError:
            return 0

    def entries(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def drain(self, write: Callable[[dict[str, Any]], None]) -> int:
        """Hand each waiting record to ``write``, oldest first, and keep only those it could not take.

        Stops at the first failure (the database is down again): that record and the ones after it
        stay, in their order. The file is rewritten in place under the lock, so a record added by
        another process meanwhile is neither lost nor written twice. Returns how many were written.
        """
        if not self.path.exists():
            return 0
        with self._locked() as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
            done = 0
            try:
                for line in lines:
                    write(json.loads(line))
                    done += 1
            finally:
                if done:
                    rest = b"".join(line + b"\n" for line in lines[done:])
                    handle.seek(0)
                    handle.write(rest)
                    handle.truncate()
                    handle.flush()
                    os.fsync(handle.fileno())
            return done
