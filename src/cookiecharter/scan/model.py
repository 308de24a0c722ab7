"""What a scan saw and what it concluded: the report's data model.

These pydantic models are the JSON report (``Report.model_dump_json``), the schema published in
``docs/scan-report-schema.json`` (``Report.model_json_schema``) and what ``--baseline`` reads back
(``Report.model_validate_json``), so the three can never drift apart. Bump ``SCHEMA_VERSION``'s
major number when a field is removed or changes meaning; add fields freely in a minor.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

PhaseName = Literal["arrival", "refuse", "accept", "gpc"]
#: The order phases are shown in; "before consent" phases first.
PHASES: tuple[PhaseName, ...] = ("arrival", "refuse", "accept", "gpc")
#: Phases in which no consent was given: anything that needs consent must be absent there.
NO_CONSENT_PHASES: frozenset[str] = frozenset({"arrival", "refuse", "gpc"})

Party = Literal["first", "third"]
StorageKind = Literal["localStorage", "sessionStorage", "indexedDB"]

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class _Model(BaseModel):
    # Reports written by a newer minor version still load (unknown fields are ignored).
    model_config = ConfigDict(extra="ignore")


class SetBy(_Model):
    """Which response header or script wrote a cookie."""

    kind: Literal["header", "script", "unknown"] = Field(
        description="header: a Set-Cookie response header; script: document.cookie or cookieStore; "
        "unknown: present in the jar with no write observed (for example set before a navigation)"
    )
    url: str | None = Field(None, description="The response URL (header) or the script URL (script).")
    frame_url: str | None = Field(None, description="The document the write happened in.")


class Classification(_Model):
    """What the knowledge base knows about a cookie name."""

    vendor: str
    category: str
    typical_lifetime: str = ""
    description: str = ""
    pattern: str = Field(description="The knowledge-base entry that matched (name, prefix* or /regex/).")
    by_name_only: bool = Field(
        True,
        description="True when only the name matched: the cookie was written by the site itself (or by a host the "
        "knowledge base does not tie to this vendor), so the vendor is a presumption, not a fact.",
    )


class CookieSeen(_Model):
    name: str
    domain: str
    path: str = "/"
    kept: bool = Field(description="False when the browser refused to store it (see refused_reasons).")
    refused_reasons: list[str] = Field(default_factory=list)
    expires: float | None = Field(None, description="Unix time the browser will drop it; null for a session cookie.")
    lifetime_seconds: int | None = Field(
        None,
        description="How long the site asked the cookie to live (Max-Age/Expires of the write), "
        "else what the browser kept; null for a session cookie.",
    )
    http_only: bool = False
    secure: bool = False
    same_site: str = ""
    party: Party = "first"
    set_by: SetBy
    pages: list[str] = Field(default_factory=list, description="Pages during whose visit it was written (or seen).")
    declared_as: str | None = Field(None, description="The charter declaration it falls under (name or pattern).")
    purpose: str | None = Field(None, description="The purpose the charter gives it.")
    classification: Classification | None = None


class StorageSeen(_Model):
    kind: StorageKind
    origin: str
    key: str
    page: str
    party: Party = "first"


class RequestSeen(_Model):
    """Requests to one third-party host during one phase."""

    host: str
    first_url: str
    page: str
    resource_types: list[str] = Field(default_factory=list)
    count: int = 1
    vendor: str | None = None


class ButtonSeen(_Model):
    """How a consent control was found (or that none was)."""

    action: Literal["accept-all", "refuse-all", "customise", "save"]
    found: bool
    strategy: Literal["cookiecharter", "manager", "text", "none"] = "none"
    manager: str | None = None
    selector: str | None = None
    text: str | None = None
    frame_url: str | None = Field(None, description="Set when the control was inside an iframe.")
    in_shadow_dom: bool = False
    clicked: bool = False


class ConsentRecord(_Model):
    """A cookie or storage entry a consent manager wrote when the decision's control was clicked."""

    kind: Literal["cookie", "localStorage", "sessionStorage"]
    where: str = Field(description="The cookie's domain or the storage's origin.")
    name: str
    choice: Literal["refusal", "acceptance"] | None = Field(
        None, description="What the value says, where it can be read; null for a format the scanner cannot read."
    )


class DeclaredOptional(_Model):
    """A cookie a consent manager's own configuration, read on the page, files under a purpose
    that needs consent."""

    manager: str
    purpose: str = ""
    name: str = Field(description="A cookie name, or a regular expression between slashes.")


class PageVisit(_Model):
    url: str
    status: int | None = None
    error: str | None = None
    duration_ms: int = 0


class PhaseResult(_Model):
    name: PhaseName
    pages: list[PageVisit] = Field(default_factory=list)
    cookies: list[CookieSeen] = Field(default_factory=list)
    storage: list[StorageSeen] = Field(default_factory=list)
    third_party_requests: list[RequestSeen] = Field(default_factory=list)
    buttons: list[ButtonSeen] = Field(default_factory=list)
    consent_given: Literal["refuse-all", "accept-all"] | None = Field(
        None, description="The decision this phase made (null for arrival and gpc)."
    )
    decision_made: bool = Field(False, description="True when the decision's control was found and clicked.")
    decision_verified: bool = Field(
        False,
        description="True only when the click was seen to take effect: the banner went away and the consent "
        "manager's record (cookie or storage) was written, holding this choice or one it cannot read. "
        "When false, the rules that depend on this phase are withheld.",
    )
    decision_attempts: int = Field(
        0,
        description="Clicks made on the decision's control (a click before the "
        "control is live does nothing, so the scanner tries again, within a bound).",
    )
    decision_check: str | None = Field(
        None, description="In words: what showed the decision took effect, or why it did not."
    )
    consent_records: list[ConsentRecord] = Field(
        default_factory=list, description="The consent manager's record as the decision left it."
    )
    screenshot: str | None = Field(
        None,
        description="A JPEG data: URL of the start page: as it settled (arrival, gpc: with the banner), "
        "or loaded again after the decision (refuse, accept: the banner should be gone).",
    )
    manager_declared: list[DeclaredOptional] = Field(
        default_factory=list,
        description="Arrival only: cookies the consent manager's own configuration declares optional.",
    )
    hidden_banner: str | None = Field(
        None,
        description="A consent banner's container that is in the page but was not shown (its selector): a sign "
        "that the site hides its banner from automated browsers.",
    )
    error: str | None = None
    duration_ms: int = 0


class Evidence(_Model):
    phase: PhaseName | None = None
    page: str | None = None
    set_by: SetBy | None = None
    detail: str = ""


class Finding(_Model):
    rule: str = Field(description="Stable rule id, CC001...")
    slug: str
    severity: Severity
    subject: str = Field(description="The cookie name, host, storage key or page the finding is about.")
    message: str
    fix: str
    evidence: list[Evidence] = Field(default_factory=list)
    fingerprint: str = Field(description="Stable across scans: rule and subject, for --baseline.")


class CharterInfo(_Model):
    path: str
    edition: str = ""
    digest: str
    consent_version: str


class Verdict(_Model):
    """One of the four answers at the top of a report, in plain words."""

    check: Literal["refusal-respected", "nothing-before-choice", "gpc-honoured", "acceptance-works"]
    question: str
    answer: Literal["yes", "no", "not asked", "not tested"]
    detail: str = Field(description="The answer in a sentence, naming what went on when it is no.")


class BaselineDiff(_Model):
    path: str
    new: list[str] = Field(default_factory=list, description="Fingerprints found now and not in the baseline.")
    fixed: list[str] = Field(default_factory=list, description="Fingerprints in the baseline and gone now.")
    unchanged: list[str] = Field(default_factory=list)


class Summary(_Model):
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    cookies: int = Field(0, description="Distinct cookie names seen over all phases.")
    pages: int = 0
    failed_pages: int = 0


class Report(_Model):
    schema_version: str = SCHEMA_VERSION
    tool: str = "cookiecharter"
    tool_version: str
    knowledge_base_version: str
    url: str
    verdicts: list[Verdict] = Field(
        default_factory=list,
        description="The four answers (refusal respected, nothing before a choice, Global Privacy Control "
        "honoured, acceptance works), derived from the findings and the phases' decisions.",
    )
    started_at: str = Field(description="ISO 8601, UTC.")
    duration_ms: int = 0
    browser: str = ""
    charter: CharterInfo | None = None
    pages: list[str] = Field(default_factory=list, description="The pages audited, start page first.")
    not_pages: dict[str, str] = Field(
        default_factory=dict,
        description="Links found but not audited because they are not HTML pages (a PDF, a CSV export, a "
        "download): URL -> its content type or why.",
    )
    phases: list[PhaseResult] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    baseline: BaselineDiff | None = None

    def phase(self, name: str) -> PhaseResult | None:
        return next((p for p in self.phases if p.name == name), None)
