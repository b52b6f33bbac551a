"""The reference .docx as a package of parts, read once per process, and each document's copy.

A Word file is a zip of XML parts joined by relationships. This reads the parts the way
python-docx reads them (following the relationships from the package's root; the XML parts
python-docx knows parsed with its parser settings, the rest kept as bytes) and writes them back
as its ``save`` writes them, so the output is what it was when python-docx and docxtpl did this
(:mod:`s75docs.write.docx`), without their ~0.1 s of imports and their re-reading of the
reference for every document.
"""

from __future__ import annotations

import functools
import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from s75docs.errors import Finding, S75Error
from s75docs.write.docx_xml import NSMAP, PARSER, W_NS, esc_attr, qn, serialise, strip_ids

MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
CORE = "application/vnd.openxmlformats-package.core-properties+xml"
HEADER, FOOTER = _WML + "header+xml", _WML + "footer+xml"
FOOTNOTES = _WML + "footnotes+xml"
# The parts python-docx parses as XML (and so writes re-serialised, and strips of ids).
XML_TYPES = frozenset({MAIN, CORE, HEADER, FOOTER, _WML + "comments+xml",
                       _WML + "numbering+xml", _WML + "settings+xml", _WML + "styles+xml"})
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
RT_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
RT_DOCUMENT, RT_NUMBERING = _RT + "officeDocument", _RT + "numbering"
RT_STYLES, RT_SETTINGS = _RT + "styles", _RT + "settings"
RT_HEADER, RT_FOOTER = _RT + "header", _RT + "footer"
# Extensions python-docx writes as a Default content type, with that type (opc/spec.py).
_DEFAULT_TYPES = frozenset({
    ("bmp", "image/bmp"), ("emf", "image/x-emf"), ("gif", "image/gif"), ("jpe", "image/jpeg"),
    ("jpeg", "image/jpeg"), ("jpg", "image/jpeg"), ("png", "image/png"),
    ("tif", "image/tiff"), ("tiff", "image/tiff"), ("wdp", "image/vnd.ms-photo"),
    ("wmf", "image/x-wmf"), ("xml", "application/xml"),
    ("rels", "application/vnd.openxmlformats-package.relationships+xml"),
    ("fntdata", "application/x-fontdata"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("bin", "application/vnd.openxmlformats-officedocument.wordprocessingml.printerSettings"),
    ("bin", "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"),
    ("bin", "application/vnd.openxmlformats-officedocument.presentationml.printerSettings"),
})
DECLARATION = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"


@dataclass(frozen=True)
class Rel:
    rid: str
    reltype: str
    target: str  # the part's name in the zip, or the address of an external target
    external: bool = False


@dataclass
class Part:
    name: str  # its name in the zip: "word/document.xml"
    content_type: str
    blob: bytes  # as read; an XML part is written from its element
    rels: list[Rel] = field(default_factory=list)

    def related(self, reltype: str) -> list[str]:
        return [r.target for r in self.rels if r.reltype == reltype and not r.external]


class Reference:
    """A reference .docx, read and parsed once; :meth:`copy` gives a document its own package.

    The XML parts are parsed and stripped of Word's random ids here, once; each document gets
    a fresh tree only of the parts it changes (the document, numbering, properties, headers and
    footers), and the bytes of the others are serialised once and shared.
    """

    def __init__(self, data: bytes, where: str) -> None:
        self.where = where
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                self._read(archive)
        except S75Error:
            raise
        except Exception as exc:  # a damaged or non-Word file
            self._fail(f"cannot open the reference document: {exc}")
        main = self.parts[self.main]
        if main.content_type != MAIN:
            self._fail(f"cannot open the reference document: it is not a Word document "
                       f"(its main part is {main.content_type!r})")
        self.trees: dict[str, Any] = {}
        for part in self.parts.values():
            if part.content_type in XML_TYPES:
                tree = etree.fromstring(part.blob, PARSER)
                strip_ids(tree)
                self.trees[part.name] = tree
        self.texts: dict[str, str] = {}  # serialised as docxtpl sees them, for the cover filler
        self._bytes: dict[str, bytes] = {}
        self.cover: Any = None  # the compiled cover (docx_cover.Cover), made on first use
        self.memo: dict[str, Any] = {}  # what the writer looked up in the styles and lists

    def _fail(self, message: str) -> None:
        raise S75Error(Finding("error", message, self.where, code="template"))

    def _read(self, archive: zipfile.ZipFile) -> None:
        types = etree.fromstring(archive.read("[Content_Types].xml"), PARSER)
        self.default_types = {d.get("Extension", "").lower(): d.get("ContentType", "")
                              for d in types.iterfind(f"{{{_TYPES_NS}}}Default")}
        overrides = {o.get("PartName", "").lower(): o.get("ContentType", "")
                     for o in types.iterfind(f"{{{_TYPES_NS}}}Override")}
        names = set(archive.namelist())

        def rels_of(name: str) -> list[Rel]:
            folder, base = posixpath.split(name)
            rels_name = posixpath.join(folder, "_rels", base + ".rels")
            if rels_name not in names:
                return []
            out = []
            for rel in etree.fromstring(archive.read(rels_name), PARSER):
                target = rel.get("Target", "")
                external = rel.get("TargetMode") == "External"
                if not external:
                    target = posixpath.normpath(posixpath.join("/" + folder, target))[1:] \
                        if not target.startswith("/") else posixpath.normpath(target)[1:]
                out.append(Rel(rel.get("Id", ""), rel.get("Type", ""), target, external))
            return out

        self.package_rels = rels_of("")
        self.parts: dict[str, Part] = {}
        pending = [r.target for r in self.package_rels if not r.external]
        while pending:  # every part reachable from the root, as python-docx loads them
            name = pending.pop(0)
            if name in self.parts:
                continue
            content_type = overrides.get("/" + name.lower()) or \
                self.default_types.get(posixpath.splitext(name)[1][1:].lower(), "")
            part = self.parts[name] = Part(name, content_type, archive.read(name), rels_of(name))
            pending[:0] = [r.target for r in part.rels if not r.external]
        documents = [r.target for r in self.package_rels if r.reltype == RT_DOCUMENT]
        if not documents:
            self._fail("cannot open the reference document: it has no main document part")
        self.main = documents[0]

    def text(self, name: str) -> str:
        """An XML part as text, as docxtpl serialises it before filling its tags."""
        if name not in self.texts:
            self.texts[name] = etree.tostring(self.trees[name], encoding="unicode")
        return self.texts[name]

    def serialised(self, name: str) -> bytes:
        if name not in self._bytes:
            self._bytes[name] = serialise(self.trees[name])
        return self._bytes[name]

    def copy(self) -> Package:
        return Package(self)


class Package:
    """One document's package: the reference's parts, with trees of its own for the parts
    it changes (``tree``) and the shared, read-only styles (``styles``)."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.parts = dict(reference.parts)
        self.package_rels = list(reference.package_rels)
        self.trees: dict[str, Any] = {}  # this document's own trees of the parts it changes
        self.main = reference.main

    def tree(self, name: str) -> Any:
        """This document's own tree of an XML part (parsed from the reference's on first use)."""
        if name not in self.trees:
            self.trees[name] = etree.fromstring(self.reference.serialised(name), PARSER)
        return self.trees[name]

    def related(self, reltype: str) -> str | None:
        names = self.parts[self.main].related(reltype)
        return names[0] if names else None

    @property
    def document(self) -> Any:
        return self.tree(self.main)

    @property
    def styles(self) -> Any:
        """The styles part's tree, shared by every document of the process: read it only."""
        return self.reference.trees[self._required(RT_STYLES, "styles")]

    @property
    def numbering(self) -> Any:
        return self.tree(self._required(RT_NUMBERING, "numbering"))

    def _required(self, reltype: str, what: str) -> str:
        """The name of a part every reference must have, or a clear error naming it."""
        name = self.related(reltype)
        if name is None:
            raise S75Error(Finding("error", f"the reference document has no {what}",
                                   self.reference.where, code="template"))
        return name

    def settings(self) -> Any:
        """The settings part's tree; a minimal part is added to a reference without one."""
        name = self.related(RT_SETTINGS)
        if name is None:
            name = posixpath.join(posixpath.dirname(self.main), "settings.xml")
            self._add(self.parts[self.main], name, _WML + "settings+xml", RT_SETTINGS,
                      f'<w:settings xmlns:w="{W_NS}"/>')
        return self.tree(name)

    def core(self) -> Any:
        """The core properties' tree; added as python-docx adds it to a package without one."""
        names = [r.target for r in self.package_rels if r.reltype == RT_CORE]
        if names:
            return self.tree(names[0])
        ns = " ".join(f'xmlns:{p}="{NSMAP[p]}"' for p in ("cp", "dc", "dcterms"))
        self._add(None, "docProps/core.xml", CORE, RT_CORE, f"<cp:coreProperties {ns}/>")
        core = self.tree("docProps/core.xml")
        for tag, value in (("dc:title", "Word Document"), ("cp:lastModifiedBy", "python-docx"),
                           ("cp:revision", "1"), ("dcterms:modified", "")):
            set_property(core, tag, value)
        return core

    def _add(self, source: Part | None, name: str, content_type: str, reltype: str,
             xml: str) -> None:
        rels = self.package_rels if source is None else source.rels
        used = {r.rid for r in rels}
        rid = next(f"rId{n}" for n in range(1, len(rels) + 2) if f"rId{n}" not in used)
        rel = Rel(rid, reltype, name)
        if source is None:
            self.package_rels.append(rel)
        else:
            self.parts[source.name] = Part(source.name, source.content_type, source.blob,
                                           [*source.rels, rel])
        self.parts[name] = Part(name, content_type, b"")
        self.trees[name] = etree.fromstring(xml, PARSER)

    def entries(self) -> dict[str, bytes]:
        """The zip's entries, as python-docx's ``save`` writes them."""
        entries = {"[Content_Types].xml": self._content_types(),
                   "_rels/.rels": _rels_xml("", tuple(self.package_rels))}
        for part in self.parts.values():
            if part.name in self.trees:
                entries[part.name] = serialise(self.trees[part.name])
            elif part.content_type in XML_TYPES:
                entries[part.name] = self.reference.serialised(part.name)
            else:
                entries[part.name] = part.blob
            if part.rels:
                folder, base = posixpath.split(part.name)
                entries[posixpath.join(folder, "_rels", base + ".rels")] = \
                    _rels_xml(folder, tuple(part.rels))
        return entries

    def _content_types(self) -> bytes:
        return _content_types(tuple((part.name, part.content_type)
                                    for part in self.parts.values()))


@functools.lru_cache(maxsize=64)
def _content_types(parts: tuple[tuple[str, str], ...]) -> bytes:
    """The ``[Content_Types].xml`` of parts (name, content type), written once for each set
    (every document of a reference has the same)."""
    defaults = {"rels": "application/vnd.openxmlformats-package.relationships+xml",
                "xml": "application/xml"}
    overrides = {}
    for name, content_type in parts:
        ext = posixpath.splitext(name)[1][1:]
        if (ext.lower(), content_type) in _DEFAULT_TYPES:
            defaults[ext] = content_type
        else:
            overrides["/" + name] = content_type
    xml = "".join(f'<Default Extension="{esc_attr(ext)}" ContentType="{esc_attr(ct)}"/>'
                  for ext, ct in sorted(defaults.items()))
    xml += "".join(f'<Override PartName="{esc_attr(name)}" ContentType="{esc_attr(ct)}"/>'
                   for name, ct in sorted(overrides.items()))
    return DECLARATION + f'<Types xmlns="{_TYPES_NS}">{xml}</Types>'.encode()


@functools.lru_cache(maxsize=64)
def _rels_xml(folder: str, rels: tuple[Rel, ...]) -> bytes:
    """A relationships part as python-docx writes it (internal targets relative to the part);
    written once for each folder and relationships (every document of a reference has the
    same)."""
    xml = ""
    for rel in rels:
        target = rel.target if rel.external else \
            posixpath.relpath("/" + rel.target, "/" + folder)
        mode = ' TargetMode="External"' if rel.external else ""
        xml += (f'<Relationship Id="{esc_attr(rel.rid)}" Type="{esc_attr(rel.reltype)}" '
                f'Target="{esc_attr(target)}"{mode}/>')
    return DECLARATION + f'<Relationships xmlns="{_RELS_NS}">{xml}</Relationships>'.encode()


def set_property(core: Any, tag: str, value: str) -> None:
    """Set a core property's text, adding its element at the end as python-docx does."""
    element = core.find(qn(tag))
    if element is None:
        prefix = tag.partition(":")[0]
        element = PARSER.makeelement(qn(tag), nsmap={prefix: NSMAP[prefix]})
        core.append(element)
    element.text = value


@functools.lru_cache(maxsize=8)
def _reference(path: str, stamp: tuple[int, int]) -> Reference:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise S75Error(Finding("error", f"cannot open the reference document: {exc}", path,
                               code="template")) from exc
    return Reference(data, path)


def load_reference(path: Path) -> Reference:
    """The reference document at ``path``, read once per process (again if it changes)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise S75Error(Finding("error", f"cannot open the reference document: {exc}",
                               str(path), code="template")) from exc
    return _reference(str(path), (stat.st_mtime_ns, stat.st_size))
