"""Mutant generation: small, one-place changes to the AST of one function or table.

Each mutant is the module's source with one expression replaced (the rest of the file,
comments included, is kept byte for byte), so a surviving mutant can be shown as a
one-line diff.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

_COMPARE_SWAPS: dict[type, type] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    path: str
    target: str
    line: int
    before: str
    after: str
    source: str  # the whole mutated module

    @property
    def label(self) -> str:
        return f"{self.path}:{self.line} {self.before.strip()} -> {self.after.strip()}"


def _find(tree: ast.Module, qualname: str) -> ast.AST:
    node: ast.AST = tree
    for part in qualname.split("."):
        for child in ast.iter_child_nodes(node):
            name = getattr(child, "name", None)
            if name is None and isinstance(child, ast.Assign | ast.AnnAssign):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                name = next((t.id for t in targets if isinstance(t, ast.Name)), None)
            if name == part:
                node = child
                break
        else:
            raise LookupError(f"{qualname!r} not found")
    return node


def _variants(node: ast.AST) -> Iterator[ast.AST]:
    """Mutated copies of one expression node (none if the node is not mutable)."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = _COMPARE_SWAPS.get(type(op))
            if swap:
                new = copy.deepcopy(node)
                new.ops[i] = swap()
                yield new
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield new
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield copy.deepcopy(node.operand)
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield ast.Constant(value=not node.value)
    elif (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    ):
        yield ast.Constant(value=node.value + 1)
        if node.value:
            yield ast.Constant(value=node.value - 1)
    elif isinstance(node, ast.Set | ast.Tuple | ast.List) and len(node.elts) > 1:
        # A table of states/kinds/actions: drop one member at a time.
        for i in range(len(node.elts)):
            new = copy.deepcopy(node)
            del new.elts[i]
            new.dropped = ast.unparse(node.elts[i])  # type: ignore[attr-defined]
            yield new
    elif isinstance(node, ast.Dict) and len(node.keys) > 1:
        for i in range(len(node.keys)):
            new = copy.deepcopy(node)
            del new.keys[i]
            del new.values[i]
            key = node.keys[i]
            new.dropped = ast.unparse(key) if key else "**"  # type: ignore[attr-defined]
            yield new


def _offsets(source: str) -> list[int]:
    starts, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line.encode())
        starts.append(total)
    return starts


def mutants(path: str, qualname: str, source: str) -> Iterator[Mutant]:
    """Every mutant of the function/class/assignment ``qualname`` in ``source``."""
    tree = ast.parse(source)
    scope = _find(tree, qualname)
    raw = source.encode()
    starts = _offsets(source)
    seen: set[tuple[int, int, str]] = set()
    # Annotations are not run (``from __future__ import annotations``): no mutants there.
    typing = {id(n) for a in _annotations(scope) for n in ast.walk(a)}
    for node in ast.walk(scope):
        if not hasattr(node, "end_lineno") or isinstance(node, ast.stmt) or id(node) in typing:
            continue
        if isinstance(getattr(node, "ctx", None), ast.Store):
            continue  # `for a, b in …` without `b` only crashes: not a rule
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            continue
        begin = starts[node.lineno - 1] + node.col_offset
        end = starts[node.end_lineno - 1] + node.end_col_offset
        before = raw[begin:end].decode()
        for variant in _variants(node):
            after = ast.unparse(variant)
            if isinstance(node, ast.UnaryOp) and not isinstance(variant, _ATOMS):
                # `c and not (a or b)` without `not` is `c and (a or b)`, not `c and a or b`.
                after = f"({after})"
            shown = f"without {variant.dropped}" if hasattr(variant, "dropped") else after
            key = (begin, end, after)
            if key in seen or after == before:
                continue
            seen.add(key)
            mutated = raw[:begin] + after.encode() + raw[end:]
            yield Mutant(
                path=path,
                target=qualname,
                line=node.lineno,
                before=_short(before),
                after=shown if len(shown) < 120 else shown[:117] + "...",
                source=mutated.decode(),
            )


_ATOMS = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)


def _annotations(scope: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(scope):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield node.returns


def _short(text: str) -> str:
    line = text.splitlines()[0] + (" …" if "\n" in text else "")
    return line if len(line) < 80 else line[:77] + "..."
