"""The reference document's tags (its cover, header and properties) filled in, as docxtpl would.

A firm's reference made in Word holds docxtpl-style tags: ``{{ title }}`` (Word may split a tag
over several runs: they are joined), ``{% ... %}`` and ``{# ... #}``, and docxtpl's tags that
stand for their whole paragraph, table row or run: ``{%p if part_of %}``, ``{%tr for ... %}``,
``{%r ... %}``, ``{{p body }}``, ``{{r ... }}``. docxtpl's own preparation makes each
part's XML text a template; it is compiled once in the sandboxed, strict, size-bounded
environment that renders the agreement's own templates (the compiled code kept in their
on-disk cache) and rendered per document with XML-escaped values. docxtpl's table-cell tags
(``{%tc``, ``colspan``, ``cellbg``, ``vm``, ``hm``), tags in footnotes and tabs or line breaks
in rendered text are left to docxtpl itself (:class:`DocxtplNeededError`), which this replaces
on every other reference.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from collections.abc import Callable
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

# docxtpl features left to docxtpl, looked for in the part's text without its markup (Word may
# split a tag over runs): table-cell tags and merged or shaded cells.
_UNSUPPORTED = re.compile(r"{%\s*(?:colspan|cellbg|vm|hm)\b|[{][{%#]tc\s")
_MARKUP = re.compile(r"<[^>]*>")
_PARAGRAPH = re.compile(r"<w:p([ >])")
_PARAGRAPH_BACK = re.compile(r"\n<w:p([ >])")
_LISTING = re.compile("[\t\n\x07\x0c]")  # docxtpl turns these into Word markup: left to it


class DocxtplNeededError(Exception):
    """The reference uses a docxtpl feature this module leaves to docxtpl."""


def prepare(xml: str) -> str:
    """A part's XML text made a Jinja template by docxtpl's own preparation (its ``patch_xml``:
    tags split over runs joined, ``{%p %}`` standing for its paragraph, quotes in tags made
    straight). Imported only here: a compiled cover is kept on disk, so a build whose
    reference has not changed does not load docxtpl or python-docx at all."""
    if _UNSUPPORTED.search(_MARKUP.sub("", xml)):
        raise DocxtplNeededError
    from docxtpl import DocxTemplate

    return str(DocxTemplate(io.BytesIO()).patch_xml(xml))  # a template it never opens


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
                self.parts[name] = _compile(env, text, _part_source)
        self.properties: list[tuple[str, Any]] = []
        core = next((reference.trees[p.name] for p in reference.parts.values()
                     if p.content_type == CORE), None)
        for tag in PROPERTIES:
            found = core.find(qn(tag)) if core is not None else None
            source = (found.text or "") if found is not None else ""
            self.properties.append((tag, _compile(env, source, str) if "{" in source
                                    else source))

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


def _part_source(text: str) -> str:
    """A document, header or footer part's template: each paragraph on a line of its own, so a
    template error's line number points near its paragraph (as docxtpl renders parts)."""
    return _PARAGRAPH.sub(r"\n<w:p\1", prepare(text))


def _compile(env: Any, text: str, source: Callable[[str], str]) -> Any:
    """The template ``source(text)`` of a part's or property's text, its compiled code kept
    between runs in the agreement templates' on-disk cache
    (:func:`s75docs.render.environment.bytecode_cache`), keyed by the text itself, so a cached
    cover needs neither docxtpl's preparation nor Jinja's compiler. Each text has an entry of
    its own, named after it, after this module and after the docxtpl that prepared it."""
    from s75docs.render.environment import bytecode_cache

    cache = bytecode_cache()
    if cache is None:
        return env.from_string(source(text))
    digest = hashlib.sha256(text.encode()).hexdigest()
    name = f"s75docs-cover-{_module_key()}-{source.__name__}-{digest}"
    bucket = cache.get_bucket(env, name, None, text)
    code = bucket.code
    if code is None:
        code = bucket.code = env.compile(source(text))
        cache.set_bucket(bucket)
    return env.template_class.from_code(env, code, env.make_globals(None), None)


@functools.cache
def _module_key() -> str:
    """This module's source and the installed docxtpl's version: either changes the templates."""
    from importlib.metadata import version

    module = hashlib.sha256(Path(__file__).read_bytes())
    module.update(version("docxtpl").encode())
    return module.hexdigest()[:16]


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
