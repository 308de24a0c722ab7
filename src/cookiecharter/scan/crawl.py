"""Choosing the pages to audit: links of the start page and the sitemap, minus anything that acts.

A scanner that follows "Se déconnecter" or "Delete my account" changes the site it audits (and
may destroy data), so links are judged on their URL and their text, in the five languages the
banner finder knows, before they are visited. Files that are not pages (PDF, images, archives)
are skipped by extension.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

#: Second-level labels under which registrations happen (``example.co.uk``, ``ville.gouv.fr``).
#: Not the whole public-suffix list, which would be a dependency and a data file to keep fresh:
#: a miss only makes two sibling subdomains look like different sites, never the reverse.
_SECOND_LEVEL = frozenset(
    {"co", "com", "org", "net", "gov", "gouv", "ac", "edu", "ne", "or", "go", "gob", "govt", "nhs", "ltd", "plc"}
)

#: URL words of links that sign out, delete, unsubscribe or otherwise act (checked on path and query).
_ACTING_URL = re.compile(
    r"(?:^|[/_\-.?=&])(?:"
    r"log-?out|log-?off|sign-?out|sign-?off|logoff|signoff|deconnexion|se-?deconnecter|disconnect|"
    r"abmelden|ausloggen|cerrar-?sesion|desconectar|salir|disconnetti|esci|"
    r"delete|remove|destroy|erase|supprimer|suppression|effacer|loeschen|l%c3%b6schen|entfernen|"
    r"eliminar|borrar|elimina|cancella|rimuovi|"
    r"unsubscribe|desabonner|desinscription|desinscrire|abbestellen|darse-de-baja|disiscriviti|"
    r"revoke|reset|purge|empty-?cart|add-?to-?cart|checkout|set_?language|setlang|i18n/setlang"
    r")(?:$|[/_\-.?=&])",
    re.IGNORECASE,
)

#: Link texts that act, whatever the URL says.
_ACTING_TEXT = re.compile(
    r"\b(?:"
    r"log ?out|log ?off|sign ?out|sign ?off|delete|remove|unsubscribe|"
    r"se d[ée]connecter|d[ée]connexion|supprimer|effacer|se d[ée]sabonner|d[ée]sinscription|"
    r"abmelden|ausloggen|l[öo]schen|entfernen|abbestellen|"
    r"cerrar sesi[óo]n|salir|eliminar|borrar|darse de baja|"
    r"esci|disconnetti|elimina|cancella|rimuovi|disiscriviti"
    r")\b",
    re.IGNORECASE,
)

#: Content types of HTML documents; a link answering with any other is not audited as a page.
HTML_TYPES = ("text/html", "application/xhtml+xml")


def not_a_page(content_type: str | None, disposition: str | None = None) -> str | None:
    """Why a response is not an HTML page to audit (its content type, or a download), or None."""
    if disposition and disposition.strip().lower().startswith("attachment"):
        return "a download (Content-Disposition: attachment)"
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and kind not in HTML_TYPES:
        return kind
    return None


#: Extensions of things that are not HTML pages.
_NOT_A_PAGE = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",  # documents
    "zip", "gz", "tgz", "bz2", "xz", "7z", "rar", "tar",  # archives
    "jpg", "jpeg", "png", "gif", "svg", "webp", "avif", "ico", "bmp", "tif", "tiff",  # images
    "mp3", "mp4", "m4a", "ogg", "oga", "ogv", "webm", "wav", "avi", "mov", "mkv",  # sound and video
    "csv", "tsv", "json", "xml", "rss", "atom", "txt", "ics", "vcf", "geojson", "kml", "kmz", "shp", "parquet",  # data
    "exe", "dmg", "msi", "apk", "deb", "rpm", "iso",  # installers and disk images
    "woff", "woff2", "ttf", "otf", "eot", "css", "js", "map",  # a page's own assets
})  # fmt: skip


def registrable_domain(host: str) -> str:
    """``www.ville.gouv.fr`` -> ``ville.gouv.fr``; an IP address or ``localhost`` is its own site."""
    host = host.lower().rstrip(".")
    if not host or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host) or "." not in host:
        return host
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(host_a: str, host_b: str) -> bool:
    return registrable_domain(host_a) == registrable_domain(host_b)


def cookie_is_first_party(cookie_domain: str, site_host: str) -> bool:
    """A cookie is first-party when the audited site's own host may read it."""
    domain = cookie_domain.lower().lstrip(".")
    host = site_host.lower()
    return host == domain or host.endswith("." + domain) or same_site(domain, host)


@dataclass(frozen=True)
class Link:
    href: str
    text: str = ""
    download: bool = False


def normalise(url: str) -> str:
    """The URL a page is known by: no fragment, and ``/`` for an empty path."""
    url, _ = urldefrag(url)
    parts = urlsplit(url)
    if not parts.path:
        url = parts._replace(path="/").geturl()
    return url


def skip_reason(link: Link, start_url: str) -> str | None:
    """Why a link is not audited, or None when it is a page to visit."""
    url = normalise(link.href)
    parts = urlsplit(url)
    start = urlsplit(start_url)
    if parts.scheme not in ("http", "https"):
        return "not a web page"
    # Same origin (scheme, host and port) rather than same site: another port on 127.0.0.1 is
    # another server, and a sibling subdomain may be another application entirely.
    if (parts.hostname or "").removeprefix("www.") != (start.hostname or "").removeprefix("www.") or (
        parts.port != start.port
    ):
        return "another site"
    if link.download:
        return "a download"
    ext = parts.path.rsplit("/", 1)[-1].rpartition(".")[2].lower() if "." in parts.path.rsplit("/", 1)[-1] else ""
    if ext in _NOT_A_PAGE:
        return f"a .{ext} file"
    if _ACTING_URL.search(parts.path) or _ACTING_URL.search("?" + parts.query if parts.query else ""):
        return "a link that acts (sign-out, delete, ...)"
    if link.text and _ACTING_TEXT.search(link.text):
        return "a link that acts (sign-out, delete, ...)"
    return None


class Frontier:
    """The pages to audit, in the order they were found, up to ``limit``.

    The start page first, then its links in page order, then the sitemap's, then the links of the
    pages visited, breadth first: a site whose home page links to few pages still gets ``limit``.
    """

    def __init__(self, start_url: str, limit: int) -> None:
        self.start_url = normalise(start_url)
        self.limit = max(1, limit)
        self.pages: list[str] = [self.start_url]
        self._seen = {self.start_url}
        self._paths = {_path_of(self.start_url)}
        #: Pages differing from a known one only by their query (``?next=``, ``?page=2``): audited
        #: only when there is room left once every distinct path is known.
        self._variants: list[str] = []
        #: Links that answered with something other than an HTML page (a PDF without a .pdf in
        #: its URL, a CSV export...): URL -> what it is. Never audited, listed in the report.
        self.not_pages: dict[str, str] = {}

    @property
    def full(self) -> bool:
        return len(self.pages) >= self.limit

    def alias(self, url: str) -> None:
        """Where the start page redirected to (``/`` to ``/fr/``): the same page, not another one."""
        self._seen.add(normalise(url))
        self._paths.add(_path_of(url))

    def offer(self, links: Iterable[Link]) -> list[str]:
        """Add the links worth auditing; return the pages added."""
        return self.add(self.fresh(links))

    def fresh(self, links: Iterable[Link]) -> list[str]:
        """The links worth auditing that are new paths, in order, marked as seen but not added
        yet (the scanner first asks the server whether each is an HTML page); query variants of
        known paths are kept aside for ``use_variants``."""
        found: list[str] = []
        for link in links:
            url = normalise(link.href)
            if url in self._seen or skip_reason(link, self.start_url):
                continue
            self._seen.add(url)
            if _path_of(url) in self._paths:
                self._variants.append(url)
                continue
            self._paths.add(_path_of(url))
            found.append(url)
        return found

    @property
    def room(self) -> int:
        return max(0, self.limit - len(self.pages))

    def add(self, urls: Iterable[str]) -> list[str]:
        """Append pages (from ``fresh``) while there is room; return those added."""
        added: list[str] = []
        for url in urls:
            if self.full:
                break
            self.pages.append(url)
            added.append(url)
        return added

    def use_variants(self) -> list[str]:
        """When no new path is left to find: fill the room left with the query variants."""
        room = self.limit - len(self.pages)
        added, self._variants = self._variants[:room], self._variants[room:]
        self.pages.extend(added)
        return added


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def choose_pages(
    start_url: str, links: Iterable[Link], sitemap_urls: Iterable[str], limit: int, landed_on: str | None = None
) -> list[str]:
    """The start page, then its links in page order, then the sitemap's, up to ``limit`` pages."""
    frontier = Frontier(start_url, limit)
    if landed_on:
        frontier.alias(landed_on)
    frontier.offer([*links, *(Link(u) for u in sitemap_urls)])
    frontier.use_variants()
    return frontier.pages


_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

#: A document type declaration: the only place an XML document can declare entities.
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)


def parse_sitemap(xml_text: str, base_url: str) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap or sitemap index; empty on anything unreadable.

    The audited site is not trusted. A sitemap has no DTD, so a document that declares one is
    refused unread: what is parsed then declares no entity, and neither an entity expansion
    ("billion laughs") nor an external entity can occur."""
    if _DOCTYPE.search(xml_text):
        return [], []
    try:
        root = ET.fromstring(xml_text)  # noqa: S314 - no DTD gets here, so no entity: what defusedxml guards against cannot occur
    except ET.ParseError:
        return [], []
    pages: list[str] = []
    nested: list[str] = []
    tag = root.tag.removeprefix(_SITEMAP_NS)
    for loc in root.iter(f"{_SITEMAP_NS}loc"):
        if loc.text and loc.text.strip():
            (nested if tag == "sitemapindex" else pages).append(urljoin(base_url, loc.text.strip()))
    if not pages and not nested:  # a sitemap written without the namespace
        for loc in root.iter("loc"):
            if loc.text and loc.text.strip():
                (nested if tag == "sitemapindex" else pages).append(urljoin(base_url, loc.text.strip()))
    return pages, nested
