"""The agency tree: an agency and every unit below it."""
from __future__ import annotations

from collections.abc import Iterable


def descendants(pairs: Iterable[tuple[int, int | None]], root: int) -> set[int]:
    """Ids of `root` and all agencies below it, from (id, parent_id) pairs."""
    children: dict[int | None, list[int]] = {}
    for agency_id, parent_id in pairs:
        children.setdefault(parent_id, []).append(agency_id)
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, []))
    return seen
