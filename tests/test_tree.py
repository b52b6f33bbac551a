"""The document tree: numbering, cross-references, definitions and open points."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s75docs.document.nodes import Block, Cell, Part, Span, spans, walk
from s75docs.document.resolve import build_tree, format_number
from s75docs.document.typography import curl
from s75docs.errors import S75Error
from s75docs.render.environment import escape_markdown
from s75docs.write.markdown import write_markdown

BODY = """\
# Agreed Terms {.body}

## Definitions {#definitions}

1. In this Agreement:
   1. {=Host Partner} means the Partner hosting the Pooled Fund;
   1. {=Pooled Fund} means the fund in {@fund};
   1. {=Unused Term} means something never used.

## The Fund

1. The Host Partner keeps the fund. {#fund}
1. Second.
   1. Nested.
      1. Lettered. {#deep}
         1. Roman.
1. See {@deep} and {@gov.one} and {@sched}.

# Governance {.schedule} {#sched}

## Board

1. The board meets. {#gov.one}
"""


def numbers(md: str) -> list[str]:
    return [line.split(" ", 1)[0] for line in md.splitlines() if line[:1].isdigit() or
            line.startswith("(")]


def test_numbering_levels_and_formats() -> None:
    doc = build_tree(BODY)
    md = write_markdown(doc)
    assert "## 1 Definitions" in md and "## 2 The Fund" in md
    assert numbers(md) == ["1.1", "1.1.1", "1.1.2", "2.1", "2.2", "2.2.1", "(a)", "(i)", "2.3",
                           "1.1"]


def test_references_resolve_to_computed_numbers() -> None:
    md = write_markdown(build_tree(BODY))
    assert "See clause 2.2.1(a) and paragraph 1.1 of Schedule 1 and Schedule 1." in md
    assert "the fund in clause 2.1;" in md


def test_inserting_a_clause_renumbers_every_reference() -> None:
    inserted = BODY.replace("## The Fund\n", "## New Clause\n\n1. Inserted.\n\n## The Fund\n")
    md = write_markdown(build_tree(inserted))
    assert "See clause 3.2.1(a)" in md
    assert "the fund in clause 3.1;" in md


def test_unknown_label_fails_the_build() -> None:
    with pytest.raises(S75Error, match="unknown label 'nowhere'"):
        build_tree(BODY + "\n1. See {@nowhere}.\n")


def test_duplicate_label_fails() -> None:
    with pytest.raises(S75Error, match="given to two clauses"):
        build_tree(BODY + "\n1. Again. {#fund}\n")


def test_unused_definitions_are_dropped_and_used_ones_kept() -> None:
    doc = build_tree(BODY)
    # "Pooled Fund" is used only inside the Host Partner definition, which is used in clause 2.
    assert doc.defined_terms() == ["Host Partner", "Pooled Fund"]
    md = write_markdown(doc)
    assert '**\u201cHost Partner\u201d**' in md
    assert "Unused Term" not in md


def test_a_term_used_where_text_meets_a_table_or_a_title_is_kept() -> None:
    # The last paragraph ends with one term, a table's last cell holds the other, and a
    # part's title follows: each is used as a word of its own, however the text is joined.
    doc = build_tree(
        "# Agreed Terms {.body}\n\n## Definitions\n\n1. In this Agreement:\n"
        "   1. {=Host Partner} means the Partner hosting the fund;\n"
        "   1. {=Lead Commissioner} means the Partner leading.\n\n"
        "## The Fund\n\n1. The fund is kept by the Host Partner\n\n"
        "| Role | Holder |\n|---|---|\n| Total | Lead Commissioner |\n\n"
        "# Governance {.schedule}\n\n## Board\n\n1. The board meets.\n")
    assert doc.defined_terms() == ["Host Partner", "Lead Commissioner"]


def test_open_points_are_bracketed_and_listed() -> None:
    doc = build_tree(BODY + "\n1. The lead is {?lead commissioner to be agreed}.\n")
    assert "[lead commissioner to be agreed]" in write_markdown(doc)
    [point] = doc.open_points()
    assert point.note == "lead commissioner to be agreed"
    assert point.where == "Schedule 1: Governance, paragraph 1.2"


def test_open_points_are_listed_wherever_they_stand() -> None:
    """In a plain clause, inside bold text, in a table cell and in a part's title, in reading
    order; a paragraph without one is skipped without a walk (same list as the walk's)."""
    doc = build_tree("# Title {?name} {.body}\n\n## One\n\n1. Plain {?a}.\n1. Nothing here.\n"
                     "1. **Bold {?b}** text.\n\n| X | Y |\n|---|---|\n| c | {?c} |\n\n"
                     "Text.\n")
    assert [p.note for p in doc.open_points()] == ["name", "a", "b", "c"]
    walked = [span.text for part in doc.parts for span in spans([part], kind="open")]
    assert walked == ["name", "a", "b", "c"]


def test_part_without_kind_is_refused() -> None:
    with pytest.raises(S75Error, match="needs a kind"):
        build_tree("# Untitled\n\nText.\n")


def test_front_matter_lists_use_party_and_recital_numbering() -> None:
    doc = build_tree("# Agreement {.front}\n\n## Parties {.parties}\n\n1. A\n1. B\n\n"
                     "## Background {.recitals}\n\n1. One\n1. Two\n")
    md = write_markdown(doc)
    assert "(1) A" in md and "(2) B" in md and "(A) One" in md and "(B) Two" in md


@pytest.mark.parametrize(("counters", "level", "expected"), [
    ([3, 0, 0, 0, 0], 1, ("3", "3")),
    ([3, 2, 1, 0, 0], 3, ("3.2.1", "3.2.1")),
    ([3, 2, 1, 27, 0], 4, ("(aa)", "3.2.1(aa)")),
    ([3, 2, 1, 1, 14], 5, ("(xiv)", "3.2.1(a)(xiv)")),
])
def test_format_number(counters: list[int], level: int, expected: tuple[str, str]) -> None:
    assert format_number(counters, level) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1,
               max_size=80).filter(lambda s: s.strip()))
def test_escaped_data_comes_out_literally(text: str) -> None:
    """Whatever a party's name holds, it is printed as written (whitespace folded, quotes
    curled)."""
    doc = build_tree(f"# Title {{.body}}\n\n## Clause\n\n1. Name: {escape_markdown(text)}\n")
    [_, item] = doc.parts[0].blocks
    assert item.plain() == curl(("Name: " + re.sub(r"\s+", " ", text)).rstrip())


_WORDS = st.sampled_from(["Partner", "Partners", "Host", "Pooled Fund", "Fund", "the", "s", "Ss",
                          "Host Partner", "ICB", "Funds", "Partnership"])


@given(st.sets(_WORDS, max_size=6), st.lists(_WORDS | st.sampled_from([" ", ", ", "-", "."]),
                                               max_size=30))
def test_the_covering_pattern_matches_as_one_alternative_a_term_would(
        terms: set[str], words: list[str]) -> None:
    from s75docs.check.terms import covering

    text = "".join(words)
    covered = covering(terms)
    known = sorted(terms, key=len, reverse=True)
    one_each = "|".join(rf"\b{re.escape(t)}s?\b" for t in known)
    assert (covered.sub("\u00a7", text) if covered else text) == \
        (re.sub(one_each, "\u00a7", text) if known else text)


def test_terms_defined_but_unused_or_used_but_undefined_are_reported() -> None:
    from s75docs.check.terms import undefined_terms, unused_terms
    from s75docs.model.agreement import OpenPoint

    doc = build_tree("# Agreement {.front}\n\n## Parties {.parties}\n\n1. A ({=Council})\n"
                     "1. B ({=Trust})\n\n" + BODY.replace("The board meets.",
                                                          "The Council and the Joint Panel meet."))
    assert unused_terms(doc) == ["Trust"]
    assert undefined_terms(doc, OpenPoint(to_be_agreed="x")) == ["Partner", "Joint Panel"]


def test_paragraphs_read_once_give_markdown_its_own_tokens() -> None:
    """The reader remembers each paragraph's inline tokens (reader._inline_rule): read twice,
    and with escapes, markers and emphasis, they are the tokens markdown-it itself makes."""
    from markdown_it import MarkdownIt

    from s75docs.document.reader import _PARSER, _marker_rule

    stock = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    stock.disable(["image", "link", "autolink", "html_inline", "html_block", "code", "fence",
                   "blockquote", "hr", "lheading", "reference"])
    stock.inline.ruler.before("escape", "s75_markers", _marker_rule)
    text = (BODY + "\n1. A \\*name\\* \\\\ {?to be agreed} **bold \\_x\\_** *em* `c` &amp; "
            + escape_markdown("Smith & Co {{ x }} [y](z) <b>")
            + "\n\n| a | b |\n|---|--:|\n| 1 | **2** |\n")

    def seen(tokens: list[Any]) -> list[Any]:
        return [(t.type, t.tag, t.content, t.markup, t.attrs, t.level, t.nesting, t.hidden,
                 [(c.type, c.tag, c.content, c.markup, c.level, c.nesting) for c in
                  t.children or []]) for t in tokens]

    assert seen(_PARSER.parse(text)) == seen(_PARSER.parse(text)) == seen(stock.parse(text))


_CHANGES = st.sampled_from([None, None, "ins", "del"])
_SPANS = st.recursive(
    st.builds(Span, st.sampled_from(["text", "ref", "open"]), st.text(max_size=3),
              change=_CHANGES),
    lambda inner: st.builds(Span, st.sampled_from(["strong", "em"]),
                            children=st.lists(inner, max_size=3), change=_CHANGES),
    max_leaves=8)
_CELLS = st.builds(Cell, st.lists(_SPANS, max_size=2))
_BLOCKS = st.builds(Block, st.sampled_from(["clause", "table"]), st.lists(_SPANS, max_size=2),
                    rows=st.lists(st.lists(_CELLS, max_size=3), max_size=3), change=_CHANGES)
_PARTS = st.builds(Part, st.just("body"), st.lists(_SPANS, max_size=2),
                   blocks=st.lists(_BLOCKS, max_size=3), change=_CHANGES)


@given(st.lists(_PARTS, max_size=3), st.sampled_from([None, "del", "ins"]),
       st.sampled_from([None, "ref", "open", "strong"]))
@settings(max_examples=300, deadline=None)
def test_spans_are_the_walks_spans_in_order(parts: list[Part], without: str | None,
                                            kind: str | None) -> None:
    """``spans`` (a stack of its own, tables' cells taken whole) gives what the one walk gives,
    leaving out what a redline's ``without`` leaves out, and with ``kind`` only that kind."""
    expected = [node for node, _ in walk(
        parts, prune=lambda n: without is not None and getattr(n, "change", None) == without)
        if isinstance(node, Span) and kind in (None, node.kind)]
    got = list(spans(parts, without=without, kind=kind))
    assert [id(s) for s in got] == [id(s) for s in expected]


_CELL_TEXTS = st.sampled_from(["Council", "2024/25", "1,000\\.50", " a ", "", "\\*x\\*",
                               "**Total**", "a \\| b", "\\\\", "{?open}", "`c`", "&amp;", "\\"])


@given(st.lists(st.lists(_CELL_TEXTS | st.text("ab *_`&{}\\.-£,1", max_size=6),
                         min_size=1, max_size=4), min_size=1, max_size=6))
@settings(max_examples=150, deadline=None)
def test_a_table_on_its_own_reads_as_markdown_it_reads_it(rows: list[list[str]]) -> None:
    """A table with a blank line before it is read without markdown-it (reader._segments),
    each distinct cell text once: its cells are what markdown-it gives for the same table
    after a paragraph line, which it reads itself."""
    def cells(text: str) -> str:
        return " | ".join(c.replace("|", "\\|") for c in text.split("\0"))

    header = "| " + " | ".join(f"h{i}" for i in range(len(rows[0]))) + " |"
    rule = "|" + "---|" * len(rows[0])
    table = "\n".join([header, rule] + ["| " + cells("\0".join(row)) + " |" for row in rows])
    head = "# T {.body}\n\nIntro\n"

    def read(markdown: str) -> list[list[tuple[str, bool, list[tuple[str, str, int]]]]]:
        block = [b for b in build_tree(markdown).parts[0].blocks if b.kind == "table"][0]
        return [[(c.align, c.header, [(s.kind, s.plain(), len(s.children)) for s in c.spans])
                 for c in row] for row in block.rows]

    assert read(head + "\n" + table + "\n") == read(head + table + "\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["\n", "\n\n", "# ", "## ", "#### ", "#", " ", "a", "1. "]),
                max_size=40).map("".join))
def test_markdown_is_cut_before_each_heading_after_a_blank_line(text: str) -> None:
    from s75docs.document.reader import pieces

    # The cut points as a look-behind pattern states them, cut by re.split.
    expected = [p for p in re.split(r"(?<=\n\n)(?=#{1,3} )", text) if p]
    assert pieces(text) == expected


def test_a_clauses_descendants_run_past_its_text_to_the_next_clause_at_its_level() -> None:
    """Under clause 1 sit its sub-clauses and the unnumbered text between them, up to clause 2
    (the termination clause's "No Partner may rely on its own default" stands there)."""
    from s75docs.document.nodes import descendants

    doc = build_tree("# Terms {.body}\n\n## One\n\n1. First.\n1. Second:\n   1. an event.\n\n"
                     "   Text of the second.\n\n1. Third.\n\n## Two\n\n1. Alone.\n")
    blocks = doc.parts[0].blocks
    names = [b.full_number or b.kind for b in blocks]
    one, second = names.index("1"), names.index("1.2")
    assert [names[i] for i in descendants(blocks, one)] == ["1.1", "1.2", "1.2.1", "text", "1.3"]
    assert [names[i] for i in descendants(blocks, second)] == ["1.2.1", "text"]
    assert list(descendants(blocks, names.index("2"))) == [names.index("2.1")]
