"""YAML reading that remembers where every value came from.

PyYAML composes the node graph; we build plain Python values from it ourselves so that we can
record the line of every field path, refuse duplicate keys and aliases (no "billion laughs"),
and keep every scalar as the text the partners typed. YAML 1.1's implicit typing would read
``0100`` as octal (64), ``1:30:00`` as base 60 and ``0x1F4`` as hex, and turn ``yes`` into a
boolean: a figure nobody wrote. So only ``null``/``~``/empty (None) and ``true``/``false`` are
typed here; amounts, dates, percentages and periods are strings the model's parsers read by our
own rules (s75docs/model/money.py), and any explicit tag but ``!!str`` is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from s75docs.errors import Finding, S75Error, format_path

MAX_BYTES = 5 * 1024 * 1024
PathKey = tuple[str | int, ...]
# Agreement data nests a handful of levels; far deeper nesting is hostile. Checked by us, before
# the parser's own limit (whose wording and depth vary between libyaml versions).
MAX_DEPTH = 50
_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
          yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)

# libyaml's composer when PyYAML was built with it (it keeps line marks); pure Python otherwise.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOLEANS = {"true": True, "false": False}  # YAML 1.2's spelling; yes/no/on/off stay text
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Control characters (C0 but tab, line feed and carriage return; DEL; C1 but NEL) have no place
# in agreement text: they would reach the Markdown outputs raw, and can drive a terminal. YAML
# refuses them written literally, but a double-quoted escape such as "\x1b" would let them in.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character in ``text`` as ``0x1b``, or None: one rule for every way
    text comes in (YAML, budget tables, command-line options)."""
    bad = CONTROL_CHARACTERS.search(text)
    return f"0x{ord(bad.group()):02x}" if bad else None


@dataclass
class Source:
    """A parsed YAML file: its data and the line of each field path in it."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of the longest prefix of ``path`` that the file has (a missing field: its parent)."""
        parts = tuple(path)
        while True:
            if parts in self.lines:
                return self.lines[parts]
            if not parts:
                return None
            parts = parts[:-1]


def read_text(path: Path, *, display: str | None = None, keep_bom: bool = False) -> str:
    """Read a UTF-8 text input (a leading BOM is allowed, and dropped unless ``keep_bom``: the
    workspace writes a file back byte for byte), refusing huge or non-UTF-8 files."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise S75Error(Finding("error", f"cannot read file: {exc.strerror}", name)) from exc
    if size > MAX_BYTES:
        raise S75Error(
            Finding("error", f"file is {size:,} bytes; inputs are limited to {MAX_BYTES:,}", name)
        )
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8" if keep_bom else "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise S75Error(
            Finding("error", f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                    "save it as UTF-8", name, line=line)
        ) from exc


def _check_depth(text: str, name: str) -> None:
    """Refuse collections nested more than MAX_DEPTH deep, naming the line where it happens.

    Run only after libyaml failed: Python's scanner has no depth limit of its own.
    """
    depth = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                raise S75Error(Finding("error", f"YAML is nested too deeply to read (more than "
                                       f"{MAX_DEPTH} levels)", name,
                                       line=token.start_mark.line + 1))
        elif isinstance(token, _CLOSES):
            depth -= 1


def load_yaml(path: Path, *, display: str | None = None) -> Source:
    """Parse one YAML document into plain values plus a line map."""
    name = display or str(path)
    text = read_text(path, display=name)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        if _LOADER is not yaml.SafeLoader:
            _check_depth(text, name)  # libyaml stops at its own depth limit; say why, in our words
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise S75Error(Finding("error", f"YAML syntax error: {problem}", name, line=line)) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. a NUL
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise S75Error(Finding("error", f"YAML does not allow the character #x{code:04x} "
                               "(a control character); remove it", name, line=line)) from exc
    except yaml.YAMLError as exc:
        raise S75Error(Finding("error", f"YAML error: {exc}", name)) from exc
    except RecursionError:
        raise S75Error(Finding("error", "YAML is nested too deeply to read", name)) from None
    source = Source(name, None)
    if node is None:
        source.data = {}
        return source
    builder = _Builder(source)
    try:
        source.data = builder.build(node, ())
    except RecursionError:
        raise S75Error(Finding("error", "YAML is nested too deeply to read", name)) from None
    return source


class _Builder:
    """Turns composed nodes into Python values, recording lines and refusing aliases."""

    def __init__(self, source: Source):
        self.source = source
        self.seen: set[int] = set()
        self.resolver = yaml.resolver.Resolver()

    def fail(self, node: yaml.Node, path: PathKey, message: str) -> S75Error:
        return S75Error(
            Finding("error", message, self.source.file, format_path(path), node.start_mark.line + 1)
        )

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        if len(path) > MAX_DEPTH:
            raise self.fail(node, path[:MAX_DEPTH], f"YAML is nested too deeply to read (more "
                            f"than {MAX_DEPTH} levels)")
        if id(node) in self.seen:
            # An alias is the anchored node itself, whose mark is the anchor's line: name the
            # line of the field that holds the alias instead.
            raise S75Error(Finding(
                "error", "YAML anchors and aliases are not allowed in agreement data",
                self.source.file, format_path(path),
                self.source.line_of(path) or node.start_mark.line + 1))
        self.seen.add(id(node))
        self.source.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) \
                and node.tag not in (_MAP_TAG, _SEQ_TAG):
            # e.g. !!python/object/apply:os.system [...]: never constructed, but not data either
            raise self.fail(node, path, f"YAML tag {node.tag!r} is not allowed in agreement data")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, path, "YAML merge keys ('<<') are not allowed")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, path, "a field name must be plain text")
            key = key_node.value
            self._no_control(key_node, path, key)
            if key in out:
                first = self.source.lines.get(path + (key,))
                raise self.fail(
                    key_node, path + (key,), f"duplicate field '{key}' (first given on line {first})"
                )
            self.source.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, path + (key,))
        return out

    def _no_control(self, node: yaml.Node, path: PathKey, text: str) -> None:
        bad = control_character(text)
        if bad:
            raise self.fail(node, path, f"the control character {bad} is not allowed in "
                                        "agreement data")

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> str | bool | None:
        """The scalar's own text; None for null and a bool for plain ``true``/``false`` only."""
        plain = not node.style  # None from PyYAML's composer, "" from libyaml's
        implicit: str = self.resolver.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, node.value, (plain, not plain))
        if node.tag not in (implicit, _STR_TAG):
            # e.g. !!binary (bytes that may carry control characters), !!int 0x1F4, !!float
            raise self.fail(node, path, f"YAML tag {node.tag!r} is not allowed in agreement data; "
                                        "write the value as plain text")
        if plain and node.tag == _NULL_TAG:
            return None
        if plain and node.value in _BOOLEANS:
            return _BOOLEANS[node.value]
        text: str = node.value
        self._no_control(node, path, text)
        return text
