"""A .docx as plain text for ``git diff``: one paragraph a line, clause numbers written out.

Git shows a Word file as "Binary files differ" unless a textconv driver turns it into text
(``s75docs git-setup`` installs this one). Our .docx files hold their clause numbers as Word
numbering, not typed text, so the numbers are computed here from the paragraphs' styles as Word
computes them: a ``Clause N`` paragraph counts at level N of its list, and the front part's
``Parties`` and ``Recitals`` lists count in theirs. As in Word, the counts belong to the abstract
list (``w:abstractNum``), shared by every list instance (``w:num``) made from it; an instance
whose ``w:lvlOverride`` has a ``w:startOverride`` restarts those levels where it is first used.
(We give each numbered part an instance restarting every level; LibreOffice re-saves the file
with an instance per paragraph or so, restarting only the first, and the numbers must not move.)
The numbers are formatted by ``resolve.format_number``, so a line reads as the agreement's
Markdown does: "22.1 Any Partner ...".

Tables come out as ``| a | b |`` rows; a redline's tracked changes as CriticMarkup
(``{++inserted++}``, ``{--deleted--}``), its deleted paragraphs unnumbered. A Word file not made
by us (no Clause styles) still gives its paragraphs' text. Only the zip's XML is read (no
python-docx), so the conversion is quick; a file that is not a readable .docx is an S75Error,
and so is one too big, packed like a zip bomb, declaring entities or too slow to number.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

from s75docs.errors import Finding, S75Error
from s75docs.render.limits import time_limit

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# It runs on `git diff` of repositories the user did not write, so a file may be built to
# exhaust it. A 300-page agreement's document.xml is a few MB and packs about 10:1.
MAX_FILE = 64 * 1024 * 1024  # the .docx itself
MAX_PART = 32 * 1024 * 1024  # one XML part, unpacked
MAX_RATIO = 100  # unpacked : packed, for a part over a megabyte (a zip bomb packs 1000:1)
SECONDS = 30.0  # reading and numbering the paragraphs
_CLAUSE_STYLE = re.compile(r"clause ([1-5])")
_MARKS = {"ins": ("{++", "++}"), "del": ("{--", "--}")}


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def docx_text(path: Path) -> str:
    """The document's text, one paragraph (or table row) a line, ending in a newline."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        if info.st_size > MAX_FILE:
            raise ValueError(f"it is {info.st_size:,} bytes, over the {MAX_FILE:,} a .docx may be")
        with time_limit(SECONDS, "reading the Word document"), zipfile.ZipFile(path) as archive:
            document = _xml(archive, "word/document.xml", required=True)
            styles = _xml(archive, "word/styles.xml")
            numbering = _xml(archive, "word/numbering.xml")
            return _Converter(styles, numbering).document(document)
    except S75Error:
        raise
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError,
            RuntimeError, EOFError, TimeoutError) as exc:  # not a zip, damaged, too big ...
        raise S75Error(Finding("error", f"cannot read it as a Word document: {exc}",
                               str(path))) from None
    except Exception as exc:  # lxml's errors, and anything else a hostile file finds
        raise S75Error(Finding("error", f"cannot read it as a Word document: "
                               f"{type(exc).__name__}: {exc}", str(path))) from None


def _xml(archive: zipfile.ZipFile, name: str, required: bool = False) -> Any:
    """One part, parsed: refused if its header says it is too big or packed like a zip
    bomb, and read at most MAX_PART bytes whatever the header says (it may lie)."""
    from lxml import etree

    try:
        info = archive.getinfo(name)
    except KeyError:
        if required:
            raise ValueError(f"it has no {name} (is it a .docx?)") from None
        return None
    if info.file_size > MAX_PART:
        raise ValueError(f"{name} is {info.file_size:,} bytes unpacked, over the "
                         f"{MAX_PART:,} a part may be")
    if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * info.compress_size:
        raise ValueError(f"{name} unpacks {info.file_size // max(info.compress_size, 1):,} "
                         "times larger than it is packed: a zip bomb, not a document")
    with archive.open(info) as member:
        data = member.read(MAX_PART + 1)
    if len(data) > MAX_PART:
        raise ValueError(f"{name} unpacks to over {MAX_PART:,} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # Word never writes one: no entities
        raise ValueError(f"{name} declares a DTD or entities, which a Word document never has")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    return etree.fromstring(data, parser)


class _Converter:
    def __init__(self, styles: Any, numbering: Any) -> None:
        self.names: dict[str, str] = {}  # style id -> name (case folded)
        self.style_num: dict[str, str] = {}  # style id -> numId its paragraphs use by default
        for style in styles.iter(_w("style")) if styles is not None else ():
            style_id = style.get(_w("styleId"), "")
            name = style.find(_w("name"))
            self.names[style_id] = (name.get(_w("val"), "") if name is not None
                                    else style_id).casefold()
            num = style.find(f"{_w('pPr')}/{_w('numPr')}/{_w('numId')}")
            if num is not None:
                self.style_num[style_id] = num.get(_w("val"), "")
        self.abstract: dict[str, str] = {}  # numId -> abstractNumId
        self.restarts: dict[str, dict[int, int]] = {}  # numId -> {ilvl: startOverride}
        self.style_level: dict[tuple[str, str], int] = {}  # (abstractNumId, style id) -> ilvl
        if numbering is not None:
            for num in numbering.iter(_w("num")):
                num_id = num.get(_w("numId"), "")
                abstract = num.find(_w("abstractNumId"))
                if abstract is not None:
                    self.abstract[num_id] = abstract.get(_w("val"), "")
                self.restarts[num_id] = {
                    _int(override.get(_w("ilvl"))): _int(_val(override, _w("startOverride")))
                    for override in num.iter(_w("lvlOverride"))
                    if override.find(_w("startOverride")) is not None}
            for abstract in numbering.iter(_w("abstractNum")):
                for level in abstract.iter(_w("lvl")):
                    style = level.find(_w("pStyle"))
                    if style is not None:
                        self.style_level.setdefault(
                            (abstract.get(_w("abstractNumId"), ""), style.get(_w("val"), "")),
                            _int(level.get(_w("ilvl"))))
        self.counters: dict[str, list[int]] = {}  # abstractNumId -> the count at each level
        self.used: set[str] = set()  # numIds met so far (an override restarts at the first)
        self.lines: list[str] = []

    def document(self, root: Any) -> str:
        body = root.find(_w("body"))
        if body is None:
            raise ValueError("word/document.xml has no body")
        self.block(body)
        return "".join(line + "\n" for line in self.lines)

    def block(self, container: Any) -> None:
        for child in container:
            if child.tag == _w("p"):
                self.paragraph(child)
            elif child.tag == _w("tbl"):
                self.table(child)
            elif child.tag in (_w("sdt"), _w("customXml")):  # content controls
                content = child.find(_w("sdtContent")) if child.tag == _w("sdt") else child
                if content is not None:
                    self.block(content)

    def paragraph(self, p: Any) -> None:
        text = _text(p)
        props = p.find(_w("pPr"))
        mark = props.find(f"{_w('rPr')}/{_w('del')}") if props is not None else None
        style_id = _val(props, _w("pStyle")) if props is not None else ""
        style = self.names.get(style_id, style_id.casefold())
        number = "" if mark is not None else self.number(props, style_id, style)
        if text.strip():
            self.lines.append(f"{number} {text}" if number else text)

    def number(self, props: Any, style_id: str, style: str) -> str:
        """The paragraph's own number as the tree formats it, or "" for an unnumbered one."""
        from s75docs.constants import MAX_LEVEL
        from s75docs.document.resolve import format_number

        clause = _CLAUSE_STYLE.fullmatch(style)
        if not clause and style not in ("parties", "recitals"):
            return ""
        num_id = self.style_num.get(style_id, "")
        ilvl = None
        num_pr = props.find(_w("numPr")) if props is not None else None
        if num_pr is not None:
            num_id = _val(num_pr, _w("numId")) or num_id
            if num_pr.find(_w("ilvl")) is not None:
                ilvl = _int(_val(num_pr, _w("ilvl")))
        if not num_id or num_id == "0":  # numbering taken off the paragraph
            return ""
        if clause:
            kind, level = "clause", int(clause.group(1))
        else:
            kind = style
            base = self.style_level.get((self.abstract.get(num_id, ""), style_id), 0)
            level = (ilvl if ilvl is not None else base) - base + 1
        if not 1 <= level <= MAX_LEVEL:
            return ""
        counters = self.counters.setdefault(self.abstract.get(num_id, f"num {num_id}"),
                                            [0] * MAX_LEVEL)
        if num_id not in self.used:
            self.used.add(num_id)
            for ilvl, start in self.restarts.get(num_id, {}).items():
                if 0 <= ilvl < MAX_LEVEL:
                    counters[ilvl] = start - 1
        counters[level - 1] += 1
        for deeper in range(level, MAX_LEVEL):
            counters[deeper] = 0
        return format_number(counters, level, kind)[0]

    def table(self, table: Any) -> None:
        for row in table.iter(_w("tr")):
            if row.getparent() is not table:
                continue  # a nested table's rows are in its cell's text
            cells = [" ".join(t for t in (_text(p) for p in cell.iter(_w("p"))) if t.strip())
                     for cell in row.iter(_w("tc")) if cell.getparent() is row]
            if any(c.strip() for c in cells):
                self.lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")


def _val(parent: Any, tag: str) -> str:
    node = parent.find(tag)
    return node.get(_w("val"), "") if node is not None else ""


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _text(p: Any) -> str:
    """A paragraph's text: what it shows, field codes left out, tracked changes marked."""
    pieces: list[tuple[str, str | None]] = []

    def walk(node: Any, change: str | None) -> None:
        for child in node:
            tag = child.tag
            if tag in (_w("pPr"), _w("rPr"), _w("instrText"), _w("delInstrText"),
                       _w("txbxContent")):
                continue
            if tag in (_w("ins"), _w("moveTo")):
                walk(child, "ins")
            elif tag in (_w("del"), _w("moveFrom")):
                walk(child, "del")
            elif tag in (_w("t"), _w("delText")):
                pieces.append((child.text or "", change))
            elif tag in (_w("tab"), _w("cr")) or (
                    tag == _w("br") and child.get(_w("type"), "textWrapping") == "textWrapping"):
                pieces.append((" ", change))  # a page break is layout, not a space in the text
            elif tag == _w("noBreakHyphen"):
                pieces.append(("-", change))
            elif tag == _w("p"):
                continue  # a paragraph inside a drawing or text box
            else:
                walk(child, change)

    walk(p, None)
    out: list[str] = []
    for text, change in _merged(pieces):
        out.append(f"{_MARKS[change][0]}{text}{_MARKS[change][1]}" if change else text)
    return "".join(out).replace("\r", " ").replace("\n", " ")


def _merged(pieces: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for text, change in pieces:
        if not text:
            continue
        if out and out[-1][1] == change:
            out[-1] = (out[-1][0] + text, change)
        else:
            out.append((text, change))
    return out
