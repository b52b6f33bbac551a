"""Work a firm's templates cause is bounded: the defined-term scan is linear, one time limit
covers rendering, the tree and the checks, and the size bounds leave ordinary templates alone.
(The attacks themselves are cases of test_hostile_inputs.py's HOSTILE table.)"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from typing import Any

import jinja2
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


@pytest.mark.parametrize(("source", "message"), [
    ("{{ define('.' * 600000) }}\n", "define() would hold over 1,000,000"),
    ("{% set a = 'x' * 100000 %}{{ open_point([a, a, a, a, a, a, a, a, a, a, a]) }}\n",
     "open_point() with inputs this large"),
    ("{% macro m() %}{{ 'x' * 600000 }}{{ 'y' * 600000 }}{% endmacro %}{{ m()|length }}\n",
     "would hold over 1,000,000"),
    ("{% for i in range(2) %}{{ ('.' * 600000).strip() ~ ref('a' * 999999) }}{% endfor %}\n",
     "would hold over 1,000,000"),
])
def test_calls_that_skip_the_weighing_are_still_bounded(source: str, message: str,
                                                        tmp_path: Path) -> None:
    """Our text helpers given text, shrinking text methods and macros go straight to the
    callable; their results are checked, and a helper given anything else is weighed."""
    (tmp_path / "t.md.j2").write_text(source, encoding="utf-8")
    with pytest.raises(S75Error) as caught:
        render_template("t.md.j2", {}, [tmp_path])
    finding = caught.value.findings[0]
    assert message in finding.message and (finding.file, finding.line) == ("t.md.j2", 1)


def test_direct_calls_print_what_the_full_path_printed(tmp_path: Path) -> None:
    """Calls in a loop (which Jinja passes the loop's variables) and in a call block."""
    (tmp_path / "t.md.j2").write_text(
        "{% macro m(x) %}[{{ x }}]{% endmacro %}{% macro c(x) %}[{{ x }}{{ caller() }}]{% endmacro %}"
        "{% for i in ['a', 'b'] %}{{ m(i) }}{{ ref('c.' ~ i) }}{{ ' x '.strip() }}"
        "{% call c('d') %}{{ label(i) }}{% endcall %}{% endfor %}{{ define('T.') }}"
        "{{ open_point('p') }}{{ 'ab'.startswith('a') and 'y' }}", encoding="utf-8")
    out = render_template("t.md.j2", {}, [tmp_path])
    assert out == "[a]{@c.a}x[d{#a}][b]{@c.b}x[d{#b}]{=T\\.}{?p}y"


def test_which_calls_go_straight_to_the_callable() -> None:
    from s75docs.render.bounds import text_helper
    from s75docs.render.context import is_open
    from s75docs.render.environment import _direct, join_and, ref

    assert _direct(ref, ("x",), {}) and _direct(ref, ("x",), {"_loop_vars": {}})
    assert _direct("x".rstrip, (), {}) and _direct(is_open, ("x",), {})
    assert not _direct(ref, (["x"],), {})  # not text: weighed first
    assert not _direct(ref, ("x",), {"label": "y"})
    assert not _direct(join_and, (["x"],), {})  # not a text helper
    assert not _direct("x".center, (10,), {}) and not _direct("x".join, (["y"],), {})
    assert not _direct([].append, ("x",), {})
    # Reading a dict or list builds nothing it does not hold: its inputs are not weighed.
    big = {str(n): n for n in range(100_000)}
    assert _direct(big.get, ("1", None), {}) and _direct(big.items, (), {})
    assert _direct(list(big).index, ("1",), {}) and _direct([].count, (["x"],), {})
    assert _direct(big.get, ("1",), {"_loop_vars": {}}) and not _direct(big.get, (), {"k": 1})
    assert not _direct(big.update, ({"x": 1},), {}) and not _direct(big.pop, ("1",), {})
    assert not _direct(big.setdefault, ("y", []), {}) and not _direct([].extend, (["x"],), {})
    with pytest.raises(TypeError):
        text_helper(jinja2.pass_context(lambda context, x: x))
