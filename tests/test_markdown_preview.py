"""Every .md the tool writes is safe to preview: read back as CommonMark (what GitHub, GitLab and
VS Code show), a name holding emphasis, HTML, code, a link or a trailing backslash prints as
written, never as markup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from s75docs.document.resolve import build_tree
from s75docs.document.typography import curl
from s75docs.pipeline import build_agreement
from s75docs.render.environment import escape_markdown
from s75docs.write.markdown import write_markdown

ROOT = Path(__file__).resolve().parent.parent
HARINGEY = ROOT / "examples" / "haringey-2016"
NAME = "A*b* _c_ <b>bold</b> `code` [x](http://e.com) ~~s~~ $m$ &amp; O'Neil's \"Ltd\" \\"
STARTS = ["# not a heading", "1. not a list", "- not a bullet", "> not a quote", "+ no", "= no"]
MARKUP = {"html_inline", "html_block", "link_open", "code_inline", "image", "em_open", "s_open",
          "heading_open", "bullet_list_open", "blockquote_open", "hr", "code_block"}
PREVIEW = MarkdownIt("commonmark").enable("table")


def shown(markdown: str) -> tuple[list[str], set[str]]:
    """Each inline run's text as a previewer shows it, and the kinds of token the text made."""
    texts, kinds = [], set()

    def visit(tokens: list[Token]) -> None:
        for token in tokens:
            kinds.add(token.type)
            if token.type == "inline":
                texts.append("".join(c.content if c.type in ("text", "code_inline") else " "
                                     if c.type.endswith("break") else "" for c in token.children
                                     or []))
                visit(token.children or [])

    visit(PREVIEW.parse(markdown))
    return texts, kinds


@pytest.mark.parametrize("value", [NAME, *STARTS])
def test_a_name_prints_literally_wherever_it_stands(value: str) -> None:
    v = escape_markdown(value)
    document = build_tree(
        f"# {v} {{.body}}\n\n## {v}\n\n1. {v}\n\n   {v}\n\n- {v}\n\n"
        f"1. {{=Term}} means {v}\n1. Open {{?{v}}}(http://e.com) in the Term\n\n"
        f"| {v} | b |\n|---|---|\n"
        f"| {v} | c |\n")
    markdown = write_markdown(document)
    texts, kinds = shown(markdown)
    name = curl(value)
    assert not kinds & (MARKUP - {"heading_open", "bullet_list_open"}), markdown
    # The title, the clause heading, its text and continuation, the bullet, the definition and
    # both cells; the open point stays a bracket, not a link.
    assert sum(1 for t in texts if t.endswith(name)) == 8, texts
    assert any(t.endswith(f" Open [{name}](http://e.com) in the Term") for t in texts), texts
    assert [t for t in texts if t.startswith("1 ")]  # the clause heading is still one


def test_every_md_of_a_build_prints_a_hostile_name_literally(tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    shutil.copytree(HARINGEY, folder)
    agreement = folder / "agreement.yaml"
    text = agreement.read_text(encoding="utf-8")
    old = "name: The Mayor and Burgesses of the London Borough of Haringey"
    assert old in text
    quoted = NAME.replace("\\", "\\\\").replace('"', '\\"')
    agreement.write_text(text.replace(old, f'name: "{quoted}"'), encoding="utf-8")
    out, _ = build_agreement(folder, tmp_path / "build", formats=("md",))
    written = sorted(out.rglob("*.md"))
    assert len(written) == 8  # the agreement, five schemes and both reports
    for path in written:
        texts, kinds = shown(path.read_text(encoding="utf-8"))
        assert not kinds & (MARKUP - {"heading_open", "bullet_list_open"}), path.name
    texts, _ = shown((out / "agreement.md").read_text(encoding="utf-8"))
    assert any(curl(NAME) in t for t in texts)
