"""Safe, hostile-input-proof YAML loading that remembers the line of every field.

Catalog, stack and teacher files are written by staff and may be edited by anyone with repository
access, so they are treated as untrusted: size-limited, strictly UTF-8, safe-loaded (no Python tags),
no anchors/aliases (which is what alias bombs need), no duplicate keys, bounded nesting. Every
problem is raised as :class:`credfolio.errors.InputError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from credfolio.errors import InputError, Location

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40

FieldPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed YAML data plus the 1-based line of every mapping key and sequence item."""

    path: Path
    display_name: str
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one (missing fields point at their parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def location(self, path: FieldPath) -> Location:
        """A :class:`Location` for ``path`` with a dotted field name such as ``rubric.rows[2].id``."""
        return Location(self.display_name, self.line_of(path), dotted(path) or None)


def dotted(path: FieldPath) -> str:
    """Render a field path as ``a.b[2].c``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (alias bombs) outright."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "anchors and aliases (&name / *name) are not allowed; write the value out", event.start_mark
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.MarkedYAMLError(
                None, None, "anchors and aliases (&name / *name) are not allowed; write the value out", event.start_mark
            )
        return super().compose_node(parent, index)


def read_text(path: Path, display_name: str, *, max_bytes: int = MAX_BYTES) -> str:
    """Read a text file strictly: size limit, no NUL bytes, valid UTF-8 (a leading BOM is accepted)."""
    try:
        if path.is_symlink() or not path.is_file():
            kind = "a symbolic link" if path.is_symlink() else "not a regular file"
            raise InputError(f"{kind}; credfolio only reads regular files", location=Location(display_name))
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(
                f"file is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.0f} MB",
                location=Location(display_name),
            )
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read file: {error.strerror or error}", location=Location(display_name)) from None
    if b"\x00" in raw:
        raise InputError("file contains NUL bytes; it looks binary, not text", location=Location(display_name))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x}); save the file as UTF-8",
            location=Location(display_name, line),
        ) from None


def load_yaml(path: Path, display_name: str | None = None, *, max_bytes: int = MAX_BYTES) -> YamlDocument:
    """Load one YAML document safely, returning its data and a field-path → line map."""
    display_name = display_name or str(path)
    text = read_text(path, display_name, max_bytes=max_bytes)
    return parse_yaml(text, display_name, path=path)


# libyaml's composer is ~30x faster than PyYAML's pure-Python one; aliases are then caught by noticing
# the same node object twice while indexing lines (the composer shares aliased nodes).
_FastSafeLoader = getattr(yaml, "CSafeLoader", None)


def parse_yaml(text: str, display_name: str, *, path: Path | None = None) -> YamlDocument:
    """Parse YAML text (see :func:`load_yaml`)."""
    loader = _FastSafeLoader(text) if _FastSafeLoader is not None else _StrictLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[FieldPath, int] = {}
        if node is not None:
            lines[()] = node.start_mark.line + 1
            _index_lines(node, (), lines, display_name, depth=0, seen_nodes=set())
            data = loader.construct_document(node)
        else:
            data = None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = _describe_yaml_problem(error)
        if mark is not None and _indented_with_tab(text, mark.line):
            problem = "YAML does not allow tab characters for indentation; use spaces"
        raise InputError(problem, location=Location(display_name, line)) from None
    except yaml.YAMLError as error:
        raise InputError(f"YAML error: {error}".splitlines()[0], location=Location(display_name)) from None
    except RecursionError:
        raise InputError("YAML is nested too deeply", location=Location(display_name)) from None
    finally:
        loader.dispose()
    return YamlDocument(path=path or Path(display_name), display_name=display_name, data=data, lines=lines)


def _describe_yaml_problem(error: yaml.MarkedYAMLError) -> str:
    problem = (error.problem or error.context or "invalid YAML").strip()
    if "constructor for the tag" in problem or "could not determine a constructor" in problem:
        tag = problem.split("tag", 1)[-1].strip().strip("'")
        return f"YAML tag {tag} is not allowed; credfolio only reads plain YAML data"
    if problem.startswith("found character"):
        return f"YAML syntax error: {problem}"
    return f"YAML syntax error: {problem}" if "not allowed" not in problem else problem


def _indented_with_tab(text: str, line_index: int) -> bool:
    lines = text.splitlines()
    if not 0 <= line_index < len(lines):
        return False
    line = lines[line_index]
    return "\t" in line[: len(line) - len(line.lstrip())]


def _index_lines(
    node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], display_name: str, *, depth: int, seen_nodes: set[int]
) -> None:
    if id(node) in seen_nodes:
        raise InputError(
            "anchors and aliases (&name / *name) are not allowed; write the value out",
            location=Location(display_name, node.start_mark.line + 1),
        )
    seen_nodes.add(id(node))
    if depth > MAX_DEPTH:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels", location=Location(display_name, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError("mapping keys must be plain text", location=Location(display_name, line, dotted(path) or None))
            key = key_node.value
            if key in seen:
                raise InputError(
                    f"duplicate key '{key}' (first defined on line {seen[key]})",
                    location=Location(display_name, line, dotted(path + (key,))),
                )
            seen[key] = line
            lines[path + (key,)] = line
            _index_lines(value_node, path + (key,), lines, display_name, depth=depth + 1, seen_nodes=seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            _index_lines(item, path + (index,), lines, display_name, depth=depth + 1, seen_nodes=seen_nodes)
