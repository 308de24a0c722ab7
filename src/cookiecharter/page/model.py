"""The charter page as plain data (a "page model"), built once and rendered three ways.

``build_page(charter, lang, translator)`` turns a charter into a ``Page``: every heading, paragraph,
table and cell already translated into ``lang``. The HTML view (Django template), the PDF
(``page.pdf``), the Markdown (``page.markdown``) and ``cookiecharter render`` all render that same
object, so they cannot disagree about what a cookie is for or how long it lives.

Nothing here imports Django: the Django view passes ``django.utils.translation`` as the translator
(so a site can override a string the Django way), ``cookiecharter render`` passes the package's
catalogue read with Python's ``gettext`` (``core.catalogue.translator``). Both read the same ``.mo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..core.catalogue import Translator
from ..core.catalogue import translator as catalogue_translator
from ..core.charter import Charter, Cookie, Exemption, Party, Purpose
from ..core.lifetime import Lifetime

__all__ = ["Column", "Honoured", "Link", "Page", "Row", "Section", "Table", "Term", "build_page", "human_lifetime"]


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class Term:
    """One entry of a definition list (a kind of cookie and what it means)."""

    term: str
    text: str


@dataclass(frozen=True)
class Section:
    """A block of general text: a heading, paragraphs, an optional definition list and links."""

    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Honoured:
    """What the site does with the choices a visitor's browser sends and with their account: said on
    the page so that a visitor knows before choosing (the site's settings; a page made from the
    charter alone assumes the defaults)."""

    gpc: bool = True
    adpc: bool = True
    follow_account: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Row:
    provider: str
    service: str
    name: str
    purpose: str
    #: Why an exempt cookie is strictly necessary ("" for a cookie that needs consent).
    reason: str
    lifetime: str
    third_party: bool
    #: Who can read the cookie: this site, or the third party's domain.
    readers: str
    policy: Link | None

    def cell(self, key: str) -> str:
        """Plain text of a column, for renderers that have no room for structure (Markdown, PDF)."""
        return str(getattr(self, key))


@dataclass(frozen=True)
class Table:
    """One purpose and its cookies."""

    key: str
    title: str
    description: str
    needs_consent: bool
    #: A short badge ("Consent required" / "Exempt from consent") and the sentence that explains it.
    status: str
    status_detail: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    @property
    def has_third_party(self) -> bool:
        return any(r.third_party for r in self.rows)

    @property
    def labels(self) -> dict[str, str]:
        """Column labels by key, for templates (``table.labels.provider``)."""
        return {c.key: c.label for c in self.columns}


@dataclass(frozen=True)
class Page:
    lang: str
    title: str
    lead: tuple[str, ...]
    sections: tuple[Section, ...]
    cookies_heading: str
    cookies_intro: tuple[str, ...]
    site: Link | None
    tables: tuple[Table, ...]
    #: Labels used inside cells and around the tables.
    reason_label: str
    edition: str
    edition_label: str
    digest: str
    digest_label: str
    pdf_label: str
    generated_note: str
    #: Printf-style footer of each PDF page: ``page_label % {"page": 1, "pages": 3}``.
    page_label: str
    #: The PDF's file name ("charte-cookies-fr.pdf").
    pdf_filename: str
    #: Language of the charter texts (differs from ``lang`` when the charter lacks ``lang``).
    charter_lang: str

    @property
    def charter_lang_attr(self) -> str:
        """The charter texts' language when it differs from the page's (for a ``lang`` attribute), else ""."""
        return self.charter_lang if self.charter_lang != self.lang else ""

    @property
    def digest_short(self) -> str:
        return self.digest[:12]


_UNIT_FORMS: dict[str, Callable[[Translator, int], str]] = {
    "second": lambda t, n: t.ngettext("%(count)d second", "%(count)d seconds", n),
    "minute": lambda t, n: t.ngettext("%(count)d minute", "%(count)d minutes", n),
    "hour": lambda t, n: t.ngettext("%(count)d hour", "%(count)d hours", n),
    "day": lambda t, n: t.ngettext("%(count)d day", "%(count)d days", n),
    "week": lambda t, n: t.ngettext("%(count)d week", "%(count)d weeks", n),
    "month": lambda t, n: t.ngettext("%(count)d month", "%(count)d months", n),
    "year": lambda t, n: t.ngettext("%(count)d year", "%(count)d years", n),
}


def human_lifetime(lifetime: Lifetime, t: Translator) -> str:
    """ "2 semaines", "13 mois", "Session": the lifetime as a visitor reads it."""
    if lifetime.is_session:
        return t.gettext("Session")
    return _UNIT_FORMS[lifetime.unit](t, lifetime.count) % {"count": lifetime.count}


def _exemption_detail(exemption: Exemption, t: Translator) -> str:
    _ = t.gettext
    return {
        Exemption.STRICTLY_NECESSARY: _("These cookies are strictly necessary for the site to work."),
        Exemption.CONSENT_STORAGE: _("These cookies keep your choices about cookies."),
        Exemption.SECURITY: _("These cookies protect the site and its visitors."),
        Exemption.REQUESTED_PREFERENCE: _("These cookies keep a preference you set yourself."),
        Exemption.AUDIENCE_MEASUREMENT: _(
            "Anonymous audience measurement for this site alone, within the CNIL's "
            "conditions (cookie kept 13 months at most, data kept 25 months at most)."
        ),
    }[exemption]


def _contact_href(contact: str) -> str:
    if contact.startswith(("http://", "https://", "mailto:", "tel:")):
        return contact
    if "@" in contact:
        return "mailto:" + contact
    return ""


def build_page(charter: Charter, lang: str, t: Translator | None = None, honoured: Honoured | None = None) -> Page:
    """The whole page in ``lang``; charter texts fall back to the charter's first language.

    ``t`` must translate into ``lang`` (the default reads the package's catalogue for it; the Django
    view passes ``django.utils.translation`` while ``lang`` is the active language). ``honoured``
    says what the site does with browser signals and accounts (the defaults when None).
    """
    t = t or catalogue_translator(lang)
    _ = t.gettext
    text_lang = lang if lang in charter.languages else charter.languages[0]
    fallback = charter.languages[0]
    controller = charter.controller.name

    lead = [
        _(
            "%(controller)s uses cookies on this site so that it works properly and serves you well. "
            "This page lists every one of them: who sets it, what for, and for how long."
        )
        % {"controller": controller}
    ]
    if charter.needs_consent:
        lead.append(
            _(
                "Cookies that the site does not need in order to work are set only once you have agreed "
                "to them, and you can withdraw your consent at any time."
            )
        )
    else:
        lead.append(_("Every cookie of this site is exempt from consent, which is why the site does not ask for it."))

    what = Section(
        key="what",
        heading=_("What is a cookie?"),
        paragraphs=(
            _(
                "A cookie is a small piece of text, known by its name, that a website asks your browser to "
                "keep. Your browser stores it for a set time and sends it back to that website on each of "
                "your later visits."
            ),
            _(
                "This is how a site remembers something from one page or one visit to the next: that you "
                "are signed in, the language you chose, what is in a basket. Cookies can also be used to "
                "count visits or to follow a person's browsing for statistics or advertising, which is why "
                "the law regulates them."
            ),
        ),
    )
    kinds = Section(
        key="kinds",
        heading=_("The different kinds of cookies"),
        paragraphs=(_("Cookies are told apart by what they are for and by who sets them:"),),
        terms=(
            Term(
                _("Strictly necessary cookies"),
                _(
                    "They make the site work: keeping you signed in, securing forms, remembering your language "
                    "or your choices about cookies. They are exempt from consent, but you must be told about them."
                ),
            ),
            Term(
                _("Statistics cookies"),
                _(
                    "They measure how the site is used: visits, pages viewed. They are exempt from consent only "
                    "when the statistics stay anonymous, serve the site alone and the cookie lasts 13 months at "
                    "most; otherwise they need your consent."
                ),
            ),
            Term(
                _("First-party cookies"),
                _(
                    "They are set by the site you are visiting, under its own address. Beyond the necessary ones, "
                    "a site may use them for other ends, such as personalised content or advertising, which then "
                    "need your consent."
                ),
            ),
            Term(
                _("Third-party cookies"),
                _(
                    "They are set by another organisation than the site you are visiting, often through embedded "
                    "content (a map, a video) or an advertising network. They let that organisation recognise your "
                    "browser on every site that embeds its content. They always need your consent."
                ),
            ),
        ),
    )
    contact_href = _contact_href(charter.controller.contact)
    responsible = Section(
        key="controller",
        heading=_("Who is responsible for these cookies"),
        paragraphs=(
            _("%(controller)s is responsible for the cookies set on this site.") % {"controller": controller},
            _("For any question about these cookies, or to exercise your rights over your personal data, write to:"),
        ),
        links=(Link(charter.controller.contact, contact_href),) if charter.controller.contact else (),
    )

    columns = (
        Column("provider", _("Provider")),
        Column("service", _("Service and location")),
        Column("name", _("Cookie name")),
        Column("purpose", _("Purpose")),
        Column("lifetime", _("Lifetime")),
    )
    readers_column = Column("readers", _("Who can read it"))
    tables = []
    for purpose in charter.purposes:
        cookies = charter.cookies_for(purpose.key)
        if not cookies:
            continue
        rows = tuple(_row(c, text_lang, fallback, t) for c in cookies)
        title = purpose.text("title", text_lang, fallback)
        table_columns = columns + ((readers_column,) if any(r.third_party for r in rows) else ())
        tables.append(
            Table(
                key=purpose.key,
                title=title,
                description=purpose.text("description", text_lang, fallback),
                needs_consent=purpose.needs_consent,
                status=_("Consent required") if purpose.needs_consent else _("Exempt from consent"),
                status_detail=_status_detail(purpose, t),
                caption=t.ngettext("%(count)d cookie: %(title)s", "%(count)d cookies: %(title)s", len(rows))
                % {"count": len(rows), "title": title},
                columns=table_columns,
                rows=rows,
            )
        )

    site = Link(charter.controller.url, charter.controller.url) if charter.controller.url else None
    return Page(
        lang=lang,
        title=_("Cookie charter"),
        lead=tuple(lead),
        sections=(what, kinds, *_signals_section(charter, text_lang, fallback, honoured or Honoured(), t), responsible),
        cookies_heading=_("What the cookies on this site are for"),
        cookies_intro=(
            _(
                "Each table below groups the cookies that serve one purpose, says whether they need your "
                "consent, and gives each cookie's provider, name and lifetime."
            ),
        ),
        site=site,
        tables=tuple(tables),
        reason_label=_("Why it is needed:"),
        edition=charter.edition,
        edition_label=_("Edition %(edition)s") % {"edition": charter.edition} if charter.edition else "",
        digest=charter.digest,
        digest_label=_("Charter fingerprint (SHA-256): %(digest)s") % {"digest": charter.digest[:12]},
        pdf_label=_("Download this charter as a PDF"),
        generated_note=_(
            "This page is generated from the cookie charter the site declares; the lifetimes of the cookies "
            "the site's framework sets itself come from its settings."
        ),
        page_label=_("Page %(page)d of %(pages)d"),
        pdf_filename=_("cookie-charter") + f"-{lang}.pdf",
        charter_lang=text_lang,
    )


def _signals_section(
    charter: Charter, lang: str, fallback: str, honoured: Honoured, t: Translator
) -> tuple[Section, ...]:
    """What happens to a choice sent by the browser, and to one made while signed in."""
    if not charter.needs_consent:
        return ()
    _ = t.gettext

    def titles(purposes: list[Purpose]) -> str:
        return ", ".join(p.text("title", lang, fallback) for p in purposes)

    consent = charter.consent_purposes
    paragraphs = []
    by_gpc = [p for p in consent if p.refused_by_gpc]
    if honoured.gpc and by_gpc:
        paragraphs.append(
            _(
                "If your browser sends the Global Privacy Control signal, this site takes it as your refusal of: "
                "%(purposes)s. It does not reopen a choice you made on this site."
            )
            % {"purposes": titles(by_gpc)}
        )
    with_id = [p for p in consent if p.adpc]
    if honoured.adpc:
        text = _(
            "If your browser speaks ADPC (Advanced Data Protection Control), a withdrawal or an objection to "
            "direct marketing it sends takes effect at once, and a withdrawal of every consent refuses them all."
        )
        if with_id:
            text += " " + _("It can answer for: %(purposes)s.") % {
                "purposes": ", ".join(f"{p.text('title', lang, fallback)} ({p.adpc})" for p in with_id)
            }
        granting = [p for p in with_id if p.adpc_consent]
        if granting:
            text += " " + _(
                "A consent it sends counts only for %(purposes)s, and only while you have not chosen on this site."
            ) % {"purposes": titles(granting)}
        else:
            text += " " + _("A consent it sends is not taken as yours: you give it on this site.")
        paragraphs.append(text)
    if honoured.follow_account:
        paragraphs.append(
            _(
                "When you are signed in, the choice you make applies on every device where you sign in to your "
                "account, and a later choice on any of them, a withdrawal included, replaces it everywhere. "
                "Signing out leaves each browser's own choice as it is."
            )
        )
    if not paragraphs:
        return ()
    return (Section(key="signals", heading=_("Your browser's signals and your devices"), paragraphs=tuple(paragraphs)),)


def _status_detail(purpose: Purpose, t: Translator) -> str:
    if purpose.exemption is None:
        return t.gettext("These cookies are set only if you agree, and you can withdraw your consent at any time.")
    return _exemption_detail(purpose.exemption, t)


def _row(cookie: Cookie, lang: str, fallback: str, t: Translator) -> Row:
    third = cookie.party is Party.THIRD
    policy = None
    if cookie.policy_url:
        policy = Link(t.gettext("Privacy policy of %(provider)s") % {"provider": cookie.provider}, cookie.policy_url)
    return Row(
        provider=cookie.provider,
        service=cookie.text("service", lang, fallback),
        name=cookie.name.display,
        purpose=cookie.text("description", lang, fallback),
        reason=cookie.text("reason", lang, fallback) if cookie.reason else "",
        lifetime=human_lifetime(cookie.lifetime, t),
        third_party=third,
        readers=(t.gettext("%(domain)s (third party)") % {"domain": cookie.domain})
        if third
        else t.gettext("This site only"),
        policy=policy,
    )
