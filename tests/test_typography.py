"""Curly quotes and apostrophes throughout, from one rule applied as the tree is built; web and
email addresses and paths stay exactly as typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from s75docs.document.nodes import spans
from s75docs.document.resolve import build_tree
from s75docs.document.typography import curl
from s75docs.load.folder import load_agreement
from s75docs.pipeline import render_agreement
from s75docs.render.wording import plain

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("typed", "printed"), [
    ("the Partner's duty", "the Partner\u2019s duty"),
    ("the Partners' duty", "the Partners\u2019 duty"),
    ('"Partner" means', "\u201cPartner\u201d means"),
    ("('quoted') and \"x\".", "(\u2018quoted\u2019) and \u201cx\u201d."),
    ("in the '90s", "in the \u201990s"),
    ("see https://e.org/a'b or o'neil@e.org", "see https://e.org/a'b or o'neil@e.org"),
    ("a file budgets/o'x.csv", "a file budgets/o'x.csv"),
])
def test_curl(typed: str, printed: str) -> None:
    assert curl(typed) == printed


def test_a_quote_after_a_bold_word_or_a_reference_closes() -> None:
    document = build_tree('# T {.body}\n\n## C {#c}\n\n1. **Partner**\'s and {@c}\'s "x"\n')
    assert document.parts[0].blocks[1].plain() == \
        "Partner\u2019s and clause 1\u2019s \u201cx\u201d"


@pytest.mark.parametrize("example", ["oxfordshire-2022", "haringey-2016"])
def test_no_straight_quote_is_left_in_an_agreement(example: str) -> None:
    document = render_agreement(load_agreement(ROOT / "examples" / example))
    text = " ".join(s.plain() for s in spans(document.parts) if not s.children)
    assert "\u2019" in text and "\u201c" in text
    left = [w for w in re.findall(r"\S*['\"]\S*", text)
            if not re.search(r"://|@|www\.|/", w)]
    assert not left
    assert plain("the Council's \"Fund\"") == "the Council\u2019s \u201cFund\u201d"
