"""YAML loading that remembers where every value came from, so errors can cite a line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from model_jobs.errors import YamlLoadError
from model_jobs.specs.files import read_spec_file

Path_ = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BOOL_TAG = "tag:yaml.org,2002:bool"
# YAML 1.2 (and every JSON tool) reads only true and false as booleans; PyYAML follows YAML 1.1,
# where on, off, yes, no, y and n are booleans too. A trigger's `on:` key, or NO for Norway in a
# list of values, must stay the word written.
_BOOLEANS = {"true", "false"}


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


# libyaml's parser is several times faster than PyYAML's pure-Python one and keeps the marks
# (lines) we report, so files are read with it; the pure-Python one explains syntax errors better
# (it names a tab, for instance), so a file that fails is read again with it for the message.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ALIASES = "aliases (*name) are not supported in specs: write the value out"


class _ExplainingLoader(yaml.SafeLoader):
    """PyYAML's pure-Python loader, refusing an alias where it stands (its line)."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            raise ComposerError(None, None, _ALIASES, event.start_mark)
        return super().compose_node(parent, index)


_EXPLAINING_LOADER = _ExplainingLoader


def _build(node: yaml.Node, loc: Path_, lines: dict[Path_, int], loader: Any, seen: set[int]) -> Any:
    """Python data for `node`, recording each value's line under its path, in one walk.

    Unlike PyYAML's constructor, a key given twice is an error (PyYAML keeps the last one
    silently, and a spec with a key twice is a mistake), and so is an alias: a node met twice is
    one, and expanding aliases of aliases is how a 1 KB file fills memory (or never ends)."""
    if id(node) in seen:
        raise ConstructorError(None, None, _ALIASES, node.start_mark)
    seen.add(id(node))
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        # Strings are most of a spec; other scalars (numbers, booleans, null) go through PyYAML.
        if node.tag == _STR_TAG or (node.tag == _BOOL_TAG and node.value.lower() not in _BOOLEANS):
            return node.value
        return loader.construct_object(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, index), lines, loader, seen) for index, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise ConstructorError(None, None, "merge keys (<<) are not supported in specs", key_node.start_mark)
            key = _build(key_node, (), {}, loader, seen)
            try:
                hash(key)
            except TypeError:
                raise ConstructorError(None, None, "a key must be a plain value", key_node.start_mark) from None
            if key in result:
                raise ConstructorError(
                    None, None, f"duplicate key {key!r} (first at line {first_line[key]})", key_node.start_mark
                )
            first_line[key] = key_node.start_mark.line + 1
            child = (*loc, key)
            result[key] = _build(value_node, child, lines, loader, seen)
            lines[child] = key_node.start_mark.line + 1
        return result
    return loader.construct_object(node, deep=True)


def _parse(text: str, loader_class: type) -> tuple[Any, dict[Path_, int]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = _build(node, (), lines, loader, set()) if node is not None else None
        return data, lines
    finally:
        loader.dispose()


def _load_error(exc: yaml.YAMLError) -> YamlLoadError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        context = f" {exc.context}" if exc.context else ""
        return YamlLoadError(f"invalid YAML:{context} {problem}".strip(), mark.line + 1 if mark else None)
    return YamlLoadError(f"invalid YAML: {exc}", None)


_TOO_DEEP = "nests too deeply (thousands of levels of [ or {); specs need a handful"


def load_yaml(path: Path) -> YamlDocument:
    """Raises SpecFileError (YamlLoadError for YAML problems) with the message and line."""
    text = read_spec_file(path)
    try:
        data, lines = _parse(text, _FAST_LOADER)
    except RecursionError:
        raise YamlLoadError(_TOO_DEEP, None) from None
    except yaml.YAMLError as fast_error:
        try:
            _parse(text, _EXPLAINING_LOADER)
        except RecursionError:
            raise YamlLoadError(_TOO_DEEP, None) from None
        except yaml.YAMLError as exc:
            raise _load_error(exc) from exc
        raise _load_error(fast_error) from fast_error
    return YamlDocument(path=path, data=data, lines=lines)
