"""tutor.judge.graph.describe walks real autograd graphs into bounded, JSON-able trees."""

from __future__ import annotations

import json
from typing import Any

import torch

from tutor.judge.graph import describe


def leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    if node.get("leaf"):
        return [node]
    return [leaf for child in node.get("children", ()) for leaf in leaves(child)]


def test_describes_ops_and_names_leaves_by_identity() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.ones(3, requires_grad=True)
    h = x * w
    y = (h + 1).sum()
    y.backward()
    other = x.clone()  # same values, different object: must not be taken for x
    graph = describe({"x": x, "w": w, "h": h, "y": y, "other": other}, "y")
    json.dumps(graph)
    assert graph["kind"] == "graph" and graph["grad_fn"] == "SumBackward0"
    assert graph["shape"] == [] and graph["dtype"] == "float32" and not graph["truncated"]
    root = graph["root"]
    assert root["op"] == "SumBackward0" and root["name"] == "y"
    add = root["children"][0]
    assert add["op"] == "AddBackward0"
    mul = add["children"][0]
    assert mul["op"] == "MulBackward0" and mul["name"] == "h"
    assert [(leaf["name"], leaf["shape"], leaf["has_grad"]) for leaf in leaves(root)] == [
        ("x", [3], True),
        ("w", [3], True),
    ]


def test_unnamed_leaf_and_shared_subgraph() -> None:
    x = torch.ones(2, requires_grad=True)
    h = x * 2
    y = h + h  # the same node twice: written once, then referred to
    graph = describe({"y": y}, "y")
    children = graph["root"]["children"]
    assert children[0]["op"] == "MulBackward0" and "children" in children[0]
    assert children[1] == {"op": "MulBackward0", "seen": True}
    assert leaves(graph["root"])[0]["name"] is None


def test_module_parameters_are_named() -> None:
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 1)
    x = torch.ones(3)
    z = lin(x).sum()
    names = {leaf["name"] for leaf in leaves(describe({"lin": lin, "x": x, "z": z}, "z")["root"])}
    assert names == {"lin.weight", "lin.bias"}


def test_bounded() -> None:
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.0
    graph = describe({"y": y}, "y", max_depth=10, max_nodes=50)
    assert graph["truncated"] and graph["nodes"] <= 50
    assert len(json.dumps(graph)) < 5000


def test_errors() -> None:
    x = torch.ones(2, requires_grad=True)
    ns = {"x": x, "n": 3, "c": torch.ones(2)}
    assert describe(ns, "missing")["error"] == "missing"
    assert describe(ns, "n")["error"] == "not-tensor"
    leaf = describe(ns, "x")
    assert leaf["error"] == "leaf" and "grad_fn" in leaf["message"]["en"]
    assert "叶子" in leaf["message"]["zh"]
    assert describe(ns, "c")["error"] == "no-grad"
    assert describe(ns, "x.foo")["error"] == "missing"
    json.dumps(describe(ns, "n"))
