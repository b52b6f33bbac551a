"""Word XML pieces the writer builds from: elements, runs, fields, and the deterministic package.

Element names are looked up once (element creation is the writer's hot path); text is cleaned of
what XML 1.0 forbids; the finished package is re-zipped with fixed dates and order, its core
properties fixed and Word's random ids stripped, so the same tree always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    from s75docs.write.docx import DocxMeta
    from s75docs.write.docx_package import Package

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
# The prefixes the writer names elements and attributes by (python-docx's for the same URIs).
NSMAP = {
    "w": W_NS, "w14": W14_NS, "w15": W15_NS,
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


class Element(etree.ElementBase):  # type: ignore[misc]
    """A part's element, whose ``xpath`` knows the prefixes above (as python-docx's do)."""

    def xpath(self, path: str, **kwargs: Any) -> Any:
        return super().xpath(path, namespaces=NSMAP, **kwargs)


def parser(**options: Any) -> etree.XMLParser:
    made = etree.XMLParser(resolve_entities=False, **options)
    made.set_element_class_lookup(etree.ElementDefaultClassLookup(element=Element))
    return made


# How the parts are parsed: as python-docx parses them (whitespace between elements dropped,
# no entities resolved), so that a part written back unchanged comes out as it always has.
PARSER = parser(remove_blank_text=True)
AUTHOR = "s75docs"
LANGUAGE = "en-GB"  # the core properties' language; the reference document's styles say the same
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --- text ---------------------------------------------------------------------------------------

def clean(text: str) -> str:
    """Text as Word can hold it: characters XML 1.0 forbids dropped, tabs and line ends spaced."""
    if text.isprintable():  # no control, surrogate or non-character code point: most text
        return text
    return INVALID_XML.sub("", text).replace("\t", " ").replace("\r", " ").replace("\n", " ")


# --- XML helpers --------------------------------------------------------------------------------

@functools.cache
def qn(tag: str) -> str:
    """The Clark name of a prefixed name: ``w:p`` -> ``{http://...main}p``."""
    prefix, _, local = tag.partition(":")
    return f"{{{NSMAP[prefix]}}}{local}"


@functools.cache
def _tag(tag: str) -> tuple[str, dict[str, str]]:
    """Clark name and namespace map of a prefixed tag, worked out once (it is the hot path)."""
    prefix = tag.partition(":")[0]
    return qn(tag), {prefix: NSMAP[prefix]}


@functools.cache
def _attr(key: str) -> str:
    return qn(f"w:{key}")


def el(tag: str, children: list[Any] | tuple[Any, ...] = (), **attrs: object) -> Any:
    """An element as python-docx's OxmlElement makes it, with its names looked up once."""
    clark, nsmap = _tag(tag)
    element = PARSER.makeelement(clark, nsmap=nsmap)
    for key, value in attrs.items():
        element.set(_attr(key), str(value))
    for child in children:
        element.append(child)
    return element


def esc(text: str) -> str:
    """Text as lxml serialises an element's text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(value: object) -> str:
    """A value as lxml serialises an attribute."""
    return (esc(str(value)).replace('"', "&quot;").replace("\n", "&#10;")
            .replace("\t", "&#9;").replace("\r", "&#13;"))


def tag(name: str, **attrs: object) -> str:
    """An empty element as lxml writes it: ``<w:name w:key="value"/>``, attributes in order."""
    return "<w:" + name + "".join(f' w:{k}="{esc_attr(v)}"' for k, v in attrs.items()) + "/>"


@dataclass(frozen=True)
class Format:
    bold: bool = False
    italic: bool = False
    highlight: bool = False
    change: str | None = None  # "ins" / "del": a tracked change (the run is wrapped later)
    size: int | None = None  # half-points, where the style's size does not fit (a wide table)


PLAIN = Format()


@functools.cache
def run_props(fmt: Format) -> str:
    """A run's ``w:rPr`` for the format (empty when plain)."""
    props = ""
    if fmt.bold:
        props += "<w:b/><w:bCs/>"
    if fmt.italic:
        props += "<w:i/><w:iCs/>"
    if fmt.size:
        props += f'<w:sz w:val="{fmt.size}"/><w:szCs w:val="{fmt.size}"/>'
    if fmt.highlight:
        props += '<w:highlight w:val="yellow"/>'
    return f"<w:rPr>{props}</w:rPr>" if props else ""


def text_run(text: str, fmt: Format) -> str:
    kind = "w:delText" if fmt.change == "del" else "w:t"
    return f'<w:r>{run_props(fmt)}<{kind} xml:space="preserve">{esc(text)}</{kind}></w:r>'


def field_runs(instruction: str, result: str, fmt: Format) -> list[str]:
    props = run_props(fmt)

    def char(kind: str) -> str:
        return f'<w:r>{props}<w:fldChar w:fldCharType="{kind}"/></w:r>'

    kind = "w:delInstrText" if fmt.change == "del" else "w:instrText"
    instr = f'<w:r><{kind} xml:space="preserve"> {esc(instruction)} </{kind}></w:r>'
    return [char("begin"), instr, char("separate"), text_run(result, fmt), char("end")]


def serialise(element: Any) -> bytes:
    """An XML part's bytes, as python-docx writes them."""
    return etree.tostring(element, encoding="UTF-8", standalone=True)  # type: ignore[no-any-return]


def fragment(xml: str) -> list[Any]:
    """Elements parsed from WordprocessingML text (``w:`` prefixed), ready to insert."""
    root = etree.fromstring(f'<w:body xmlns:w="{W_NS}">{xml}</w:body>', PARSER)
    return list(root)


# --- properties, ids and the zip ----------------------------------------------------------------

def core_properties(package: Package, meta: DocxMeta) -> None:
    """The file's properties, set as python-docx's ``core_properties`` sets them."""
    from s75docs.write.docx_package import set_property

    core = package.core()
    when = dt.datetime(meta.core_date.year, meta.core_date.month, meta.core_date.day)
    for tag, value in (("dc:creator", AUTHOR), ("cp:lastModifiedBy", AUTHOR),
                       ("cp:revision", "1"), ("dc:title", clean(meta.title)),
                       ("dc:language", LANGUAGE), ("dc:subject", clean(meta.subject))):
        set_property(core, tag, value)
    for tag in ("dcterms:created", "dcterms:modified"):
        set_property(core, tag, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        core.set(qn("xsi:foo"), "bar")  # puts the xsi namespace on the root, as python-docx
        core.find(qn(tag)).set(qn("xsi:type"), "dcterms:W3CDTF")
        del core.attrib[qn("xsi:foo")]


def track_revisions(package: Package) -> None:
    """Switch on Track Changes in the file's settings (``w:trackRevisions``), so that the other
    side's edits to a redline come back as tracked changes too, not silently merged."""
    settings = package.settings()
    if settings.find(qn("w:trackRevisions")) is not None:
        return
    index = 0  # after the settings the schema puts before it, before the rest
    while index < len(settings) and etree.QName(settings[index]).localname in _BEFORE_TRACKING:
        index += 1
    settings.insert(index, el("w:trackRevisions"))


# The children of w:settings that the schema (CT_Settings) puts before w:trackRevisions.
_BEFORE_TRACKING = frozenset("""
    writeProtection view zoom removePersonalInformation removeDateAndTime
    doNotDisplayPageBoundaries displayBackgroundShape printPostScriptOverText
    printFractionalCharacterWidth printFormsData embedTrueTypeFonts embedSystemFonts
    saveSubsetFonts saveFormsData mirrorMargins alignBordersAndEdges bordersDoNotSurroundHeader
    bordersDoNotSurroundFooter gutterAtTop hideSpellingErrors hideGrammaticalErrors
    activeWritingStyle proofState formsDesign attachedTemplate linkStyles stylePaneFormatFilter
    stylePaneSortMethod documentType mailMerge revisionView""".split())


_NS = {"w": W_NS, "w14": W14_NS, "w15": W15_NS}
_DROP_ELEMENTS = etree.XPath("descendant-or-self::w:rsids | descendant-or-self::w14:docId | "
                             "descendant-or-self::w15:docId", namespaces=_NS)
_DROP_ATTRIBUTES = etree.XPath(
    "descendant-or-self::*[@w14:paraId or @w14:textId or "
    f"@*[namespace-uri() = '{W_NS}' and starts-with(local-name(), 'rsid')]]", namespaces=_NS)


def strip_ids(element: Any) -> None:
    """Remove revision-save ids and Word's random paragraph and document ids from a part
    (found by XPath: walking every element of the reference in Python cost more)."""
    drop_attributes = {f"{{{W14_NS}}}paraId", f"{{{W14_NS}}}textId"}
    for node in _DROP_ELEMENTS(element):
        node.getparent().remove(node)
    for node in _DROP_ATTRIBUTES(element):
        for name in list(node.attrib):
            if name in drop_attributes or (name.startswith(f"{{{W_NS}}}rsid")):
                del node.attrib[name]


def deterministic_zip(entries: dict[str, bytes], replace: dict[str, bytes] | None = None
                      ) -> bytes:
    """The package zipped with fixed dates, attributes and entry order; ``replace`` gives the
    bytes of entries written apart (the document part, with its body spliced in)."""
    entries = {**entries, **(replace or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(entries, key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()
