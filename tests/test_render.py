"""The template environment: strict, sandboxed, escaping, bounded, with domain filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from s75docs.document.resolve import build_tree
from s75docs.errors import S75Error
from s75docs.model.agreement import OpenPoint
from s75docs.model.money import parse_period
from s75docs.render.environment import render_template, template_dirs


def render(tmp_path: Path, text: str, seconds: float = 20.0, **context: object) -> str:
    (tmp_path / "t.md.j2").write_text(text, encoding="utf-8")
    return render_template("t.md.j2", context, [tmp_path], seconds=seconds)


def test_missing_value_fails_with_template_and_line(tmp_path: Path) -> None:
    with pytest.raises(S75Error) as info:
        render(tmp_path, "# T {.body}\n\nline two\n{{ missing }}\n")
    [finding] = info.value.findings
    assert finding.file == "t.md.j2" and finding.line == 4
    assert "missing" in finding.message


@pytest.mark.parametrize("value", [None, [], ["a"], True, Decimal("1.50")])
def test_values_that_must_not_print_fail(tmp_path: Path, value: object) -> None:
    with pytest.raises(S75Error, match="template failed"):
        render(tmp_path, "{{ v }}", v=value)


def test_data_is_data(tmp_path: Path) -> None:
    name = "A {{ 7*7 }} & <b>Co</b> *Ltd* [x] {#l} {@r} {?o} \\ `c` | d"
    out = render(tmp_path, "# T {.body}\n\n## C\n\n1. {{ name }}\n", name=name)
    doc = build_tree(out)
    assert doc.parts[0].blocks[1].plain() == name


def test_sandbox_blocks_python_internals(tmp_path: Path) -> None:
    with pytest.raises(S75Error, match="unsafe"):
        render(tmp_path, "{{ ''.__class__.__mro__[1].__subclasses__() }}")


def test_runaway_template_is_stopped(tmp_path: Path) -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(S75Error, match="longer than 0.5 seconds"):
        render(tmp_path, loop, seconds=0.5)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(S75Error) as info:
        render(tmp_path, "ok\n{% if %}\n")
    assert info.value.findings[0].line == 2
    assert info.value.findings[0].file == "t.md.j2"


def test_domain_filters(tmp_path: Path) -> None:
    out = render(
        tmp_path,
        "# T {.body}\n\n{{ a | money }}|{{ b | money }}|{{ d }}|{{ d | short_date }}|{{ p | notice }} notice|"
        "{{ q | notice }} notice|{{ join_and(['A', 'B', 'C']) }}|{{ o }}",
        a=Decimal("190585000"), b=Decimal("1234.5"), d=dt.date(2022, 4, 1),
        p=parse_period("6 months"), q=parse_period("1 month"),
        o=OpenPoint(to_be_agreed="host to be agreed"),
    )
    assert build_tree(out).parts[0].blocks[0].plain() == (
        "£190,585,000|£1,234.50|1 April 2022|01.04.2022|six months\u2019 notice|"
        "one month\u2019s notice|A, B and C|[host to be agreed]")


def test_firm_templates_override_built_in_ones(tmp_path: Path) -> None:
    firm = tmp_path / "firm"
    firm.mkdir()
    (firm / "agreement.md.j2").write_text("# Ours {.body}\n", encoding="utf-8")
    assert render_template("agreement.md.j2", {}, template_dirs([firm])) == "# Ours {.body}\n"


def test_a_template_edited_added_or_removed_in_a_long_lived_process_is_read_afresh(
        tmp_path: Path) -> None:
    """The workspace renders for hours: a firm's template edited meanwhile is used at once."""
    firm = tmp_path / "firm"
    (firm / "body").mkdir(parents=True)
    page = firm / "agreement.md.j2"
    page.write_text('{% include "body/x.md.j2" %}', encoding="utf-8")
    (firm / "body" / "x.md.j2").write_text("one\n", encoding="utf-8")
    assert render_template("agreement.md.j2", {}, template_dirs([firm])) == "one\n"
    (firm / "body" / "x.md.j2").write_text("three\n", encoding="utf-8")  # same folder, new size
    assert render_template("agreement.md.j2", {}, template_dirs([firm])) == "three\n"
    (firm / "body" / "x.md.j2").unlink()
    with pytest.raises(S75Error, match="template not found"):
        render_template("agreement.md.j2", {}, template_dirs([firm]))
    (firm / "body" / "x.md.j2").write_text("four\n", encoding="utf-8")
    assert render_template("agreement.md.j2", {}, template_dirs([firm])) == "four\n"
