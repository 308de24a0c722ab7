"""The proof for one visitor as a PDF: the bundle (``core.bundle``) laid out for a person to read.

Same fonts, colours and reportlab set-up as the charter's PDF (``page.pdf``). Every digest and hash
is printed in full, so that what the PDF shows can be compared with the JSON bundle and with
``cookiecharter check-proof``'s output. ``t`` translates the labels (``django.utils.translation``
from the back office, a catalogue translator elsewhere).

Nothing here imports Django.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..core.catalogue import Translator
from .pdf import HEAD_BG, MARGIN, RULE, _styles

#: Digests, hashes and hashed texts: Courier, wrapped at any character (reportlab's "CJK" wrapping),
#: so a 64-character hash fits its cell and is copied back whole (no break character inserted).
_MONO = ParagraphStyle("cc-mono", fontName="Courier", fontSize=7.6, leading=9.6, wordWrap="CJK")


def _mono(text: str) -> Paragraph:
    return Paragraph(escape(str(text)), _MONO)


def render_proof_pdf(bundle: Mapping[str, Any], lang: str, t: Translator, methods: Mapping[str, Any]) -> bytes:
    """The bundle as PDF bytes, with labels in ``lang`` (``t`` must translate into it)."""
    _ = t.gettext
    styles = _styles()
    body, small, cell, head = styles["body"], styles["small"], styles["cell"], styles["head"]
    buffer = io.BytesIO()
    title = _("Proof for one visitor")
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{title} – {bundle['consent_id']}",
        author=str(bundle.get("controller") or "") or None,
        creator="cookiecharter",
        lang=lang,
        displayDocTitle=True,
        invariant=1,
    )

    def facts(rows: list[tuple[str, str | Paragraph]]) -> Table:
        data = [[Paragraph(escape(k), head), v if isinstance(v, Paragraph) else Paragraph(v, cell)] for k, v in rows]
        table = Table(data, colWidths=[doc.width * 0.3, doc.width * 0.7])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return table

    verification = bundle["verification"]
    if verification["ok"]:
        checked = _(
            "Intact: the chain of %(seals)s seals and the %(records)s records of the seals over this visitor's records."
        ) % {"seals": verification["seals"], "records": verification["records"]}
    else:
        checked = _("NOT intact: %(problems)s") % {"problems": "; ".join(str(p) for p in verification["problems"])}
    story: list[Any] = [
        Paragraph(escape(title), styles["title"]),
        facts(
            [
                (_("Consent id"), _mono(bundle["consent_id"])),
                (_("Site"), escape(str(bundle["site"]))),
                (_("Controller"), escape(str(bundle.get("controller") or ""))),
                (_("Made at"), escape(str(bundle["made_at"]))),
                (_("Bundle digest"), _mono(bundle["digest"])),
                (
                    _("Verification with the site's key"),
                    escape(checked),
                ),
            ]
        ),
        Spacer(1, 6),
        Paragraph(
            escape(
                _(
                    "Anyone can check this proof without the site: the JSON bundle goes with it, and "
                    "“cookiecharter check-proof BUNDLE.json --charter charter.toml” recomputes every digest, "
                    "the place of each record in its seal and the chain of seals. Only the HMACs need the "
                    "site's secret key: the controller's verification above says whether they held."
                )
            ),
            small,
        ),
        Paragraph(escape(_("Records")), styles["h2"]),
    ]
    header = [_("Record"), _("Decided at"), _("Method"), _("Choices"), _("Language"), _("Seal")]
    rows: list[list[Any]] = [[Paragraph(escape(h), head) for h in header]]
    for record in bundle["records"]:
        choices = "<br/>".join(
            f"{escape(k)}: {escape(_('granted') if v else _('refused'))}" for k, v in sorted(record["choices"].items())
        )
        rows.append(
            [
                Paragraph(str(record["id"]), cell),
                Paragraph(escape(record["created_at"]), cell),
                Paragraph(escape(str(methods.get(record["method"], record["method"]))), cell),
                Paragraph(choices or "-", cell),
                Paragraph(escape(record["language"]), cell),
                Paragraph(f"#{record['seal']}" if record["seal"] else escape(_("not sealed yet")), cell),
            ]
        )
    table = Table(rows, colWidths=[doc.width * w for w in (0.15, 0.24, 0.17, 0.24, 0.09, 0.11)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    for record in bundle["records"]:
        story.append(Paragraph(escape(_("Record %(id)s") % {"id": record["id"]}), styles["h3"]))
        story.append(
            facts(
                [
                    (_("Charter version"), _mono(record["charter_digest"])),
                    (_("Texts digest"), _mono(record["texts_digest"])),
                    (_("Record hash"), _mono(record["record_hash"])),
                    (_("What its hash covers"), _mono(record["hashed"])),
                ]
            )
        )

    story.append(Paragraph(escape(_("Seals")), styles["h2"]))
    if not bundle["seals"]:
        story.append(Paragraph(escape(_("No record of this visitor is sealed yet.")), body))
    for seal in bundle["seals"]:
        covering = seal["record_hashes"] is not None
        story.append(Paragraph(escape(_("Seal %(number)s") % {"number": seal["number"]}), styles["h3"]))
        story.append(
            facts(
                [
                    (_("Records"), escape(f"{seal['ids']} ({seal['count']})")),
                    (_("Sealed at"), escape(seal["created_at"])),
                    (_("Records digest"), _mono(seal["records_digest"])),
                    (_("Previous seal hash"), _mono(seal["previous_hash"] or "-")),
                    (_("Seal hash"), _mono(seal["seal_hash"])),
                    (
                        _("Covers this visitor"),
                        escape(
                            _("yes: the hashes of its records are in the JSON")
                            if covering
                            else _("no: a link of the chain")
                        ),
                    ),
                ]
            )
        )

    for charter in bundle["charters"]:
        story.append(
            Paragraph(escape(_("Charter version %(digest)s") % {"digest": charter["digest"][:12]}), styles["h2"])
        )
        story.append(
            facts(
                [
                    (_("Digest"), _mono(charter["digest"])),
                    (_("Consent version"), _mono(charter["consent_version"])),
                    (_("Edition"), escape(str(charter.get("edition") or "-"))),
                    (_("First shown"), escape(str(charter.get("first_shown_at") or "-"))),
                ]
            )
        )
        for banner in bundle["banner_texts"]:
            if banner["charter_digest"] != charter["digest"]:
                continue
            story.append(
                Paragraph(escape(_("Banner texts (%(language)s)") % {"language": banner["language"]}), styles["h3"])
            )
            for purpose in banner["texts"]["purposes"]:
                story.append(Paragraph(f"<b>{escape(purpose['title'])}</b> · {escape(purpose['description'])}", body))
        for language, text in charter["full_text"].items():
            story.append(Paragraph(escape(_("Full text (%(language)s)") % {"language": language}), styles["h3"]))
            for line in text.splitlines():
                if line.strip():
                    story.append(Paragraph(escape(line), small))
    doc.build(story)
    return buffer.getvalue()
