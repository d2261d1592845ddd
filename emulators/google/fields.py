"""Partial responses: the ``fields`` system parameter (``items(id,etag),nextPageToken``).

Syntax (Google API "performance tips"): comma-separated selections; ``a/b`` selects ``b``
inside ``a``; ``a(b,c)`` selects ``b`` and ``c`` inside ``a`` (for arrays: inside each
element); ``*`` selects everything at its level.
"""

from __future__ import annotations

import re
from typing import Any

Tree = dict[str, Any]  # name -> subtree (None: the whole value)
_TOKEN = re.compile(r"\s*([A-Za-z0-9_$@.\-*]+|[,/()])")


class FieldsError(ValueError):
    pass


def parse(text: str) -> Tree:
    tokens = _tokenize(text)
    tree, position = _parse_list(tokens, 0)
    if position != len(tokens):
        raise FieldsError(f"Invalid field selection {text}")
    return tree


def _tokenize(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found:
            raise FieldsError(f"Invalid field selection {text}")
        tokens.append(found.group(1))
        position = found.end()
    return tokens


def _parse_list(tokens: list[str], position: int) -> tuple[Tree, int]:
    tree: Tree = {}
    while True:
        position = _parse_item(tokens, position, tree)
        if position < len(tokens) and tokens[position] == ",":
            position += 1
            continue
        return tree, position


def _parse_item(tokens: list[str], position: int, tree: Tree) -> int:
    path = [_name(tokens, position)]
    position += 1
    while position < len(tokens) and tokens[position] == "/":
        path.append(_name(tokens, position + 1))
        position += 2
    sub = None
    if position < len(tokens) and tokens[position] == "(":
        sub, position = _parse_list(tokens, position + 1)
        if position >= len(tokens) or tokens[position] != ")":
            raise FieldsError("Invalid field selection: missing ')'")
        position += 1
    _insert(tree, path, sub)
    return position


def _name(tokens: list[str], position: int) -> str:
    if position >= len(tokens) or tokens[position] in ",/()":
        raise FieldsError("Invalid field selection")
    return tokens[position]


def _insert(tree: Tree, path: list[str], sub: Tree | None) -> None:
    node = tree
    for name in path[:-1]:
        child = node.get(name, {})
        if child is None:  # already selected whole
            return
        node[name] = child
        node = child
    last = path[-1]
    if sub is None or node.get(last, {}) is None:
        node[last] = None
    else:
        node[last] = {**node.get(last, {}), **sub}


def apply(data: Any, tree: Tree | None) -> Any:
    """``data`` reduced to the selection ``tree``."""
    if tree is None:
        return data
    if isinstance(data, list):
        return [apply(item, tree) for item in data]
    if not isinstance(data, dict):
        return data
    if "*" in tree:
        return {key: apply(value, tree.get(key)) for key, value in data.items()}
    return {key: apply(data[key], sub) for key, sub in tree.items() if key in data}
