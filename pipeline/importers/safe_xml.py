"""Parse untrusted XML with the standard library: no DTDs, no entities, a size cap, and line numbers.

``xml.etree.ElementTree`` gives no line numbers and, like every expat user, would expand internal
entities (the "billion laughs" attack). This module drives ``xml.parsers.expat`` directly: a file
that declares a DOCTYPE or any ENTITY is refused before a single entity is defined, external
entities are never fetched, and each element remembers the line its start tag is on, so errors
can say ``FILE:LINE: element/attribute: message``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

MAX_XML_BYTES = 100_000_000  # the largest Cochrane reviews are ~20 MB of RevMan XML


class UnsafeXmlError(ValueError):
    """The file is not plain, well-formed XML of an acceptable size; ``line`` says where."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass
class ParsedXml:
    """The element tree and the start-tag line of each element (keyed by ``id(element)``)."""

    root: ET.Element
    lines: dict[int, int] = field(default_factory=dict)

    def line(self, element: ET.Element) -> int:
        return self.lines.get(id(element), 0)


class _Builder:
    def __init__(self, parser: expat.XMLParserType):
        self.parser = parser
        self.stack: list[ET.Element] = []
        self.root: ET.Element | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        element = ET.Element(tag, attrs)
        self.lines[id(element)] = self.parser.CurrentLineNumber
        if self.stack:
            self.stack[-1].append(element)
        else:
            self.root = element
        self.stack.append(element)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def text(self, data: str) -> None:
        if not self.stack:
            return
        current = self.stack[-1]
        if len(current):
            last = current[-1]
            last.tail = (last.tail or "") + data
        else:
            current.text = (current.text or "") + data


def _refuse(what: str):
    def handler(*_args) -> None:
        raise UnsafeXmlError(0, f"the file declares {what}; RevMan files never do, so it is refused (entity expansion)")

    return handler


def parse_xml_bytes(raw: bytes, max_bytes: int = MAX_XML_BYTES) -> ParsedXml:
    """Parse ``raw`` (bytes; the XML declaration names the encoding) without DTD or entity support."""
    if len(raw) > max_bytes:
        raise UnsafeXmlError(0, f"the file has {len(raw):,} bytes, more than the {max_bytes:,} accepted")
    parser = expat.ParserCreate()
    builder = _Builder(parser)
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    parser.StartDoctypeDeclHandler = _refuse("a DOCTYPE")
    parser.EntityDeclHandler = _refuse("an ENTITY")
    parser.UnparsedEntityDeclHandler = _refuse("an unparsed ENTITY")
    parser.ExternalEntityRefHandler = _refuse("an external entity")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(raw, True)
    except UnsafeXmlError as err:
        raise UnsafeXmlError(parser.CurrentLineNumber, str(err)) from None
    except expat.ExpatError as err:
        raise UnsafeXmlError(err.lineno, f"not well-formed XML ({expat.ErrorString(err.code)})") from None
    if builder.root is None:
        raise UnsafeXmlError(1, "the file holds no XML element")
    return ParsedXml(builder.root, builder.lines)


def parse_xml_file(path: Path, max_bytes: int = MAX_XML_BYTES) -> ParsedXml:
    """Read and parse ``path``; the size is checked before the file is read whole."""
    size = Path(path).stat().st_size
    if size > max_bytes:
        raise UnsafeXmlError(0, f"the file has {size:,} bytes, more than the {max_bytes:,} accepted")
    return parse_xml_bytes(Path(path).read_bytes(), max_bytes)
