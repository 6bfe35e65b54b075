"""Graph helpers shared by the checks of model dependencies and of triggers. Pure."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Set
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def find_cycle(graph: Mapping[Node, Set[Node]]) -> list[Node] | None:
    """A cycle in `graph` (node -> the nodes it depends on), as a path that ends where it starts,
    or None. Nodes are visited in sorted order, so the same graph always reports the same cycle."""
    state: dict[Node, str] = {}
    stack: list[Node] = []

    def visit(node: Node) -> list[Node] | None:
        state[node] = "open"
        stack.append(node)
        for upstream in sorted(graph.get(node, ())):  # type: ignore[type-var]
            if state.get(upstream) == "open":
                return [*stack[stack.index(upstream) :], upstream]
            if upstream not in state and (cycle := visit(upstream)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):  # type: ignore[type-var]
        if node not in state and (cycle := visit(node)):
            return cycle
    return None
