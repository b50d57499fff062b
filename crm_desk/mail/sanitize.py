"""HTML mail made safe to display: an explicit allowlist (nh3, i.e. Ammonia), nothing else.

Decisions, and why:

* ``style`` attributes are kept but filtered. Most HTML mail (Outlook, marketing tools, web
  forms) does all of its formatting inline, so dropping ``style`` makes tables and signatures
  unreadable. Only properties in ``_STYLE_PROPERTIES`` survive (no ``position``, ``display``,
  ``background-image``, ``content``, ``behavior`` ...), and a declaration is dropped whole when
  it contains anything that can fetch or run: ``url(``, ``image-set(``, ``expression(``,
  ``@import``, ``javascript:``, or a backslash (CSS escapes can spell ``url(`` in other letters)
  or a comment (which can split a keyword in two). ``<style>`` elements are removed with their
  content.
* ``data:`` URLs are allowed in ``<img src>`` only, and only for raster types (PNG, JPEG, GIF,
  WebP, BMP). Signatures pasted from webmail arrive that way; the bytes are already in the
  message, so showing them fetches nothing and tells nobody that the mail was read. SVG is not
  a raster type: it can carry script. A ``data:`` link (``<a href>``) is dropped: opening one
  in a browser is a classic phishing trick.
* ``cid:`` sources always stay: they point at parts of the same message, which the viewer
  resolves.
* Remote images (``http``/``https`` in ``img src``, ``srcset`` and the ``background``
  attribute) are removed unless ``allow_remote`` and recorded in ``remote_resources``, so the UI
  can offer "Load remote images". ``srcset`` is never kept: ``src`` is enough to show an image.
  Relative and protocol-relative URLs mean nothing in a mail and are dropped.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape

import nh3
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig


@dataclass(frozen=True, slots=True)
class SanitizedHtml:
    html: str
    remote_resources: list[str] = field(default_factory=list)  # blocked URLs, in order


def _words(text: str) -> set[str]:
    return set(text.split())


_TAGS = _words(
    "a abbr address article aside b bdi bdo big blockquote br caption center cite code col"
    " colgroup dd del details dfn div dl dt em figcaption figure font footer h1 h2 h3 h4 h5 h6"
    " header hr i img ins kbd li main mark ol p pre q rp rt ruby s samp section small span"
    " strike strong sub summary sup table tbody td tfoot th thead time tr tt u ul var wbr"
)

# Removed together with their content: code, embedded documents, and text never meant to show.
_CLEAN_CONTENT_TAGS = _words(
    "script style iframe frame frameset noframes object embed applet svg math title template"
    " noscript select textarea button head xml"
)

_COMMON = {"align", "valign", "dir", "lang", "title", "width", "height", "bgcolor", "style"}
_TABLE = {"border", "cellpadding", "cellspacing", "background", "summary", "frame", "rules"}
_ATTRIBUTES = {
    "*": _COMMON,
    "a": {"href", "name"},
    "img": {"src", "srcset", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": _TABLE,
    "td": {"colspan", "rowspan", "background", "nowrap"},
    "th": {"colspan", "rowspan", "background", "nowrap", "scope"},
    "tr": {"background"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "blockquote": {"cite", "type"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "hr": {"size", "noshade", "color"},
}

_STYLE_PROPERTIES = _words(
    "color background-color font font-family font-size font-style font-weight font-variant"
    " text-align text-decoration text-indent text-transform letter-spacing word-spacing"
    " line-height white-space word-break word-wrap overflow-wrap vertical-align direction"
    " margin margin-top margin-right margin-bottom margin-left"
    " padding padding-top padding-right padding-bottom padding-left"
    " border border-top border-right border-bottom border-left border-color border-style"
    " border-width border-collapse border-spacing border-radius"
    " width min-width max-width height min-height max-height"
    " list-style-type table-layout caption-side empty-cells"
)

# Where an image is fetched from. nh3 calls the filter for other tags' attributes too (an
# ``iframe src`` about to be dropped), which must not count as a blocked image.
_IMAGE_SOURCES = {("img", "src"), ("table", "background"), ("td", "background")}
_IMAGE_SOURCES |= {("th", "background"), ("tr", "background")}
_URL_SCHEMES = {"http", "https", "mailto", "cid", "data"}
_UNSAFE_CSS = re.compile(r"url\(|image-set\(|expression\(|@import|javascript:|\\|/\*|<", re.I)
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|bmp);", re.I)
_REMOTE = re.compile(r"\s*(?:https?:)?//", re.I)
_SRCSET_URL = re.compile(r"(?:^|,)\s*(\S+)")


def _clean_style(value: str) -> str | None:
    kept = [decl for decl in value.split(";") if decl.strip() and not _UNSAFE_CSS.search(decl)]
    return "; ".join(decl.strip() for decl in kept) or None


# The URLs that the sanitize_html call running on this thread blocked (the cleaners below are
# built once and shared, so their attribute filter cannot close over a per-call list).
_blocked = threading.local()


def _attribute_filter(allow_remote: bool) -> Callable[[str, str, str], str | None]:
    def remote(url: str) -> str | None:
        if allow_remote:
            return url
        blocked: list[str] = _blocked.urls
        if url not in blocked:
            blocked.append(url)
        return None

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "style":
            return _clean_style(value)
        if tag == "img" and attribute == "srcset":
            for url in _SRCSET_URL.findall(value):
                if _REMOTE.match(url) and not allow_remote:
                    remote(url)
            return None
        if (tag, attribute) in _IMAGE_SOURCES:
            if _REMOTE.match(value):
                return remote(value.strip())
            if value.strip().lower().startswith("data:"):
                return value if tag == "img" and _DATA_IMAGE.match(value.strip()) else None
            return value
        if attribute == "href" and value.strip().lower().startswith("data:"):
            return None
        return value

    return attribute_filter


@functools.cache
def _cleaner(allow_remote: bool) -> nh3.Cleaner:
    # Built once: handing the allowlists to nh3.clean() on every call cost twice the cleaning.
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter(allow_remote),
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_STYLE_PROPERTIES,
        url_relative="deny",
    )


def sanitize_html(html: str, *, allow_remote: bool = False) -> SanitizedHtml:
    """``html`` reduced to the allowlist; remote images blocked unless ``allow_remote``."""
    blocked: list[str] = []
    _blocked.urls = blocked
    try:
        cleaned = _cleaner(allow_remote).clean(html)
    finally:
        del _blocked.urls
    return SanitizedHtml(cleaned, blocked)


@functools.cache
def _text_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=_TAGS, clean_content_tags=_CLEAN_CONTENT_TAGS, attributes={})


# The "strict" profile renders inline elements as a browser does; "relaxed" puts spaces around
# every <span>, which splits Japanese words ("先着100施設限定" becomes " 先着100施設限定 ").
# Image alt texts left out: they are mostly tracking pixels' and logos' names.
_TEXT_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False)
# inscriptis lays text out in pure Python, about 1.3 µs a byte: 0.3 s at this size, half a
# minute for a 25 MB newsletter. Above it a cruder conversion in C-speed steps is used.
_LAYOUT_LIMIT = 256 * 1024
_BLOCK_END = re.compile(r"<(?:br|hr)\b[^>]*>|</(?:p|div|tr|li|h[1-6]|table|blockquote|pre)>", re.I)
_CELL_END = re.compile(r"</t[dh]>", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_SPACE_RUNS = re.compile(r"[ \t\f\v\r]+")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")


def _quick_text(html: str) -> str:
    # nh3 first: it drops script/style/title content and leaves well-formed tags to strip.
    cleaned = _text_cleaner().clean(html)
    text = _ANY_TAG.sub("", _CELL_END.sub("  ", _BLOCK_END.sub("\n", cleaned)))
    return "\n".join(_SPACE_RUNS.sub(" ", line).strip() for line in unescape(text).split("\n"))


def html_to_text(html: str) -> str:
    """Readable plain text for HTML-only mail (the text that is searched and quoted)."""
    if not html.strip():
        return ""
    text = _quick_text(html) if len(html) > _LAYOUT_LIMIT else get_text(html, _TEXT_CONFIG)
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", lines).strip("\n")
