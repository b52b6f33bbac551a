"""The reference document's tags, filled without docxtpl: docxtpl's tag forms and its output,
escaped values, paragraph tags, a firm's tags split over runs, and hostile tags stopped."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from s75docs.document.resolve import build_tree
from s75docs.errors import S75Error
from s75docs.write import docx as docx_writer
from s75docs.write import docx_cover
from s75docs.write.docx import DocxMeta, write_docx
from s75docs.write.docx_cover import DocxtplNeededError, prepare

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "s75docs" / "templates" / "reference.docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
META = DocxMeta(title="Section 75 Partnership Agreement", core_date=dt.date(2022, 4, 1),
                parties=[("Oxfordshire County Council", "the Council"),
                         ("NHS Oxfordshire ICB", "the ICB")],
                draft_marking="Draft (2)", subject="OCC-2022")
DOCUMENT = build_tree("# Agreed Terms {.body}\n\n## Term\n\n1. It starts.\n")


def run(text: str, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


def para(*runs: str) -> str:
    return f"<w:p>{''.join(runs)}</w:p>"


SAMPLES = [
    para(run("{{ title }}")),
    para(run("{{ ti"), run("tle }}", bold=True), run(" and {"), run("{ subject }}")),
    para(run("{%p if part_of %}")) + para(run("of {{ part_of }}")) + para(run("{%p endif %}")),
    para(run("A {%r if dated %}"), run("dated {{ dated }}"), run("{%r endif %}")),
    "<w:tbl><w:tblPr/><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc>"
    + para(run("{%tr for party in parties %}")) + "</w:tc></w:tr>"
    "<w:tr><w:tc>" + para(run("{{ party.name }}")) + "</w:tc></w:tr><w:tr><w:tc>"
    + para(run("{%tr endfor %}")) + "</w:tc></w:tr></w:tbl>",
    para(run("{{ \u201cx\u201d if title else \u2018y\u2019 }}")),
    para(run("{#p a comment #}")) + para(run("kept {# note #}")),
    para(run("x {%- if title %}")) + para(run("{% endif -%} y")),
]


@pytest.mark.parametrize("cell", [para(run("{%tc for x in parties %}")),
                                  para(run("{%t"), run("c for x in parties %}")),
                                  para(run("{% col"), run("span 2 %}"))])
def test_table_cell_tags_are_left_to_docxtpl(cell: str) -> None:
    """Even when Word splits the tag over runs."""
    with pytest.raises(DocxtplNeededError):
        prepare(f"<w:tc>{cell}</w:tc>")


def firm_reference(tmp_path: Path, cover: str, name: str = "reference.docx") -> Path:
    """Our reference with ``cover`` (paragraphs) in place of its cover."""
    with zipfile.ZipFile(REFERENCE) as source:
        entries = {i.filename: source.read(i) for i in source.infolist()}
    document = entries["word/document.xml"].decode()
    start = document.index("<w:body>") + len("<w:body>")
    end = document.index('<w:p><w:pPr><w:pStyle w:val="TOCHeading"/>')
    entries["word/document.xml"] = (document[:start] + cover + document[end:]).encode()
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as out:
        for entry, data in entries.items():
            out.writestr(entry, data)
    return path


def texts(data: bytes, part: str = "word/document.xml") -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tree = etree.fromstring(archive.read(part))
    return ["".join(p.xpath(".//w:t/text()", namespaces=NS)) for p in tree.iter(f"{{{W}}}p")]


def through_docxtpl(monkeypatch: pytest.MonkeyPatch, meta: DocxMeta, reference: Path) -> bytes:
    def refuse(_: Any) -> Any:
        raise DocxtplNeededError

    with monkeypatch.context() as patched:
        patched.setattr(docx_writer, "cover", refuse)
        return write_docx(DOCUMENT, meta, reference)


FIRM_COVER = "".join([
    para(run("{{ ti"), run("tle }}", bold=True)),
    para(run("{%p if part_of %}")), para(run("forming part of {{ part_of }}")),
    para(run("{%p endif %}")),
    para(run("{%p for party in parties %}")),
    para(run("{{ party.name }} (\u201c{{ party.defined_term }}\u201d)")),
    para(run("{%p endfor %}")),
    para(run("Ref: {%r if subject %}"), run("{{ subject }}", bold=True), run("{%r endif %}")),
    para(run("{#p drafting note for the firm #}")),
])


@pytest.mark.parametrize("cover", ["ours", FIRM_COVER, *SAMPLES])
def test_the_same_bytes_as_docxtpl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   cover: str) -> None:
    """Part for part the same XML (docxtpl's package, read back, writes an empty property as
    ``<dc:description/>``: the same in XML; the bytes of ours are checked by the examples)."""
    reference = REFERENCE if cover == "ours" else firm_reference(tmp_path, cover)
    for meta in (META, replace(META, part_of="The Agreement", draft_marking="")):
        assert canonical(write_docx(DOCUMENT, meta, reference)) == \
            canonical(through_docxtpl(monkeypatch, meta, reference))


def canonical(data: bytes) -> dict[str, bytes]:
    """Each zip entry: canonical XML, or its bytes (a picture)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            try:
                out[name] = etree.tostring(etree.fromstring(raw), method="c14n")
            except etree.XMLSyntaxError:
                out[name] = raw
    return out


def word_made_reference(tmp_path: Path) -> Path:
    """python-docx's own template (made by Word: theme, web settings, custom XML, a thumbnail,
    relative targets like ../customXml) with our styles, lists, cover, header and footers, and
    Word's random ids in the document."""
    import docx

    default = Path(docx.__file__).parent / "templates" / "default.docx"
    entries = {info.filename: data for info, data in _entries(default)}
    ours = {info.filename: data for info, data in _entries(REFERENCE)}
    for name in ("word/styles.xml", "word/numbering.xml", "word/document.xml",
                 "word/header1.xml", "word/header2.xml", "word/footer1.xml", "word/footer2.xml"):
        entries[name] = ours[name]
    kinds = [("HeaderDefault", "header", "header1"), ("HeaderFirst", "header", "header2"),
             ("FooterDefault", "footer", "footer1"), ("FooterFirst", "footer", "footer2")]
    rt = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    rels = "".join(f'<Relationship Id="rId{i}" Type="{rt}{kind}" Target="{name}.xml"/>'
                   for i, kind, name in kinds)
    entries["word/_rels/document.xml.rels"] = entries["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", rels.encode() + b"</Relationships>")
    ct = "application/vnd.openxmlformats-officedocument.wordprocessingml."
    types = "".join(f'<Override PartName="/word/{name}.xml" ContentType="{ct}{kind}+xml"/>'
                    for _, kind, name in kinds)
    entries["[Content_Types].xml"] = entries["[Content_Types].xml"].replace(
        b"</Types>", types.encode() + b"</Types>")
    entries["word/document.xml"] = entries["word/document.xml"].replace(
        b"<w:document ", b'<w:document xmlns:w14="http://schemas.microsoft.com/office/word/2010/'
        b'wordml" ', 1).replace(b"<w:p>", b'<w:p w:rsidR="00AB12CD" w14:paraId="1A2B3C4D">')
    path = tmp_path / "word-made.docx"
    with zipfile.ZipFile(path, "w") as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return path


def _entries(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def test_a_word_made_package_comes_out_as_python_docx_wrote_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = word_made_reference(tmp_path)
    ours = write_docx(DOCUMENT, META, reference)
    assert canonical(ours) == canonical(through_docxtpl(monkeypatch, META, reference))
    assert "docProps/thumbnail.jpeg" in canonical(ours)
    with zipfile.ZipFile(io.BytesIO(ours)) as archive:
        document = archive.read("word/document.xml")
    assert b"rsid" not in document and b"paraId" not in document
    assert texts(ours)[0] == META.title


def test_a_firm_cover_with_split_and_paragraph_tags(tmp_path: Path) -> None:
    data = write_docx(DOCUMENT, META, firm_reference(tmp_path, FIRM_COVER))
    shown = texts(data)
    assert shown[:4] == [META.title, "Oxfordshire County Council (\u201cthe Council\u201d)",
                         "NHS Oxfordshire ICB (\u201cthe ICB\u201d)", "Ref: OCC-2022"]
    assert not [t for t in shown if "{" in t or "forming part" in t or "drafting" in t]


def test_a_paragraph_tag_removes_its_paragraph() -> None:
    alone = write_docx(DOCUMENT, replace(META, part_of="The Agreement"), REFERENCE)
    assert texts(alone)[:3] == [META.title, "forming part of the", "The Agreement"]
    whole = texts(write_docx(DOCUMENT, META, REFERENCE))
    assert "forming part of the" not in whole
    assert not [t for t in whole if "{%" in t or "endif" in t]


def test_values_are_escaped_and_tags_in_them_print_literally() -> None:
    name = "Smith & <b>Jones</b> {{ title }} {%p if x %} {_{ }_}"
    meta = replace(META, parties=[(name, "the \u201cFirm\u201d"), ("B", "B")],
                   draft_marking="<w:p/>{{ 7 * 7 }}")
    data = write_docx(DOCUMENT, meta, REFERENCE)
    assert name in texts(data)
    assert texts(data, "word/header1.xml") == ["<w:p/>{{ 7 * 7 }}"]


@pytest.mark.parametrize("tag", [
    "{{ title.__class__.__mro__ }}",
    "{{ ''.__class__.__subclasses__() }}",
    "{{ 'x' * 100000000 }}",
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ no_such_value }}",
    "{% if %}",
])
def test_hostile_cover_tags_are_stopped(tmp_path: Path, tag: str) -> None:
    reference = firm_reference(tmp_path, para(run(tag)))
    with pytest.raises(S75Error, match="reference document's tags"):
        write_docx(DOCUMENT, META, reference)


def test_table_cell_tags_still_work_through_docxtpl(tmp_path: Path) -> None:
    cells = "".join(f"<w:tc>{para(run(text))}</w:tc>" for text in (
        "{%tc for party in parties %}", "{{ party.name }}", "{%tc endfor %}"))
    table = (f'<w:tbl><w:tblGrid><w:gridCol w:w="3000"/></w:tblGrid><w:tr>{cells}</w:tr>'
             "</w:tbl>")
    data = write_docx(DOCUMENT, META, firm_reference(tmp_path, para(run("{{ title }}")) + table))
    shown = texts(data)
    assert shown[0] == META.title
    assert META.parties[0][0] in shown and META.parties[1][0] in shown


def test_the_reference_is_read_once_and_again_when_it_changes(tmp_path: Path) -> None:
    from s75docs.write.docx_package import load_reference

    reference = firm_reference(tmp_path, para(run("First {{ title }}")))
    assert load_reference(reference) is load_reference(reference)
    assert texts(write_docx(DOCUMENT, META, reference))[0] == f"First {META.title}"
    firm_reference(tmp_path, para(run("Second cover, {{ title }}")))
    assert texts(write_docx(DOCUMENT, META, reference))[0] == f"Second cover, {META.title}"


def test_the_compiled_cover_is_kept_on_disk_between_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from s75docs.render.environment import BoundedEnvironment
    from s75docs.write import docx_package

    monkeypatch.delenv("S75DOCS_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiled: list[str] = []
    original = BoundedEnvironment.compile

    def counting(self: Any, source: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(BoundedEnvironment, "compile", counting)
    reference = firm_reference(tmp_path, FIRM_COVER)
    docx_package._reference.cache_clear()  # as if a new process
    first = write_docx(DOCUMENT, META, reference)
    assert compiled and list((tmp_path / "cache" / "s75docs").glob("jinja-*/*.cache"))
    compiled.clear()
    docx_package._reference.cache_clear()

    def no_preparing(xml: str) -> str:
        raise AssertionError("docxtpl's preparation ran again")

    monkeypatch.setattr(docx_cover, "prepare", no_preparing)
    assert write_docx(DOCUMENT, META, reference) == first
    assert compiled == []


def test_a_title_over_255_characters_is_written_whole() -> None:
    """python-docx refused core properties over 255 characters (the build failed with an
    internal error); the file's title is now the whole title, as the cover's is."""
    title = "Agreement " + "between many partners " * 15
    data = write_docx(DOCUMENT, replace(META, title=title), REFERENCE)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        core = etree.fromstring(archive.read("docProps/core.xml"))
    assert core.findtext("{http://purl.org/dc/elements/1.1/}title") == title
