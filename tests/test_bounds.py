"""Work a firm's templates cause is bounded: the defined-term scan is linear, one time limit
covers rendering, the tree and the checks, and the size bounds leave ordinary templates alone.
(The attacks themselves are cases of test_hostile_inputs.py's HOSTILE table.)"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from typing import Any

import pytest

from s75docs.check.terms import _legislation, undefined_terms
from s75docs.document.resolve import build_tree
from s75docs.errors import S75Error
from s75docs.model.agreement import OpenPoint
from s75docs.pipeline import prepare
from s75docs.render.environment import render_template

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "minimal"
# The single regex the scan used to run: quadratic on runs of capitalised words.
LEGISLATION = re.compile(
    r"(?:[A-Z][\w-]*\s(?:(?:of|and|for|the|in|to|on|with)\s)*)+"
    r"(?:Act|Regulations|Order|Rules)(?:\s\d{4})?")


def test_legislation_finds_what_the_regex_found() -> None:
    words = ["Care", "Act", "Actuary", "of", "the", "and", "Health", "2014", "Rules", "Order",
             "xFoo", "PooledFund", "Regulations", ".", ",", "a", "Mc-Don", "A", "\n"]
    rng = random.Random(75)
    for _ in range(20_000):
        text = "".join(rng.choice(words) + rng.choice([" ", " ", "\n", "", "  "])
                       for _ in range(rng.randint(0, 12)))
        assert _legislation(text) == LEGISLATION.sub("\u00a7", text), text


def test_the_defined_term_scan_is_linear() -> None:
    """200 KB of title case: the old scan took 21 s on 40 KB and grew with the square."""
    rng = random.Random(15)
    words = ["Alpha", "Beta", "Of", "Host", "Partner", "Board", "Fund", "Pooled", "Care"]
    body = " ".join(rng.choice(words) for _ in range(33_000))
    doc = build_tree("# Agreed Terms {.body}\n\n## Definitions {#definitions}\n\n"
                     "1. In this Agreement:\n   1. {=Host Partner} means x;\n\n## Text\n\n"
                     f"1. The Host Partner and the {body}.\n")
    started = time.monotonic()
    found = undefined_terms(doc, OpenPoint(to_be_agreed="x"))
    assert time.monotonic() - started < 5
    assert len(found) == 1 and found[0].startswith(body.split(" Host Partner")[0][:20])


def test_one_time_limit_covers_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check made slow by what the templates printed is stopped, naming the stage."""

    def slow(*args: Any, **kwargs: Any) -> list[str]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pass
        return []

    monkeypatch.setattr("s75docs.pipeline.undefined_terms", slow)
    monkeypatch.setenv("S75DOCS_RENDER_SECONDS", "1")
    started = time.monotonic()
    with pytest.raises(S75Error) as caught:
        prepare(FIXTURE)
    assert time.monotonic() - started < 8
    assert "took longer than 1 seconds (stopped while checking defined terms)" \
        in str(caught.value)


def test_the_bounds_leave_everyday_work_alone(tmp_path: Path) -> None:
    """Big amounts formatted, long clause text wrapped and replaced, lists built and joined."""
    (tmp_path / "t.md.j2").write_text(
        "{{ '{:,}'.format(1500000000) }}|{{ '%05.1f' % 3.14159 }}|{{ '%s-%s' % ('a', 'b') }}|"
        "{{ (text|wordwrap(79))|length }}|{{ (text|replace('word', 'phrase'))|length }}|"
        "{% set ns = namespace(items=[]) %}{% for i in range(2000) %}"
        "{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.items|join(',')|length }}|"
        "{{ (text ~ text)|length }}", encoding="utf-8")
    out = render_template("t.md.j2", {"text": "word " * 20_000}, [tmp_path])
    assert out == "1,500,000,000|003\\.1|a\\-b|99999|140000|8889|200000"
