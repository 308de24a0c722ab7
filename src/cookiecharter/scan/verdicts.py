"""The four answers at the top of every report, in words a non-developer reads.

* **Refusal respected**: after "refuse all" took effect, nothing that needs consent was written,
  stored or contacted (else: what went on);
* **Nothing before a choice**: the same on arrival;
* **Global Privacy Control honoured**: the same with the signal on; "not asked" when nothing in
  the scan needed consent, so the signal had nothing to refuse;
* **Acceptance works**: "accept all" took effect (the banner went away and the choice was stored).

A phase whose decision did not take effect is "not tested", never "yes". The answers are derived
from the findings (rules CC002, CC005, CC007, CC015 at warning or above: what needs consent) and
from each phase's decision, so they can never disagree with the findings listed under them.
"""

from __future__ import annotations

from .model import SEVERITY_RANK, Finding, PhaseResult, Verdict

#: The rules that say "this needs consent and was there without it".
CONSENT_RULES = frozenset({"CC002", "CC005", "CC007", "CC015"})


def _item(finding: Finding) -> str:
    subject = finding.subject
    if finding.rule == "CC005" or (finding.rule == "CC015" and finding.message.startswith("Third-party")):
        return f"contacted {subject}"
    if finding.rule == "CC007" or (finding.rule == "CC015" and finding.message.startswith("Storage")):
        kind, _, key = subject.partition(":")
        return f"stored {kind} key {key}"
    return f"wrote cookie {subject}"


def breaches(findings: list[Finding], phase: str) -> list[Finding]:
    """Findings about something needing consent that was there in ``phase``."""
    return [
        f
        for f in findings
        if f.rule in CONSENT_RULES
        and SEVERITY_RANK[f.severity] >= SEVERITY_RANK["warning"]
        and any(e.phase == phase for e in f.evidence)
    ]


def _listing(found: list[Finding], limit: int = 6) -> str:
    items = [_item(f) for f in found]
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


def verdicts(phases: list[PhaseResult], findings: list[Finding]) -> list[Verdict]:
    by_name: dict[str, PhaseResult] = {p.name: p for p in phases}
    out: list[Verdict] = []

    arrival = breaches(findings, "arrival")
    out.append(
        Verdict(check="nothing-before-choice", question="Nothing before a choice", answer="no",
                detail=f"Before any choice, the site {_listing(arrival)}.")
        if arrival
        else Verdict(check="nothing-before-choice", question="Nothing before a choice", answer="yes",
                     detail="Before any choice, nothing that needs consent was written, stored or contacted.")
    )  # fmt: skip

    refuse = by_name.get("refuse")
    refused = breaches(findings, "refuse")
    if refuse is None or not refuse.decision_verified:
        why = (refuse.decision_check if refuse is not None else None) or "the refuse phase did not run"
        out.append(Verdict(check="refusal-respected", question="Refusal respected", answer="not tested",
                           detail=f"Not tested: {why}."))  # fmt: skip
    elif refused:
        out.append(Verdict(check="refusal-respected", question="Refusal respected", answer="no",
                           detail=f"After 'refuse all', the site still {_listing(refused)}."))  # fmt: skip
    else:
        out.append(Verdict(check="refusal-respected", question="Refusal respected", answer="yes",
                           detail="After 'refuse all', nothing that needs consent was written, stored or contacted."))  # fmt: skip

    gpc = by_name.get("gpc")
    signalled = breaches(findings, "gpc")
    anything_optional = any(f.rule in CONSENT_RULES for f in findings) or _acceptance_brings_more(by_name)
    if signalled:
        out.append(Verdict(check="gpc-honoured", question="Global Privacy Control honoured", answer="no",
                           detail=f"With Global Privacy Control on, the site {_listing(signalled)}."))  # fmt: skip
    elif gpc is None or gpc.error or not anything_optional:
        why = (
            f"the phase failed ({gpc.error})"
            if gpc is not None and gpc.error
            else ("nothing in this scan needed consent, so the signal had nothing to refuse")
        )
        out.append(Verdict(check="gpc-honoured", question="Global Privacy Control honoured", answer="not asked",
                           detail=f"Not asked: {why}."))  # fmt: skip
    else:
        out.append(Verdict(check="gpc-honoured", question="Global Privacy Control honoured", answer="yes",
                           detail="With Global Privacy Control on, nothing that needs consent was written, stored or contacted."))  # fmt: skip

    accept = by_name.get("accept")
    if accept is not None and accept.decision_verified:
        out.append(Verdict(check="acceptance-works", question="Acceptance works", answer="yes",
                           detail=f"'Accept all' took effect: {accept.decision_check}."))  # fmt: skip
    elif accept is not None and accept.decision_made:
        out.append(Verdict(check="acceptance-works", question="Acceptance works", answer="no",
                           detail=f"'Accept all' did not take effect: {accept.decision_check}."))  # fmt: skip
    elif any(f.rule == "CC011" for f in findings):
        out.append(Verdict(check="acceptance-works", question="Acceptance works", answer="no",
                           detail="No banner was found, so nothing could be accepted."))  # fmt: skip
    else:
        out.append(Verdict(check="acceptance-works", question="Acceptance works", answer="not asked",
                           detail="Not asked: the site shows no banner and nothing in this scan needed consent."))  # fmt: skip
    return out


def _acceptance_brings_more(by_name: dict[str, PhaseResult]) -> bool:
    """Whether 'accept all' (taken) brought cookies that the refusal did not: something optional."""
    accept, refuse = by_name.get("accept"), by_name.get("refuse")
    if accept is None or not accept.decision_verified:
        return False
    records = {r.name for r in accept.consent_records}
    before = {c.name for c in (refuse.cookies if refuse is not None else [])} | {
        c.name for c in (by_name["arrival"].cookies if "arrival" in by_name else [])
    }
    return any(c.name not in before and c.name not in records for c in accept.cookies)
