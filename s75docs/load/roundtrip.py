"""Rewriting a YAML data file the way a person would: only the fields that change.

Commands that rewrite agreement data (``succeed``, ``vary``) must leave the drafter's file as it
was, comments, key order, quoting, folded lines and all, so that ``git diff`` shows only what the
tool changed. A full load-and-dump cannot promise that: even ruamel.yaml's round-trip dump reflows
long plain scalars written over several lines. So this module edits the text itself. ruamel.yaml
(round-trip mode) composes the file to find where each value stands, and represents new values
(a partner entry, a flag) in the file's block style; every other byte is kept.

Safety: nothing is constructed from ruamel's nodes, so no tag or alias can create an object. The
data s75docs reads is PyYAML's safe reading, as everywhere else; each edit is made to that data
as well as to the text, and the new text must read back (YAML 1.1, as s75docs reads it) as
exactly that data, or nothing is written. A new string that would read as another type ("yes",
"2022-07-01", "1e3") is written quoted; untouched values keep their own text.
"""

from __future__ import annotations

import enum
import io
import json
import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from s75docs.errors import Finding, S75Error, format_path
from s75docs.load.source import read_text

PathKey = tuple[str | int, ...]
# PyYAML's safe reading, by libyaml when PyYAML was built with it: the same data, ten times faster
# (the workspace rewrites the file on every change).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlFile:
    """One YAML file being edited: its text, its nodes (where things stand) and its data.

    Paths name fields as the file has them: change a value before renaming its key, and remove
    list items last, from the end, so that earlier indices still hold.
    """

    def __init__(self, text: str, name: str):
        self.name = name
        self.source = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        try:
            self.root: Node | None = YAML(typ="rt").compose(text)
            self.data: Any = yaml.load(text, Loader=_LOADER)
        except (RuamelError, yaml.YAMLError) as exc:
            raise S75Error(Finding("error", f"cannot rewrite this YAML: {exc}", name)) from None
        self._edits: list[tuple[int, int, str]] = []

    @classmethod
    def read(cls, path: Path, display: str | None = None) -> YamlFile:
        name = display or str(path)
        return cls(read_text(path, display=name), name)

    # --- edits: each changes the data and records the change to the text ----------------------

    def set(self, path: PathKey, value: Any) -> None:
        """Give the scalar at ``path`` a new value, in its own quoting style where it can; an
        open point written on one line (``{to_be_agreed: ...}``) may be set to a value too."""
        node = self._node(path)
        if not isinstance(node, ScalarNode) and not getattr(node, "flow_style", False):
            raise self._error(path, "expected a single value")
        text = _scalar_text(value, node.style if isinstance(node, ScalarNode) else None)
        self._edit(node.start_mark.index, _content_end(node, self.source), text, path)
        self._put(path, value)

    def rename_key(self, path: PathKey, key: str) -> None:
        """Give the mapping entry at ``path`` a new key, keeping its place and value."""
        key_node, _ = self._entry(path)
        if not isinstance(key_node, ScalarNode):
            raise self._error(path, "expected a plain key")
        self._edit(key_node.start_mark.index, _content_end(key_node, self.source),
                   _scalar_text(key, key_node.style), path)
        parent = self.get(path[:-1])
        items = [(key if k == path[-1] else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)

    def substitute(self, path: PathKey, change: Callable[[str], str]) -> None:
        """Change words inside the string at ``path``; ``change`` is applied both to the value
        and to its source text, so that a folded or multi-line value keeps its lines."""
        node = self._scalar(path)
        value = self.get(path)
        if not isinstance(value, str) or change(value) == value:
            return
        start, end = node.start_mark.index, _content_end(node, self.source)
        self._edit(start, end, change(self.source[start:end]), path)
        self._put(path, change(value))

    def replace(self, path: PathKey, value: Any) -> None:
        """Put new data (a partner entry, say) where the value at ``path`` stands."""
        node = self._node(path)
        column = node.start_mark.column
        if not isinstance(value, dict | list):
            raise self._error(path, "only a mapping or a list can be replaced whole")
        text = _block_text(value, column, self.newline).lstrip(" ").removesuffix(self.newline)
        self._edit(node.start_mark.index, _content_end(node, self.source), text, path)
        self._put(path, value)

    def add(self, path: PathKey, key: str, value: Any) -> None:
        """Add ``key: value`` at the end of the mapping at ``path``."""
        node = self._node(path)
        if not isinstance(node, MappingNode) or not node.value:
            raise self._error(path, "expected a mapping with fields to add one to")
        entry = _block_text({key: value}, node.start_mark.column, self.newline)
        if node.flow_style:
            end = _content_end(node, self.source) - 1  # before the closing brace
            if isinstance(value, dict | list):
                raise self._error(path, "cannot add a mapping or list to one written in flow "
                                  "style ({...}); write it as a block")
            self._edit(end, end, f", {_scalar_text(key, None)}: {_scalar_text(value, None)}", path)
        else:
            end = _line_end(self.source, _content_end(node, self.source))
            if not self.source.endswith("\n") and end == len(self.source):
                entry = self.newline + entry
            self._edit(end, end, entry, path)
        self.get(path)[key] = _plain_data(value)

    def append(self, path: PathKey, value: Any) -> None:
        """Add an item at the end of the block list at ``path``, lined up with its items."""
        node = self._node(path)
        if not isinstance(node, SequenceNode) or node.flow_style or not node.value:
            raise self._error(path, "expected a list written as a block, to add an item to")
        dash = self.source.rfind("-", 0, node.value[0].start_mark.index)
        column = dash - (self.source.rfind("\n", 0, dash) + 1)
        lines = textwrap.dedent(_block_text([value], 0, "\n")).splitlines()
        end = _line_end(self.source, _content_end(node, self.source))
        prefix = self.newline if end == len(self.source) and not self.source.endswith("\n") else ""
        self._edit(end, end, prefix + "".join(" " * column + line + self.newline
                                             for line in lines), path)
        self.get(path).append(_plain_data(value))

    def swap(self, path: PathKey, first: int, second: int) -> None:
        """Exchange two items of the block list at ``path``, each moving with its own lines
        and the comment lines just above it (a comment says what the item below it is)."""
        node = self._node(path)
        first, second = sorted((first, second))
        if not isinstance(node, SequenceNode) or node.flow_style \
                or not 0 <= first < second < len(node.value):
            raise self._error(path, "expected two items of a list written as a block")
        (a_start, a_end), (b_start, b_end) = (self._item_span(path, node, first),
                                              self._item_span(path, node, second))
        a_text, b_text = self.source[a_start:a_end], self.source[b_start:b_end]
        if not b_text.endswith("\n"):  # the last line of a file without a final line break
            b_text, a_text = b_text + self.newline, a_text.removesuffix("\n").removesuffix("\r")
        self._edit(a_start, a_end, b_text, path)
        self._edit(b_start, b_end, a_text, path)
        items = self.get(path)
        items[first], items[second] = items[second], items[first]

    def _item_span(self, path: PathKey, node: SequenceNode, index: int) -> tuple[int, int]:
        """Where one block-list item's lines stand, with the comment lines right above it."""
        item = node.value[index]
        dash = self.source.rfind("-", 0, item.start_mark.index)
        start = self.source.rfind("\n", 0, dash) + 1
        if self.source[start:dash].strip():
            raise self._error((*path, index), "cannot move an item that shares its line")
        while start > 0:
            above = self.source.rfind("\n", 0, start - 1) + 1
            if not self.source[above:start].strip().startswith("#"):
                break
            start = above
        return start, _line_end(self.source, _content_end(item, self.source))

    def delete(self, path: PathKey) -> None:
        """Remove a mapping entry or a list item with its lines (comments above it stay)."""
        parent = self._node(path[:-1])
        if getattr(parent, "flow_style", False):
            raise self._error(path, "cannot remove an entry written in flow style ({...}); "
                              "write it as a block")
        if isinstance(parent, MappingNode):
            key, end_node = self._entry(path)
            first = key.start_mark.index
        else:
            end_node = self._node(path)
            first = self.source.rfind("-", 0, end_node.start_mark.index)  # the item's dash
        start = self.source.rfind("\n", 0, first) + 1
        if self.source[start:first].strip():
            raise self._error(path, "cannot remove an entry that shares its line with another")
        self._edit(start, _line_end(self.source, _content_end(end_node, self.source)), "", path)
        container = self.get(path[:-1])
        del container[path[-1]]

    # --- writing ------------------------------------------------------------------------------

    def text(self) -> str:
        """The edited text, after proving it reads back as the edited data."""
        out = self.source
        for start, end, text in sorted(self._edits, reverse=True):
            out = out[:start] + text + out[end:]
        try:
            reread = yaml.load(out, Loader=_LOADER)
            aliases = any(isinstance(event, yaml.AliasEvent)
                          for event in yaml.parse(out, Loader=_LOADER))
        except yaml.YAMLError as exc:
            reread, aliases = exc, False
        if reread != self.data or aliases:
            raise S75Error(Finding("error", "the rewritten file would not read back as intended, "
                                   "so it was not written; please report this", self.name))
        return out

    # --- finding things -----------------------------------------------------------------------

    def _node(self, path: PathKey) -> Node:
        node = self.root
        for i, step in enumerate(path):
            if isinstance(node, MappingNode):
                node = next((v for k, v in node.value if k.value == step), None)
            elif isinstance(node, SequenceNode) and isinstance(step, int) \
                    and 0 <= step < len(node.value):
                node = node.value[step]
            else:
                node = None
            if node is None:
                raise self._error(path[:i + 1], "no such field")
        assert node is not None
        return node

    def _entry(self, path: PathKey) -> tuple[Node, Node]:
        parent = self._node(path[:-1])
        if isinstance(parent, MappingNode):
            for key, value in parent.value:
                if key.value == path[-1]:
                    return key, value
        raise self._error(path, "no such field")

    def _scalar(self, path: PathKey) -> ScalarNode:
        node = self._node(path)
        if not isinstance(node, ScalarNode):
            raise self._error(path, "expected a single value")
        return node

    def line_of(self, path: PathKey) -> int:
        """The line (from 1) where the value at ``path`` starts, for findings."""
        line: int = self._node(path).start_mark.line + 1
        return line

    def get(self, path: PathKey) -> Any:
        """The value at ``path`` in the data as edited so far."""
        value = self.data
        for step in path:
            value = value[step]
        return value

    def _put(self, path: PathKey, value: Any) -> None:
        self.get(path[:-1])[path[-1]] = _plain_data(value)

    def _edit(self, start: int, end: int, text: str, path: PathKey) -> None:
        if any(s < end and start < e or (s == start == e == end) for s, e, _ in self._edits):
            raise self._error(path, "changed twice")
        self._edits.append((start, end, text))

    def _error(self, path: PathKey, message: str) -> S75Error:
        node = None
        try:
            node = self._node(path[:-1]) if path else self.root
        except S75Error:
            pass
        line = node.start_mark.line + 1 if node is not None else None
        return S75Error(Finding("error", f"cannot rewrite this file: {message}", self.name,
                                format_path(path), line))


def _content_end(node: Node, source: str) -> int:
    """Where a node's own text ends: its last character that is not blank (a block's end mark
    lies after the blank lines and comments that follow it)."""
    if isinstance(node, MappingNode | SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _content_end(last[1] if isinstance(node, MappingNode) else last, source)
    end: int = node.end_mark.index
    while end > node.start_mark.index and source[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_end(source: str, index: int) -> int:
    """Just after the line break of the line that ``index`` stands on (or the end)."""
    end = source.find("\n", index)
    return len(source) if end < 0 else end + 1


# --- new text ---------------------------------------------------------------------------------

def _reads_as_itself(text: str, flow: bool = True) -> bool:
    """True if ``text`` written plain reads back as the same string (YAML 1.1, as s75docs
    reads it), in a block and, with ``flow``, inside ``{...}`` too."""
    try:
        return bool(yaml.safe_load(f"k: {text}") == {"k": text}
                    and (not flow or yaml.safe_load(f"{{k: {text}}}") == {"k": text}))
    except yaml.YAMLError:
        return False


def _scalar_text(value: Any, style: str | None) -> str:
    """One value as YAML text: a string plain when that reads back as the same string, else in
    the quotes it had (double quotes if it had none)."""
    if isinstance(value, str):
        if style == "'" and "\n" not in value:
            return "'" + value.replace("'", "''") + "'"
        if style is None and "\n" not in value and _reads_as_itself(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    return _flow_text(value)


def _plain_data(value: Any) -> Any:
    """Data ruamel can represent, strings that YAML 1.1 would misread marked for quotes, and an
    open point written on one line as people write it."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, dict):
        mapping = CommentedMap((k, _plain_data(v)) for k, v in value.items())
        if list(mapping) == ["to_be_agreed"]:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        return [_plain_data(v) for v in value]
    if isinstance(value, enum.Enum):
        return _plain_data(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str) and ("\n" in value or not _reads_as_itself(value, flow=False)):
        return DoubleQuotedScalarString(value)
    return value


def _yaml() -> YAML:
    writer = YAML(typ="rt")
    writer.width = 100
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.representer.ignore_aliases = lambda data: True  # a value used twice is written twice
    return writer


def _block_text(value: Any, column: int, newline: str) -> str:
    """``value`` in block style, every line indented to ``column``, ending with a line break."""
    buffer = io.StringIO()
    _yaml().dump(_plain_data(value), buffer)
    lines = buffer.getvalue().splitlines()
    return "".join(" " * column + line + newline for line in lines)


def _flow_text(value: Any) -> str:
    """A value that is not a string (a date, a number, a flag) as YAML writes it in a line."""
    writer = _yaml()
    buffer = io.StringIO()
    writer.dump(_plain_data(value), buffer)
    return buffer.getvalue().strip().removesuffix("...").strip()

