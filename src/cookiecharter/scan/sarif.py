"""The report as SARIF 2.1.0, for code-scanning tools (GitHub code scanning, GitLab, IDEs).

Findings are located in the charter file when there is one (at the declaration's line when the
finding is about a declared cookie), because that is the file a fix usually touches; the audited
page goes into the result's properties and its logical location.
"""

from __future__ import annotations

import os
from typing import Any

from ..core.charter import Charter
from .findings import RULES
from .model import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def to_sarif(report: Report, charter: Charter | None = None) -> dict[str, Any]:
    rules = list(RULES.values())
    index = {r.id: i for i, r in enumerate(rules)}
    charter_uri = _uri(report.charter.path) if report.charter else None
    results = []
    for finding in report.findings:
        first = finding.evidence[0] if finding.evidence else None
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _LEVEL[finding.severity],
            "message": {"text": f"{finding.message} Fix: {finding.fix}"},
            "partialFingerprints": {"cookiecharterFinding/v1": finding.fingerprint},
            "properties": {
                "subject": finding.subject,
                "slug": finding.slug,
                "evidence": [e.model_dump(exclude_none=True) for e in finding.evidence],
            },
        }
        locations: list[dict[str, Any]] = []
        if charter_uri:
            physical: dict[str, Any] = {"artifactLocation": {"uri": charter_uri}}
            line = _declaration_line(charter, finding.subject) if charter is not None else None
            physical["region"] = {"startLine": line or 1}
            locations.append({"physicalLocation": physical})
        if first is not None and first.page:
            logical = {"name": first.page, "kind": "resource", "fullyQualifiedName": f"{first.phase}:{first.page}"}
            if locations:
                locations[0]["logicalLocations"] = [logical]
            else:
                locations.append({"logicalLocations": [logical]})
        if locations:
            result["locations"] = locations
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cookiecharter scan",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "rules": [
                            {
                                "id": r.id,
                                "name": r.slug,
                                "shortDescription": {"text": r.title},
                                "fullDescription": {"text": r.help},
                                "help": {"text": r.help},
                            }
                            for r in rules
                        ],
                    }
                },
                # The verdicts first: as notifications, which code-scanning tools show with the
                # run, and as plain properties for scripts.
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "startTimeUtc": report.started_at,
                        "toolExecutionNotifications": [
                            {
                                "descriptor": {"id": v.check},
                                "level": {"yes": "note", "no": "error", "not tested": "warning", "not asked": "note"}[
                                    v.answer
                                ],
                                "message": {"text": f"{v.question}: {v.answer}. {v.detail}"},
                            }
                            for v in report.verdicts
                        ],
                    }
                ],
                "properties": {
                    "verdicts": [v.model_dump() for v in report.verdicts],
                    "url": report.url,
                    "knowledgeBaseVersion": report.knowledge_base_version,
                    "reportSchemaVersion": report.schema_version,
                },
                "results": results,
            }
        ],
    }


def _uri(path: str) -> str:
    # Relative paths stay relative (code scanning resolves them against the repository root).
    return path.replace(os.sep, "/") if not os.path.isabs(path) else "file://" + path.replace(os.sep, "/")


def _declaration_line(charter: Charter | None, subject: str) -> int | None:
    if charter is None:
        return None
    for cookie in charter.cookies:
        if cookie.name.display == subject or cookie.name.matches(subject):
            return cookie.source.line if cookie.source else None
    return None
