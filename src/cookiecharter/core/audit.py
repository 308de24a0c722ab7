"""An audit of the site's own behaviour as proof: what a run and its findings are, their digests,
and how two runs compare.

No database and no scanner here: plain values in, plain values out. ``cookiecharter.audits``
stores runs and findings and seals each run's digest into the ledger as one record; the digest is
recomputed here from the stored rows, so a finding edited or deleted afterwards shows.

A finding's *identity* is its rule, its subject (the cookie, host or storage key) and the phases it
was seen in: the same identity in two runs is the same problem, still there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .proof import canonical_time

#: A run's verdict, best first: "pass" (no error and no warning, every question answered yes or not
#: asked), "warn" (warnings only), "fail" (an error, or a question answered no).
VERDICTS: tuple[str, ...] = ("pass", "warn", "fail")
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
#: The severities that make a run "worse" when a finding of theirs is new (an info is a note).
COUNTED: frozenset[str] = frozenset({"error", "warning"})
#: The ledger record of a run: its ``consent_id`` is this prefix and the run's number. A colon is
#: not in base64url, so it never collides with a visitor's consent id.
RECORD_PREFIX = "audit:"


def _canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256_json(data: Any) -> str:
    """SHA-256 of the canonical JSON of ``data`` (sorted keys, no spaces, UTF-8)."""
    return hashlib.sha256(_canonical_json(data)).hexdigest()


@dataclass(frozen=True)
class FindingFacts:
    rule: str
    severity: str
    #: The cookie name (or host, storage key, page) the finding is about.
    subject: str
    #: The phases it was seen in, in the scanner's order, comma-separated ("arrival,refuse").
    phase: str
    #: The first page it was seen on.
    page: str
    #: The scanner's message, in a sentence.
    text: str

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.rule, self.subject, self.phase)

    def digest(self) -> str:
        return sha256_json(
            {
                "v": 1,
                "rule": self.rule,
                "severity": self.severity,
                "subject": self.subject,
                "phase": self.phase,
                "page": self.page,
                "text": self.text,
            }
        )


@dataclass(frozen=True)
class RunFacts:
    site: str
    base_url: str
    started_at: datetime
    finished_at: datetime
    charter_digest: str
    charter_edition: str
    pages: Sequence[str]
    verdict: str
    #: SHA-256 of the scanner's whole report as canonical JSON (what was observed, phase by phase).
    report_digest: str
    findings: Sequence[FindingFacts] = field(default_factory=tuple)

    @property
    def counts(self) -> dict[str, int]:
        return counts(self.findings)

    def digest(self) -> str:
        """What the ledger record of the run holds: every field of the run and, in order, the digest
        of each finding. Editing, adding or deleting a finding changes it."""
        return sha256_json(
            {
                "v": 1,
                "site": self.site,
                "url": self.base_url,
                "started_at": canonical_time(self.started_at),
                "finished_at": canonical_time(self.finished_at),
                "charter": self.charter_digest,
                "edition": self.charter_edition,
                "pages": list(self.pages),
                "verdict": self.verdict,
                "counts": self.counts,
                "report": self.report_digest,
                "findings": [f.digest() for f in self.findings],
            }
        )


def counts(findings: Iterable[FindingFacts]) -> dict[str, int]:
    out = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        out[finding.severity] = out.get(finding.severity, 0) + 1
    return out


def verdict_of(severities: Iterable[str], answered_no: bool = False) -> str:
    """The run's verdict from its findings' severities and whether a question was answered no."""
    seen = set(severities)
    if answered_no or "error" in seen:
        return "fail"
    return "warn" if "warning" in seen else "pass"


@dataclass(frozen=True)
class Change:
    """What a run shows against the one before it."""

    new: list[tuple[str, str, str]]
    gone: list[tuple[str, str, str]]
    #: New findings that count (errors and warnings).
    new_counted: int
    verdict_worse: bool

    @property
    def worse(self) -> bool:
        return bool(self.new_counted) or self.verdict_worse


def compare(
    previous: Sequence[tuple[tuple[str, str, str], str]] | None,
    previous_verdict: str | None,
    current: Sequence[tuple[tuple[str, str, str], str]],
    current_verdict: str,
) -> Change:
    """Compare two runs given as ``[(identity, severity), ...]``. Without a previous run, everything
    found is new (a first run with errors or warnings is "worse" than nothing known)."""
    before = {identity for identity, _ in previous or ()}
    now: Mapping[tuple[str, str, str], str] = dict(current)
    new = sorted(set(now) - before)
    gone = sorted(before - set(now))
    worse = previous_verdict is not None and VERDICTS.index(current_verdict) > VERDICTS.index(previous_verdict)
    return Change(
        new=new,
        gone=gone,
        new_counted=sum(1 for identity in new if now[identity] in COUNTED),
        verdict_worse=worse,
    )
