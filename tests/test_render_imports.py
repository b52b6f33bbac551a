"""An import with context is made once a render only where making it again could not differ
(s75docs/render/imports.py); and the sandbox's remembered verdicts on attributes."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from s75docs.errors import S75Error
from s75docs.render.environment import render_template

MODULE = "{% set n = probe.value %}{% set size = items | length %}"
USER = '{% import "mod.md.j2" as m with context %}[{{ m.n }} {{ m.size }}]'


class Probe:
    """Counts how often a module reads it: each read is one making of the module."""

    def __init__(self) -> None:
        self.reads = 0

    @property
    def value(self) -> int:
        self.reads += 1
        return self.reads


def render(folder: Path, main: str, files: dict[str, str], **context: object) -> str:
    for name, text in {"main.md.j2": main, **files}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return render_template("main.md.j2", context, [folder])


def test_the_same_import_is_made_once_a_render(tmp_path: Path) -> None:
    probe = Probe()
    main = '{% include "user.md.j2" %}{% include "user.md.j2" %}{% include "user.md.j2" %}'
    files = {"mod.md.j2": MODULE, "user.md.j2": USER}
    assert render(tmp_path, main, files, probe=probe, items=[]) == "[1 0][1 0][1 0]"
    assert render(tmp_path, main, files, probe=probe, items=[]) == "[2 0][2 0][2 0]"


def test_a_change_between_imports_makes_it_again(tmp_path: Path) -> None:
    main = ('{% include "user.md.j2" %}{% if items.append(1) %}{% endif %}'
            '{% include "user.md.j2" %}{% include "user.md.j2" %}')
    files = {"mod.md.j2": MODULE, "user.md.j2": USER}
    assert render(tmp_path, main, files, probe=Probe(), items=[]) == "[1 0][2 1][2 1]"


def test_a_namespace_assignment_makes_it_again(tmp_path: Path) -> None:
    main = ('{% set held = [namespace(x=1)] %}{% include "user.md.j2" %}'
            '{% for ns in held %}{% set ns.x = 2 %}{% endfor %}{% include "user.md.j2" %}')
    files = {"mod.md.j2": "{% set x = held[0].x %}",
             "user.md.j2": '{% import "mod.md.j2" as m with context %}[{{ m.x }}]'}
    assert render(tmp_path, main, files) == "[1][2]"


def test_a_loop_in_the_context_makes_it_again(tmp_path: Path) -> None:
    main = ('{% for x in [items, items] %}{% set here = loop %}{% include "user.md.j2" %}'
            '{% endfor %}')
    files = {"mod.md.j2": "{% set i = here.index %}",
             "user.md.j2": '{% import "mod.md.j2" as m with context %}[{{ m.i }}]'}
    assert render(tmp_path, main, files, items=[]) == "[1][2]"


def test_a_module_holding_a_list_is_its_own_in_each_import(tmp_path: Path) -> None:
    """A macro's module keeps its own list while a file included meanwhile, importing the
    same module from the same context, changes its own."""
    main = ('{% macro outer() %}{% import "mod.md.j2" as m with context %}{{ include() }}'
            '[{{ m.names | length }}]{% endmacro %}'
            '{% macro include() %}{% include "inner.md.j2" %}{% endmacro %}{{ outer() }}')
    files = {"mod.md.j2": '{% set names = ["a"] %}',
             "inner.md.j2": '{% import "mod.md.j2" as m with context %}'
                            '{% if m.names.append("b") %}{% endif %}[{{ m.names | length }}]'}
    assert render(tmp_path, main, files) == "[2][1]"


def test_imported_macros_still_name_their_file_and_line(tmp_path: Path) -> None:
    files = {"mod.md.j2": "{% macro f() %}\n{{ missing }}{% endmacro %}",
             "user.md.j2": '{% import "mod.md.j2" as m with context %}{{ m.f() }}'}
    with pytest.raises(S75Error) as info:
        render(tmp_path, '{% include "user.md.j2" %}{% include "user.md.j2" %}', files)
    [finding] = info.value.findings
    assert (finding.file, finding.line) == ("mod.md.j2", 2)


def test_a_remembered_attribute_verdict_is_the_class_own(tmp_path: Path) -> None:
    """``mro`` is a safe attribute of a plain object but not of a class: remembering the first
    verdict must not let the second through, in the same render or the next."""
    text = "{{ obj.mro }}{{ cls.mro }}"
    for _ in range(2):
        assert render(tmp_path, "{{ obj.mro }}", {}, obj=types.SimpleNamespace(mro="x")) == "x"
        with pytest.raises(S75Error, match="unsafe"):
            render(tmp_path, text, {}, obj=types.SimpleNamespace(mro="x"), cls=str)


def test_a_helper_marked_pure_is_not_kept_alive() -> None:
    """An agreement's ``term`` is marked pure: the mark must not keep it (and through it the
    whole agreement) alive after the build, or a batch grows by an agreement each time."""
    import gc
    import weakref

    from s75docs.render.imports import changes_nothing, pure

    def make() -> weakref.ref[Any]:
        def helper() -> None:
            pass

        pure(helper)
        assert changes_nothing(helper)
        return weakref.ref(helper)

    held = make()
    gc.collect()
    assert held() is None
