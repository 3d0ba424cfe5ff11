"""An imported post's HTML as Markdown that reads as if a person wrote it.

BeautifulSoup first cleans up what old editors left (Blogger's <br /> runs and
`div dir="ltr"` wrappers, caption tables, thumbnails linked to their originals, embedded
players), nh3 then keeps only an allow-list of elements (a stranger's HTML: no script, style
or event handler survives; the text of any element it drops is kept), and markdownify writes
the Markdown. What Markdown cannot say (figures, tables) stays as raw HTML rather than be lost.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from markdownify import MarkdownConverter

MORE = "BLOGSITEMOREMARKER"
POST_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
POST_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}, "ol": {"start"},
    "abbr": {"title"}, "q": {"cite"},
}
_IMAGE_URL = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp)(?:\?.*)?$|blogspot\.com/|googleusercontent\.com/|"
                        r"bp\.blogspot|ggpht\.com/", re.I)
_INLINE_BLOCKS = {"p", "div", "li", "td", "th", "blockquote", "dd", "figcaption", "h1", "h2", "h3",
                  "h4", "h5", "h6"}
_BLOCK_NAMES = {"p", "div", "table", "ul", "ol", "blockquote", "pre", "figure", "h1", "h2", "h3",
                "h4", "h5", "h6", "hr", "dl"}


def original_image(url: str) -> str:
    """Blogger's full-size image rather than a thumbnail (/s320/ -> /s1600/, =s320 -> =s1600)."""
    if re.search(r"blogspot\.com|googleusercontent\.com|ggpht\.com|blogger\.com|/img/b/", url):
        url = re.sub(r"/s\d{2,4}(?:-[a-z0-9-]+)?/", "/s1600/", url)
        url = re.sub(r"=s\d{2,4}(?:-[a-z0-9-]+)?$", "=s1600", url)
    return url


def _media_to_links(soup: BeautifulSoup) -> None:
    """Players (iframe, video, audio, object, embed) become a link to what they play."""
    for el in soup.find_all(["iframe", "video", "audio", "object", "embed"]):
        if el.parent is None:
            continue
        source = el.find("source") if el.name in ("video", "audio") else None
        url = el.get("src") or el.get("data") or (source.get("src") if source else None)
        if isinstance(url, str) and url.strip():
            url = ("https:" + url) if url.startswith("//") else url
            paragraph = soup.new_tag("p")
            link = soup.new_tag("a", href=url)
            link.string = url
            paragraph.append(link)
            el.replace_with(paragraph)
        else:
            el.unwrap()


def _linked_images(soup: BeautifulSoup) -> None:
    """<a href="…/s1600/x.jpg"><img src="…/s320/x.jpg"></a>: the image, full size."""
    for link in soup.find_all("a"):
        images = link.find_all("img")
        href = link.get("href")
        text = link.get_text(strip=True)
        if len(images) == 1 and not text and isinstance(href, str) and _IMAGE_URL.search(href):
            images[0]["src"] = original_image(href)
            link.replace_with(images[0])
    for img in soup.find_all("img"):
        src = img.get("src")
        if isinstance(src, str):
            img["src"] = original_image(src)


def _caption_tables(soup: BeautifulSoup) -> None:
    """Blogger's caption table (an image cell, a caption cell) becomes a figure."""
    for table in soup.find_all("table"):
        classes: list[str] = list(table.get("class") or [])
        caption = table.find(class_="tr-caption")
        images = table.find_all("img")
        if ("tr-caption-container" in classes or caption is not None) and len(images) == 1:
            figure = soup.new_tag("figure")
            figure.append(images[0])
            if caption is not None and caption.get_text(strip=True):
                figcaption = soup.new_tag("figcaption")
                for child in list(caption.children):
                    figcaption.append(child)
                figure.append(figcaption)
            table.replace_with(figure)


def _is_br(node: object) -> bool:
    return isinstance(node, Tag) and node.name == "br"


def _groups(children: list) -> list[list]:
    """Children split at each run of two or more <br> (whitespace between them ignored)."""
    groups: list[list] = [[]]
    i = 0
    while i < len(children):
        node = children[i]
        if _is_br(node):
            j = i + 1
            count = 1
            while j < len(children) and (_is_br(children[j]) or (
                    isinstance(children[j], NavigableString) and not children[j].strip())):
                count += _is_br(children[j])
                j += 1
            if count >= 2:
                groups.append([])
                i = j
                continue
        groups[-1].append(node)
        i += 1
    return groups


def _split_br_runs(soup: BeautifulSoup) -> None:
    """Blogger's paragraphs are runs of <br />: each part between runs becomes a <p>."""
    for parent in [*reversed(soup.find_all(list(_INLINE_BLOCKS))), soup]:
        children = list(parent.children)
        groups = _groups(children)
        if len(groups) < 2:
            continue
        for child in children:
            child.extract()
        made = [_paragraphs(soup, group) for group in groups]
        nodes = [node for group in made for node in group]
        if parent is not soup and parent.name == "p":
            for node in reversed(nodes):
                parent.insert_after(node)
            parent.decompose()
        else:
            for node in nodes:
                parent.append(node)


def _paragraphs(soup: BeautifulSoup, group: list) -> list:
    """Inline runs of a group in <p>; block elements as they are."""
    out: list = []
    current: Tag | None = None
    for node in group:
        if isinstance(node, Tag) and node.name in _BLOCK_NAMES:
            out.append(node)
            current = None
            continue
        if current is None:
            if isinstance(node, NavigableString) and not node.strip():
                continue
            current = soup.new_tag("p")
            out.append(current)
        current.append(node)
    for p in out:
        while p.contents and (_is_br(p.contents[-1]) or (
                isinstance(p.contents[-1], NavigableString) and not p.contents[-1].strip())):
            p.contents[-1].extract()
    return out


def _unwrap_divs(soup: BeautifulSoup) -> None:
    """A div of text is a paragraph; a div of blocks is just its blocks."""
    for el in reversed(soup.find_all(["div", "span", "font", "center", "section", "article"])):
        if el.name == "div" and not el.find(list(_BLOCK_NAMES)) and el.get_text(strip=True):
            el.name = "p"
            el.attrs = {}
        else:
            el.unwrap()


def _escape_line_starts(soup: BeautifulSoup) -> None:
    """Text that Markdown would read as a list, heading or quote ("1. ", "- ", "# ", "> ") at
    the start of a paragraph stays text."""
    for block in soup.find_all(list(_INLINE_BLOCKS)):
        first = next((d for d in block.descendants if isinstance(d, NavigableString) and d.strip()), None)
        if first is not None and first.parent is not None and first.parent.name not in ("code", "pre"):
            fixed = re.sub(r"^(\s*)(\d+)\.(\s)", r"\1\2\\.\3", str(first))
            fixed = re.sub(r"^(\s*)([-+#>])(\s)", r"\1\\\2\3", fixed)
            if fixed != str(first):
                first.replace_with(NavigableString(fixed))


class Converter(MarkdownConverter):
    """markdownify, with raw HTML for what Markdown cannot say, and text that stays text."""

    def escape(self, text: str, parent_tags) -> str:
        text = super().escape(text, parent_tags)  # type: ignore[misc]  # its stubs omit it (it exists)
        if not text or "code" in parent_tags or "pre" in parent_tags:
            return text
        text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
        return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)

    def _raw(self, el: Tag) -> str:
        return "\n\n" + re.sub(r"\n\s*\n", "\n", str(el)).strip() + "\n\n"

    def convert_figure(self, el: Tag, text: str, parent_tags) -> str:
        return self._raw(el)

    def convert_table(self, el: Tag, text: str, parent_tags) -> str:
        return self._raw(el)


def to_markdown(body: str) -> str:
    """An HTML body (from Blogger, or WordPress after shortcodes and wpautop) as Markdown."""
    import nh3

    body = re.sub(r"<a\s+name=['\"]?more['\"]?\s*>\s*</a>|<!--\s*more\s*-->", f"<p>{MORE}</p>", body,
                  flags=re.I)
    soup = BeautifulSoup(body, "html.parser")
    _media_to_links(soup)
    _linked_images(soup)
    _caption_tables(soup)
    _split_br_runs(soup)
    _unwrap_divs(soup)
    cleaned = nh3.clean(str(soup), tags=POST_TAGS, attributes=POST_ATTRIBUTES, link_rel=None,
                        url_schemes={"http", "https", "mailto"})
    soup = BeautifulSoup(cleaned, "html.parser")
    _escape_line_starts(soup)
    text = Converter(heading_style="ATX", bullets="-", escape_misc=False).convert_soup(soup)
    return _tidy(text)


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+$", lambda m: "  " if m.group(0) == "  " else "", text, flags=re.M)
    text = re.sub(rf"^[ \t]*{MORE}[ \t]*$", "<!-- more -->", text, flags=re.M)
    text = text.replace(MORE, "")
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
