"""The report as one self-contained HTML file: no external asset, screenshots as data: URLs.

Written with ``html.escape`` rather than a template engine so the scanner needs neither Django
nor Jinja. Every value from the audited site is escaped; screenshots are our own JPEG data: URLs.
"""

from __future__ import annotations

import re
from html import escape

from .model import SEVERITY_RANK, CookieSeen, Finding, PhaseResult, Report

_PHASE_TITLES = {
    "arrival": "Arrival (no choice made)",
    "refuse": "After “refuse all”",
    "accept": "After “accept all”",
    "gpc": "Global Privacy Control on",
}

_CSS = """
:root{--bg:#fff;--fg:#161616;--muted:#555;--line:#ddd;--card:#f6f6f6;--err:#b3261e;--warn:#8a5300;--info:#1f4fa3;--ok:#1b6e35}
@media (prefers-color-scheme:dark){:root{--bg:#121212;--fg:#eee;--muted:#aaa;--line:#333;--card:#1d1d1d;--err:#ff8a80;--warn:#ffc66d;--info:#8ab4f8;--ok:#7bd88f}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:1.5rem 1rem 4rem}h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{margin-top:2.5rem;border-bottom:2px solid var(--line);padding-bottom:.3rem}
h3{margin:1.5rem 0 .5rem}.meta{color:var(--muted);margin:0}.meta code{color:var(--fg)}
.counts{display:flex;gap:.75rem;flex-wrap:wrap;margin:1rem 0}.count{background:var(--card);border-radius:8px;padding:.6rem 1rem;min-width:7rem}
.count b{display:block;font-size:1.5rem}.sev{display:inline-block;border-radius:4px;padding:0 .45rem;font-size:.8rem;font-weight:700;text-transform:uppercase;border:1px solid currentColor}
.error{color:var(--err)}.warning{color:var(--warn)}.info{color:var(--info)}.ok{color:var(--ok)}
.finding{border-left:4px solid var(--line);padding:.5rem .9rem;margin:.8rem 0;background:var(--card);border-radius:0 8px 8px 0}
.finding.error{border-color:var(--err)}.finding.warning{border-color:var(--warn)}.finding.info{border-color:var(--info)}
.finding p{margin:.3rem 0;color:var(--fg)}.finding .fix{color:var(--muted)}.finding ul{margin:.3rem 0;padding-left:1.2rem;color:var(--muted);font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;display:block;overflow-x:auto}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--card)}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
.phase{display:grid;grid-template-columns:minmax(0,1fr);gap:1rem}.shot img{width:100%;max-width:640px;height:auto;border:1px solid var(--line);border-radius:6px}
.new{font-weight:700}details summary{cursor:pointer}figure{margin:0}
.verdicts{border-collapse:collapse;display:table;margin:1rem 0}.verdicts td,.verdicts th{font-size:1rem;padding:.5rem .7rem}
.answer{font-weight:700;text-transform:uppercase;white-space:nowrap}.answer.yes{color:var(--ok)}.answer.no{color:var(--err)}
.answer.not-tested{color:var(--warn)}.answer.not-asked{color:var(--muted)}
tr.breaks td{background:color-mix(in srgb,var(--err) 12%,transparent)}tr.breaks td:first-child{border-left:4px solid var(--err)}
.untested{border:2px solid var(--warn);padding:.5rem .8rem;border-radius:6px}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _text(value: str) -> str:
    """Escaped prose, with the `backticked` names of findings shown as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(value))


def _finding(f: Finding, new: set[str] | None) -> str:
    tag = " <span class='new'>NEW</span>" if new is not None and f.fingerprint in new else ""
    evidence = "".join(
        f"<li>{_e(e.phase or '')}{' — ' + _e(e.page) if e.page else ''}{': ' + _e(e.detail) if e.detail else ''}</li>"
        for e in f.evidence[:8]
    )
    more = f"<li>… and {len(f.evidence) - 8} more</li>" if len(f.evidence) > 8 else ""
    return (
        f"<div class='finding {f.severity}'><span class='sev {f.severity}'>{f.severity}</span> "
        f"<code>{_e(f.rule)}</code> {_e(f.slug)}{tag}<p>{_text(f.message)}</p><p class='fix'>Fix: {_text(f.fix)}</p>"
        f"{'<ul>' + evidence + more + '</ul>' if evidence else ''}</div>"
    )


def _lifetime(c: CookieSeen) -> str:
    s = c.lifetime_seconds
    if s is None:
        return "session"
    if s >= 86_400:
        return f"{s / 86_400:.0f} d"
    return f"{s} s"


def _broken_rules(findings: list[Finding], phase: str) -> dict[str, list[str]]:
    """Subject -> the rules it breaks in ``phase`` (warnings and errors), to highlight its row."""
    out: dict[str, list[str]] = {}
    for f in findings:
        if SEVERITY_RANK[f.severity] >= SEVERITY_RANK["warning"] and any(e.phase == phase for e in f.evidence):
            out.setdefault(f.subject, []).append(f.rule)
    return out


def _row(subject: str, broken: dict[str, list[str]]) -> str:
    rules = broken.get(subject)
    return f"<tr class='breaks' title='breaks {_e(', '.join(rules))}'>" if rules else "<tr>"


def _flag(subject: str, broken: dict[str, list[str]]) -> str:
    rules = broken.get(subject)
    return f"<br><b class='error'>breaks {_e(', '.join(rules))}</b>" if rules else ""


def _cookies(cookies: list[CookieSeen], broken: dict[str, list[str]] | None = None) -> str:
    broken = broken or {}
    if not cookies:
        return "<p class='meta'>No cookie.</p>"
    rows = []
    for c in cookies:
        status = "kept" if c.kept else f"<span class='warning'>refused: {_e(', '.join(c.refused_reasons))}</span>"
        declared = (
            f"<code>{_e(c.declared_as)}</code> ({_e(c.purpose)})"
            if c.declared_as
            else "<span class='error'>undeclared</span>"
        )
        known = (
            f"{'named like ' if c.classification.by_name_only else ''}{_e(c.classification.vendor)}, {_e(c.classification.category)}"
            if c.classification
            else "—"
        )
        by = f"{_e(c.set_by.kind)}{': <code>' + _e(c.set_by.url) + '</code>' if c.set_by.url else ''}"
        flags = " ".join(x for x, on in (("HttpOnly", c.http_only), ("Secure", c.secure)) if on)
        rows.append(
            f"{_row(c.name, broken)}<td><code>{_e(c.name)}</code>{_flag(c.name, broken)}</td><td>{_e(c.domain)}{_e(c.path) if c.path != '/' else ''}<br>"
            f"{_e(c.party)} party</td><td>{_lifetime(c)}</td><td>{_e(flags)} {_e(c.same_site)}</td><td>{status}</td>"
            f"<td>{declared}</td><td>{known}</td><td>{by}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Name</th><th>Domain</th><th>Lifetime</th><th>Attributes</th><th>Stored</th>"
        "<th>Charter</th><th>Known as</th><th>Set by</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _phase(p: PhaseResult, findings: list[Finding]) -> str:
    broken = _broken_rules(findings, p.name)
    parts = [f"<h3 id='phase-{_e(p.name)}'>{_e(_PHASE_TITLES.get(p.name, p.name))}</h3><div class='phase'>"]
    if p.name in ("refuse", "accept"):
        if p.decision_verified:
            parts.append(f"<p class='ok'>The choice took effect: {_e(p.decision_check)}.</p>")
        else:
            parts.append(
                f"<p class='untested'><b>Not tested:</b> {_e(p.decision_check or 'no choice could be made')}. What "
                "follows is what the pages did without that choice; no rule about it is judged.</p>"
            )
    if p.error:
        parts.append(f"<p class='error'>This phase failed: {_e(p.error)}</p>")
    if p.buttons:
        items = []
        for b in p.buttons:
            if b.found:
                how = {
                    "cookiecharter": "cookiecharter's attributes",
                    "manager": f"{b.manager} markup",
                    "text": "its label",
                }[b.strategy]
                where = " in an iframe" if b.frame_url else ""
                where += " in shadow DOM" if b.in_shadow_dom else ""
                items.append(
                    f"<li><b>{_e(b.action)}</b>: found by {_e(how)}{_e(where)}"
                    f"{' (“' + _e(b.text) + '”)' if b.text else ''}{' — clicked' if b.clicked else ''}</li>"
                )
            else:
                items.append(f"<li><b>{_e(b.action)}</b>: not found</li>")
        parts.append("<div><b>Banner controls</b><ul>" + "".join(items) + "</ul></div>")
    if p.screenshot and p.screenshot.startswith("data:image/"):
        parts.append(
            f"<figure class='shot'><img alt='{_e(p.name)} phase: the start page' src='{_e(p.screenshot)}'>"
            f"<figcaption class='meta'>The start page {'loaded again after the decision' if p.consent_given else 'after loading'}.</figcaption></figure>"
        )
    parts.append(_cookies(p.cookies, broken))
    if p.storage:
        parts.append(
            "<h4>Storage</h4><table><thead><tr><th>Kind</th><th>Origin</th><th>Key</th><th>Page</th></tr></thead><tbody>"
            + "".join(
                f"{_row(f'{s.kind}:{s.key}', broken)}<td>{_e(s.kind)}</td><td>{_e(s.origin)}</td><td><code>{_e(s.key)}</code>"
                f"{_flag(f'{s.kind}:{s.key}', broken)}</td><td>{_e(s.page)}</td></tr>"
                for s in p.storage
            )
            + "</tbody></table>"
        )
    if p.third_party_requests:
        parts.append(
            "<h4>Third-party hosts</h4><table><thead><tr><th>Host</th><th>Known as</th><th>Requests</th><th>First</th></tr></thead><tbody>"
            + "".join(
                f"{_row(r.host, broken)}<td><code>{_e(r.host)}</code>{_flag(r.host, broken)}</td><td>{_e(r.vendor or '—')}</td><td>{r.count} ({_e(', '.join(r.resource_types))})</td>"
                f"<td><code>{_e(r.first_url)}</code></td></tr>"
                for r in p.third_party_requests
            )
            + "</tbody></table>"
        )
    failed = [v for v in p.pages if v.error]
    parts.append(
        f"<p class='meta'>{len(p.pages)} page(s) in {p.duration_ms / 1000:.1f} s"
        + (f"; failed: {', '.join(_e(v.url) + ' (' + _e(v.error) + ')' for v in failed)}" if failed else "")
        + "</p></div>"
    )
    return "".join(parts)


def to_html(report: Report) -> str:
    s = report.summary
    new = set(report.baseline.new) if report.baseline else None
    charter = (
        f"charter <code>{_e(report.charter.path)}</code> (edition {_e(report.charter.edition or '—')}, "
        f"consent version <code>{_e(report.charter.consent_version)}</code>)"
        if report.charter
        else "no charter: cookies classified by the knowledge base"
    )
    findings = "".join(_finding(f, new) for f in report.findings) or "<p class='ok'>No finding.</p>"
    baseline = ""
    if report.baseline:
        b = report.baseline
        baseline = (
            f"<h2>Compared with <code>{_e(b.path)}</code></h2><p>{len(b.new)} new, {len(b.fixed)} fixed, "
            f"{len(b.unchanged)} unchanged.</p>"
            + (
                f"<details open><summary>Fixed</summary><ul>{''.join(f'<li><code>{_e(x)}</code></li>' for x in b.fixed)}</ul></details>"
                if b.fixed
                else ""
            )
        )
    pages = "".join(f"<li><code>{_e(u)}</code></li>" for u in report.pages)
    verdicts = (
        "<table class='verdicts'><tbody>"
        + "".join(
            f"<tr><th scope='row'>{_e(v.question)}</th><td class='answer {_e(v.answer.replace(' ', '-'))}'>{_e(v.answer)}</td>"
            f"<td>{_text(v.detail)}</td></tr>"
            for v in report.verdicts
        )
        + "</tbody></table>"
    )
    if report.not_pages:
        pages += "</ul><p class='meta'>Links not audited, not being HTML pages:</p><ul>" + "".join(
            f"<li><code>{_e(u)}</code> ({_e(what)})</li>" for u, what in report.not_pages.items()
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cookie scan of {_e(report.url)}</title><style>{_CSS}</style></head>
<body><main>
<h1>Cookie scan of <code>{_e(report.url)}</code></h1>
{verdicts}
<p class="meta">{_e(report.started_at)} · {s.pages} page(s) · four phases in {report.duration_ms / 1000:.1f} s · {charter}</p>
<p class="meta">cookiecharter {_e(report.tool_version)} · knowledge base {_e(report.knowledge_base_version)} · report schema {_e(report.schema_version)} · {_e(report.browser)}</p>
<div class="counts"><div class="count error"><b>{s.errors}</b>errors</div><div class="count warning"><b>{s.warnings}</b>warnings</div>
<div class="count info"><b>{s.infos}</b>notes</div><div class="count"><b>{s.cookies}</b>cookie names</div></div>
<h2>Findings</h2>{findings}{baseline}
<h2>Phases</h2>{"".join(_phase(p, report.findings) for p in report.phases)}
<h2>Pages audited</h2><ul>{pages}</ul>
</main></body></html>
"""
