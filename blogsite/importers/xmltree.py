"""Reading an export's XML safely and leniently.

Safely: defusedxml's SAX parser refuses entity declarations (a "billion laughs" file is stopped
at its DTD, before anything is expanded) and external entities. Leniently: namespace
processing is off and every name is taken by its local part, because real exports use prefixes
they never declare (`app:draft` in Blogger's, `atom:link` in some WXR files), which a
namespace-aware parser rejects.
"""

from __future__ import annotations

import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

from blogsite.errors import BlogsiteError, Problem, display_path


@dataclass
class Element:
    name: str  # local name: "draft" for <app:draft>
    qname: str  # as written: "app:draft"
    attrs: dict[str, str]  # by local name
    line: int
    children: list[Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find(self, name: str) -> Element | None:
        for child in self.children:
            if child.name == name:
                return child
        return None

    def findall(self, name: str) -> list[Element]:
        return [c for c in self.children if c.name == name]

    def child_text(self, name: str) -> str:
        found = self.find(name)
        return found.text.strip() if found is not None else ""


def local(name: str) -> str:
    return name.rpartition(":")[2]


class _Builder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self._locator: Locator | None = None
        self.root: Element | None = None
        self.stack: list[Element] = []

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 - the SAX API
        self._locator = locator

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 - the SAX API
        line = self.line() or 0
        element = Element(local(name), name, {local(k): v for k, v in attrs.items()}, line)
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element
        self.stack.append(element)

    def line(self) -> int | None:
        return self._locator.getLineNumber() if self._locator is not None else None

    def endElement(self, name: str) -> None:  # noqa: N802 - the SAX API
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)


def parse(path: Path, data: bytes) -> Element:
    """The document's root element; BlogsiteError naming the file and line otherwise."""
    import defusedxml.sax
    from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

    where = display_path(path)
    if not data.strip():
        raise BlogsiteError(Problem(where, "the file is empty", _HINT, 1))
    builder = _Builder()
    try:
        defusedxml.sax.parseString(
            data, builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except EntitiesForbidden as exc:
        raise BlogsiteError(Problem(
            where, f"the file declares the XML entity {exc.name!r}; exports never do, and "
            "entities can make a small file expand into gigabytes: refused",
            "export the blog again from Blogger or WordPress", builder.line(),
        )) from None
    except (DTDForbidden, ExternalReferenceForbidden) as exc:
        raise BlogsiteError(Problem(
            where, f"the file refers to external XML resources ({exc}): refused", _HINT, builder.line(),
        )) from None
    except xml.sax.SAXParseException as exc:
        message = exc.getMessage()
        if any(end in message for end in ("no element found", "unclosed token", "unclosed CDATA")):
            message = "the file ends too early (truncated download?): " + message
        raise BlogsiteError(Problem(where, f"not well-formed XML: {message}", _HINT,
                                    exc.getLineNumber())) from None
    if builder.root is None:
        raise BlogsiteError(Problem(where, "the file holds no XML element", _HINT, 1))
    return builder.root


_HINT = (
    "use the file exported by Blogger (Settings > Back up content, or Google Takeout's "
    "feed.atom) or by WordPress (Tools > Export)"
)
