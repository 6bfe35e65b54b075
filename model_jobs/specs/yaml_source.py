"""YAML loading that remembers where every value came from, so errors can cite a line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class YamlLoadError(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class YamlDocument:
    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, loc: Path_) -> int | None:
        """Line of the deepest known prefix of `loc` (a missing field points at its parent)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


class _StrictLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    # Plain PyYAML keeps the last of two equal keys; a spec with a key twice is a mistake.
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _record_lines(node: yaml.Node, loc: Path_, lines: dict[Path_, int], loader: _StrictLoader) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = (*loc, key)
            _record_lines(value_node, child, lines, loader)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*loc, index), lines, loader)


def load_yaml(path: Path) -> YamlDocument:
    text = path.read_text(encoding="utf-8")
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
            lines: dict[Path_, int] = {}
            if node is not None:
                _record_lines(node, (), lines, loader)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        context = f" {exc.context}" if exc.context else ""
        raise YamlLoadError(f"invalid YAML:{context} {problem}".strip(), mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlLoadError(f"invalid YAML: {exc}", None) from exc
    return YamlDocument(path=path, data=data, lines=lines)
