"""The reference document's tags (its cover, header and properties) filled in, as docxtpl would.

A firm's reference made in Word holds docxtpl-style tags: ``{{ title }}`` (Word may split a tag
over several runs: they are joined), ``{% ... %}`` and ``{# ... #}``, and docxtpl's tags that
stand for their whole paragraph, table row or run: ``{%p if part_of %}``, ``{%tr for ... %}``,
``{%r ... %}``, ``{{p body }}``, ``{{r ... }}``. This prepares each part's XML text as docxtpl
does (the same steps, in the same order, so the output is the same), compiles it once per
process in the sandboxed, strict, size-bounded environment that renders the agreement's own
templates, and renders it per document with XML-escaped values. docxtpl's table-cell tags
(``{%tc``, ``colspan``, ``cellbg``, ``vm``, ``hm``), tags in footnotes and tabs or line breaks
in rendered text are left to docxtpl itself (:class:`DocxtplNeededError`), which this replaces
on every other reference.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any

from lxml import etree

from s75docs.errors import Finding, S75Error
from s75docs.write.docx_package import (
    CORE,
    FOOTNOTES,
    RT_FOOTER,
    RT_HEADER,
    Package,
    Reference,
    set_property,
)
from s75docs.write.docx_xml import INVALID_XML, NSMAP, PARSER, parser, qn, strip_ids

# The core properties docxtpl renders as templates, in its order.
PROPERTIES = ("dc:creator", "dc:description", "dc:identifier", "dc:language", "dc:subject",
              "dc:title")
NAMES = "title, subject, draft_marking, parties, dated, part_of and body"

_JOIN = re.compile(r"(?<={)(<[^>]*>)+(?=[\{%\#])|(?<=[%\}\#])(<[^>]*>)+(?=\})", re.DOTALL)
_TAG = re.compile(r"{%(?:(?!%}).)*|{#(?:(?!#}).)*|{{(?:(?!}}).)*", re.DOTALL)
_TEXT_BREAK = re.compile("</w:t>.*?(<w:t>|<w:t [^>]*>)", re.DOTALL)
_UNSUPPORTED = re.compile(r"{%\s*(?:colspan|cellbg|vm|hm)\b|[{][{%#]tc\s")
_PRESERVE = re.compile(r"<w:t>((?:(?!<w:t>).)*)({{.*?}}|{%.*?%})", re.DOTALL)
_RUN_TAG = re.compile(r"({{r\s.*?}}|{%r\s.*?%})", re.DOTALL)
_MERGE_BEFORE = re.compile(r"</w:t>(?:(?!</w:t>).)*?{%-", re.DOTALL)
_MERGE_AFTER = re.compile(r"-%}(?:(?!<w:t[ >]|{%|{{).)*?<w:t[^>]*?>", re.DOTALL)
_WHOLE = [re.compile(f"<w:{y}[ >](?:(?!<w:{y}[ >]).)*" r"({%|{{)" + y + r" ([^}%]*(?:%}|}}))"
                     f".*?</w:{y}>", re.DOTALL) for y in ("tr", "tc", "p", "r")]
_WHOLE_COMMENT = [re.compile(f"<w:{y}[ >](?:(?!<w:{y}[ >]).)*" r"({#)" + y + r" ([^}#]*(?:#}))"
                             f".*?</w:{y}>", re.DOTALL) for y in ("tr", "tc", "p")]
_INSIDE_TAG = re.compile(r"(?<=\{[\{%])(.*?)(?=[\}%]})")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})
_PARAGRAPH = re.compile(r"<w:p([ >])")
_PARAGRAPH_BACK = re.compile(r"\n<w:p([ >])")
_LISTING = re.compile("[\t\n\x07\x0c]")  # docxtpl turns these into Word markup: left to it


class DocxtplNeededError(Exception):
    """The reference uses a docxtpl feature this module leaves to docxtpl."""


def _clean_tag(match: re.Match[str]) -> str:
    return (match.group(0).replace("&#8216;", "'").replace("&lt;", "<").replace("&gt;", ">")
            .translate(_QUOTES))


def prepare(xml: str) -> str:
    """A part's XML text made a Jinja template, by docxtpl's steps (``patch_xml``)."""
    xml = _JOIN.sub("", xml)  # {<w:t>{ -> {{ : a tag split over runs
    xml = _TAG.sub(lambda m: _TEXT_BREAK.sub("", m.group(0)), xml)
    if _UNSUPPORTED.search(xml):
        raise DocxtplNeededError
    xml = _PRESERVE.sub(r'<w:t xml:space="preserve">\1\2', xml)
    xml = _RUN_TAG.sub(r'</w:t></w:r><w:r><w:t xml:space="preserve">\1</w:t></w:r>'
                       r'<w:r><w:t xml:space="preserve">', xml)
    xml = _MERGE_BEFORE.sub("{%", xml)
    xml = _MERGE_AFTER.sub("%}", xml)
    for pattern in _WHOLE:  # {%p ... %} stands for its whole paragraph, and so on
        xml = pattern.sub(r"\1 \2", xml)
    for pattern in _WHOLE_COMMENT:
        xml = pattern.sub(r"\1 \2", xml)
    return _INSIDE_TAG.sub(_clean_tag, xml)


@functools.cache
def cover_environment() -> Any:
    """The environment of the agreement's templates (sandboxed, strict, every value and the
    output bounded), escaping for XML, without their Markdown filters and helpers."""
    from jinja2 import StrictUndefined

    from s75docs.render.bounds import guard
    from s75docs.render.environment import BoundedEnvironment

    env = BoundedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters = {name: guard(f, f"the '{name}' filter") for name, f in env.filters.items()}
    env.tests = {name: guard(f, f"the '{name}' test") for name, f in env.tests.items()}
    return env


def template_text(text: str) -> Any:
    """A value for the tags: XML-escaped, and safe from docxtpl's post-processing (which
    rewrites ``{_{`` to ``{{`` and line feeds to breaks), so braces go in as character
    references and whitespace is folded."""
    from markupsafe import Markup, escape

    folded = " ".join(INVALID_XML.sub("", text).split())
    return Markup(str(escape(folded)).replace("{", "&#123;").replace("}", "&#125;"))


class Cover:
    """A reference's tagged parts compiled once: the document, its headers and footers (each
    only if it holds a tag) and the core properties."""

    def __init__(self, reference: Reference) -> None:
        env = cover_environment()
        main = reference.parts[reference.main]
        for part in reference.parts.values():
            if part.content_type == FOOTNOTES and b"{" in part.blob:
                raise DocxtplNeededError  # docxtpl renders footnotes from their bytes
        self.parts: dict[str, Any] = {}
        for name in [reference.main, *main.related(RT_HEADER), *main.related(RT_FOOTER)]:
            text = reference.text(name)
            if _LISTING.search(text):
                raise DocxtplNeededError
            if "{" in text:
                self.parts[name] = _compile(env, _PARAGRAPH.sub(r"\n<w:p\1", prepare(text)))
        self.properties: list[tuple[str, Any]] = []
        core = next((reference.trees[p.name] for p in reference.parts.values()
                     if p.content_type == CORE), None)
        for tag in PROPERTIES:
            found = core.find(qn(tag)) if core is not None else None
            source = (found.text or "") if found is not None else ""
            self.properties.append((tag, _compile(env, source) if "{" in source else source))

    def fill(self, package: Package, context: dict[str, Any], where: str) -> None:
        """Render the tags into the package's own trees of those parts."""
        from jinja2 import TemplateError

        from s75docs.render.environment import render_seconds
        from s75docs.render.limits import time_limit

        try:
            with time_limit(render_seconds(), "the reference document's tags"):
                rendered = {name: template.render(context)
                            for name, template in self.parts.items()}
                values = [(tag, value if isinstance(value, str) else value.render(context))
                          for tag, value in self.properties]
        except (TemplateError, ValueError, TypeError, KeyError, AttributeError,
                ArithmeticError, TimeoutError, RecursionError, MemoryError) as exc:
            raise S75Error(Finding("error", f"the reference document's tags failed: {exc} (it "
                                   f"may use {NAMES})", where, code="template")) from exc
        for name, xml in rendered.items():
            xml = (_PARAGRAPH_BACK.sub(r"<w:p\1", xml).replace("{_{", "{{")
                   .replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}"))
            if _LISTING.search(xml):
                raise DocxtplNeededError
            try:
                tree = etree.fromstring(xml, PARSER if name != package.main else _DOCUMENT)
            except etree.XMLSyntaxError as exc:
                raise S75Error(Finding("error", f"the reference document's tags made its "
                                       f"{name} unreadable: {exc}", where,
                                       code="template")) from exc
            strip_ids(tree)
            if name == package.main:
                for number, drawing in enumerate(_DOC_PR(tree), start=1001):
                    drawing.set("id", str(number))  # as docxtpl renumbers pictures' ids
            package.trees[name] = tree
        core = package.core()
        for tag, value in values:
            set_property(core, tag, value)


def _compile(env: Any, source: str) -> Any:
    """A tag template, its compiled code kept between runs in the agreement templates' on-disk
    cache (:func:`s75docs.render.environment.bytecode_cache`; the cover of our reference took
    as long to compile as to fill five documents). Each source has an entry of its own, named
    after it and after this module, whose environment the code is compiled for."""
    from s75docs.render.environment import bytecode_cache

    cache = bytecode_cache()
    if cache is None:
        return env.from_string(source)
    name = f"s75docs-cover-{_module_key()}-{hashlib.sha256(source.encode()).hexdigest()}"
    bucket = cache.get_bucket(env, name, None, source)
    code = bucket.code
    if code is None:
        code = bucket.code = env.compile(source)
        cache.set_bucket(bucket)
    return env.template_class.from_code(env, code, env.make_globals(None), None)


@functools.cache
def _module_key() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


_DOCUMENT = parser(huge_tree=True)  # as docxtpl reads its body
_DOC_PR = etree.XPath("//wp:docPr", namespaces=NSMAP)


def cover(reference: Reference) -> Cover:
    """The reference's compiled tags, made on first use; :class:`DocxtplNeededError` for a
    reference that needs docxtpl (remembered)."""
    from jinja2 import TemplateError

    if reference.cover is None:
        try:
            reference.cover = Cover(reference)
        except DocxtplNeededError:
            reference.cover = False
        except TemplateError as exc:
            raise S75Error(Finding("error", f"the reference document's tags failed: {exc} (it "
                                   f"may use {NAMES})", reference.where,
                                   code="template")) from exc
    if reference.cover is False:
        raise DocxtplNeededError
    return reference.cover  # type: ignore[no-any-return]
