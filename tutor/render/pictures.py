"""Pictures for feedback: value diffs, autograd graphs and broadcasting, as rich renderables.

UI side: no torch here. Each picture takes the plain-JSON payload its producer
wrote (``tutor.judge.diagnose.value_picture``, ``tutor.judge.graph.describe``,
``tutor.render.errors.explain``) and renders itself through ``__rich_console__``, so
the transcript prints it like any other renderable. Marks are characters as
well as colours (``✗`` beside a differing cell, ``^`` under a clashing size), so
plain text, NO_COLOR and screen readers see them too. ``picture_for(payload,
lang)`` picks the right class for a payload.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from tutor.i18n import resolve, t
from tutor.render.text import markdown


def _w(key: str, lang: str) -> str:
    return t(f"pictures.{key}", lang)


def _num(value: Any) -> str:
    """A number the way a learner reads it: ``1.0``, ``0.25``, ``3``, ``True``, ``nan``."""
    if isinstance(value, (bool, int, str)):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e6:
            return f"{value:.1f}"
        return f"{value:.4g}"
    return str(value)


def _shape(shape: Sequence[int] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _rows(values: Any) -> list[list[Any]]:
    """A 0-, 1- or 2-d nested list as rows of cells (a vector is one row)."""
    if not isinstance(values, list):
        return [[values]]
    if not values or not isinstance(values[0], list):
        return [values]
    return values


class DiffPicture:
    """Expected vs yours, side by side, differing cells marked; or a summary for big tensors.

    ``payload`` is ``{"kind": "diff", "name", "expected", "got", "mismatch"}`` or
    ``{"kind": "summary", "name", "count", "total", "max_diff", "at", "expected_at",
    "got_at"}`` as written by ``tutor.judge.diagnose.value_picture``.
    """

    def __init__(self, payload: dict[str, Any], lang: str = "en") -> None:
        self.payload = payload
        self.lang = lang

    def _grid(self, values: Any, marks: Any, mark: bool) -> Table:
        """Cells right-aligned; in "yours" each value is followed by a 3-wide mark column
        whose ✗ touches the value it marks."""
        grid = Table.grid(padding=(0, 0) if mark else (0, 1))
        rows, flags = _rows(values), _rows(marks)
        for _ in range(max((len(r) for r in rows), default=0)):
            grid.add_column(justify="right")
            if mark:
                grid.add_column()
        for row, row_flags in zip(rows, flags, strict=False):
            cells: list[Text] = []
            for value, bad in zip(row, row_flags, strict=False):
                style = ("bold red" if mark else "green") if bad else ""
                cells.append(Text(_num(value), style=style))
                if mark:
                    # The mark hugs the value it marks, and a gap follows it: "1✗  2".
                    cells.append(Text("✗  " if bad else "   ", style="bold red"))
            grid.add_row(*cells)
        return grid

    def _diff(self, console: Console, options: ConsoleOptions) -> RenderResult:
        p = self.payload
        yield Text(f"{p.get('name', '')}: {_w('differs', self.lang)}", style="dim")
        expected = self._grid(p["expected"], p["mismatch"], False)
        got = self._grid(p["got"], p["mismatch"], True)
        need = sum(Measurement.get(console, options, g).maximum for g in (expected, got)) + 3
        if need > options.max_width:  # too narrow for side by side: one above the other
            yield Text(_w("expected", self.lang), style="bold")
            yield expected
            yield Text(_w("yours", self.lang), style="bold")
            yield got
            return
        table = Table(box=None, pad_edge=False, padding=(0, 3, 0, 0))
        table.add_column(_w("expected", self.lang))
        table.add_column(_w("yours", self.lang))
        table.add_row(expected, got)
        yield table

    def _summary(self) -> RenderResult:
        p = self.payload
        at = str(tuple(int(i) for i in p.get("at", [])))  # (4,) for a vector, as torch writes it
        share = 100.0 * p["count"] / max(p["total"], 1)
        text = t(
            "pictures.summary_short" if p.get("short") else "pictures.summary",
            self.lang,
            name=p.get("name", ""),
            count=p["count"],
            total=p["total"],
            share=f"{share:.1f}",
            max_diff=_num(p["max_diff"]),
            at=at,
            expected_at=_num(p["expected_at"]),
            got_at=_num(p["got_at"]),
        )
        yield Text(text)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.payload.get("kind") == "summary":
            yield from self._summary()
        else:
            yield from self._diff(console, options)


class GraphTree:
    """The autograd graph of a tensor as a tree: ops (grad_fn names) down to the leaves.

    ``payload`` is what ``tutor.judge.graph.describe`` returns: ``{"kind": "graph",
    "name", "shape", "dtype", "grad_fn", "root": node, "truncated"}`` where a node is
    ``{"op", "children", "name"?}``, ``{"leaf": true, "name", "shape", "requires_grad",
    "has_grad"}``, ``{"op", "seen": true}`` or ``{"truncated": true}``; or an error
    payload ``{"kind": "graph", "error": ..., "message": {"en", "zh"}}``.
    """

    def __init__(self, payload: dict[str, Any], lang: str = "en") -> None:
        self.payload = payload
        self.lang = lang

    def _label(self, node: dict[str, Any]) -> Text:
        if node.get("truncated"):
            return Text(_w("more", self.lang), style="dim")
        if node.get("leaf"):
            name = node.get("name") or "?"
            text = Text(f"{_w('leaf', self.lang)} ", style="dim")
            text.append(name, style="bold cyan")
            text.append(f" {_shape(node.get('shape'))}")
            if node.get("requires_grad"):
                text.append(" requires_grad")
            grad = _w("grad_set", self.lang) if node.get("has_grad") else _w("grad_none", self.lang)
            text.append(f"  {grad}", style="green" if node.get("has_grad") else "dim")
            return text
        text = Text(str(node.get("op", "?")), style="magenta")
        if node.get("name") and not node.get("seen"):
            text.append(f" → {node['name']}", style="bold cyan")
        if node.get("seen"):
            text.append(f" {_w('seen', self.lang)}", style="dim")
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        p = self.payload
        if p.get("error"):
            message = p.get("message") or {}
            # Markdown, so `code` in the reason shows as code, not between backticks
            yield markdown(message.get(resolve(self.lang)) or message.get("en", p["error"]))
            return
        head = Text(str(p.get("name", "")), style="bold")
        head.append(f" {_shape(p.get('shape'))} {p.get('dtype', '')}".rstrip())
        # How deep a tree may nest here: each level costs a guide of 4 cells, and a node's
        # label keeps room to be read whole. Deeper subtrees continue below, numbered.
        depth = max(1, (options.max_width - _LABEL_ROOM) // _GUIDE)
        blocks: list[tuple[Text, dict[str, Any]]] = [(head, {"children": [p["root"]]})]
        done = 0
        while done < len(blocks):
            title, node = blocks[done]
            done += 1
            tree = Tree(title)
            for child in node.get("children", ()):
                self._add(tree, child, 1, depth, blocks)
            yield tree
        if p.get("truncated"):
            yield Text(_w("cut_note", self.lang), style="dim")

    def _add(
        self,
        tree: Tree,
        node: dict[str, Any],
        level: int,
        depth: int,
        blocks: list[tuple[Text, dict[str, Any]]],
    ) -> None:
        label = self._label(node)
        children = node.get("children", ())
        if children and level >= depth:
            # Too deep for the width: the node's subtree goes on in a block of its own.
            number = len(blocks)
            label.append(f"  ⤵ {t('pictures.continued_at', self.lang, n=number)}", style="yellow")
            title = Text(f"⤷ {t('pictures.continued', self.lang, n=number)}", style="yellow")
            blocks.append((title + self._label(node), node))
            tree.add(label)
            return
        branch = tree.add(label)
        for child in children:
            self._add(branch, child, level + 1, depth, blocks)


_GUIDE = 4  # the cells one level of a rich Tree indents
_LABEL_ROOM = 40  # the cells a node's label keeps, however deep it sits


def _broadcast(shapes: Sequence[Sequence[int]]) -> tuple[list[int] | None, int | None]:
    """The broadcast result shape, or None and the clashing dim (negative, from the right)."""
    width = max((len(s) for s in shapes), default=0)
    result: list[int] = []
    for back in range(1, width + 1):
        sizes = {s[-back] for s in shapes if len(s) >= back} - {1}
        if len(sizes) > 1:
            return None, -back
        result.insert(0, sizes.pop() if sizes else 1)
    return result, None


class BroadcastPicture:
    """Shapes drawn right-aligned, the clashing dimension marked, and the result when they fit.

    ``shapes`` are the operand shapes (``[[3, 2], [3]]``); ``clash`` is the
    clashing dim counted from the right (``-1`` is the last), computed when
    None. When only the clashing sizes are known (the message of a failed
    broadcast names two sizes and a dim of the result), pass ``shapes=None``,
    ``sizes=[2, 3]`` and ``dim=1``.
    """

    def __init__(
        self,
        shapes: Sequence[Sequence[int]] | None,
        clash: int | None = None,
        lang: str = "en",
        *,
        sizes: Sequence[int] | None = None,
        dim: int | None = None,
        inplace: bool = False,
        names: Sequence[str] | None = None,
    ) -> None:
        self.shapes = [list(s) for s in shapes] if shapes is not None else None
        self.names = list(names or ())
        self.lang = lang
        self.sizes = list(sizes or ())
        self.dim = dim
        self.inplace = inplace
        self.result: list[int] | None = None
        self.clash = clash
        if self.shapes is not None:
            self.result, found = _broadcast(self.shapes)
            width = max((len(s) for s in self.shapes), default=0)
            if clash is None or not -width <= clash < 0:  # absent or not a dim of these shapes
                self.clash = found

    @classmethod
    def from_payload(cls, payload: dict[str, Any], lang: str = "en") -> BroadcastPicture:
        """Build from ``{"kind": "broadcast", "shapes", "clash", "sizes", "dim", "inplace",
        "names"}`` (``names``: the operands' variable names, used as row labels)."""
        return cls(
            payload.get("shapes"),
            payload.get("clash"),
            lang,
            sizes=payload.get("sizes"),
            dim=payload.get("dim"),
            inplace=bool(payload.get("inplace")),
            names=payload.get("names"),
        )

    def _table(self, rows: Iterable[tuple[str, list[str], str]], width: int) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column()
        for _ in range(width):
            table.add_column(justify="right")
        for label, cells, style in rows:
            padded = [""] * (width - len(cells)) + cells
            table.add_row(Text(label, style="dim"), *[Text(c, style=style) for c in padded])
        return table

    def _full(self, shapes: list[list[int]]) -> RenderResult:
        width = max((len(s) for s in shapes), default=0)
        names = "abcdefgh"
        if self.inplace:
            labels = [_w("target", self.lang), _w("result", self.lang)]
        elif len(self.names) == len(shapes):
            labels = self.names
        else:
            labels = [names[i % 8] for i in range(len(shapes))]
        rows = [(label, [str(n) for n in s], "") for label, s in zip(labels, shapes, strict=False)]
        if self.clash is not None and -width <= self.clash < 0 and not self.inplace:
            marker = [""] * width
            marker[width + self.clash] = "^"
            rows.append(("", marker, "bold red"))
            yield self._table(rows, width)
            yield Text(_w("clash", self.lang), style="red")
            return
        if self.result is not None and not self.inplace:
            rows.append((_w("result", self.lang), [str(n) for n in self.result], "bold green"))
        yield self._table(rows, width)
        yield Text(_w("inplace" if self.inplace else "ok", self.lang), style="dim")

    def _partial(self) -> RenderResult:
        # The operands as the learner wrote them when the code says; else torch's own a and b.
        labels = self.names if len(self.names) == len(self.sizes) else list("ab")
        rows = [
            (name, ["…", str(size)], "") for name, size in zip(labels, self.sizes, strict=False)
        ]
        rows.append(("", ["", "^"], "bold red"))
        yield self._table(rows, 2)
        where = t("pictures.result_dim", self.lang, dim=self.dim)
        yield Text(
            t("pictures.clash_at", self.lang, clash=_w("clash", self.lang), where=where),
            style="red",
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.shapes is None:
            yield from self._partial()
        else:
            yield from self._full(self.shapes)


def picture_for(
    payload: dict[str, Any], lang: str = "en"
) -> DiffPicture | GraphTree | BroadcastPicture | None:
    """The renderable for a picture payload, by its ``kind``; None for an unknown kind."""
    kind = payload.get("kind")
    if kind in ("diff", "summary"):
        return DiffPicture(payload, lang)
    if kind == "graph":
        return GraphTree(payload, lang)
    if kind == "broadcast":
        return BroadcastPicture.from_payload(payload, lang)
    return None


def render_text(renderable: Any, width: int = 60) -> str:
    """Plain text of a renderable (no colour), for tests and piped output."""
    import io

    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(Group(renderable))
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return text


__all__ = ["BroadcastPicture", "DiffPicture", "GraphTree", "picture_for", "render_text"]
