"""Snapshots: what the worker records about each value; learner patches cannot change it."""

from __future__ import annotations

import builtins

import numpy as np
import torch

from tutor.judge import snapshot


def roundtrip(tmp_path, namespace, names):
    snapshot.take(namespace, names, str(tmp_path))
    return snapshot.load(str(tmp_path))


def test_tensor_meta_grad_and_storage(tmp_path):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = x.detach()
    v = roundtrip(tmp_path, {"x": x, "y": y}, ["x", "y"])
    assert v["x"].kind == "tensor" and v["x"].shape == (2,) and v["x"].dtype == "torch.float32"
    assert v["x"].requires_grad and v["x"].is_leaf and v["x"].has_grad
    assert torch.equal(v["x.grad"].data, torch.tensor([2.0, 4.0]))
    assert v["x"].storage == v["y"].storage and v["x"].storage[1] == 8
    assert v["y"].grad_fn is None and not v["y"].requires_grad


def test_non_leaf_grad_is_read_without_a_warning(tmp_path):
    x = torch.tensor(2.0, requires_grad=True)
    y = x * 3
    v = roundtrip(tmp_path, {"y": y}, ["y", "y.grad"])  # warnings are errors in the tests
    assert v["y"].grad_fn == "MulBackward0" and not v["y"].has_grad
    assert v["y.grad"].kind == "none"


def test_python_values_and_arrays(tmp_path):
    a = np.arange(4)
    v = roundtrip(
        tmp_path,
        {
            "l": [1, 2, 3],
            "t": (1.5, 2.5),
            "a": a,
            "n": 7,
            "f": 2.5,
            "b": True,
            "s": "hi",
            "none": None,
            "mixed": [1, "a"],
            "big": 10**30,
            "dt": torch.float32,
        },
        ["l", "t", "a", "n", "f", "b", "s", "none", "mixed", "big", "dt", "gone"],
    )
    assert v["l"].kind == "list" and torch.equal(v["l"].data, torch.tensor([1, 2, 3]))
    assert v["t"].kind == "tuple" and v["t"].shape == (2,)
    assert v["a"].kind == "ndarray" and v["a"].dtype == "int64"
    assert v["a"].storage == (a.__array_interface__["data"][0], 32)
    assert (v["n"].kind, v["n"].scalar) == ("int", 7) and v["f"].scalar == 2.5
    assert v["b"].kind == "bool" and v["s"].scalar == "hi" and v["none"].kind == "none"
    assert v["mixed"].data is None and v["big"].data is None
    assert v["dt"].kind == "other" and v["dt"].repr == "torch.float32"
    assert v["gone"].kind == "missing"


def test_patched_builtins_and_torch_do_not_change_the_snapshot(tmp_path, monkeypatch):
    x = torch.zeros(3, 2)
    monkeypatch.setattr(torch.Tensor, "shape", property(lambda self: torch.Size([2, 3])))
    monkeypatch.setattr(torch.Tensor, "__repr__", lambda self: "lies")
    monkeypatch.setattr(torch, "save", lambda *a, **k: None)
    real_isinstance = builtins.isinstance
    builtins.isinstance = lambda *a: False  # last in, first out: pytest itself needs it
    try:
        snapshot.take({"x": x}, ["x"], str(tmp_path))
    finally:
        builtins.isinstance = real_isinstance
    monkeypatch.undo()
    v = snapshot.load(str(tmp_path))["x"]
    assert v.kind == "tensor" and v.shape == (3, 2) and v.repr.startswith("tensor(")


def test_load_unpickles_nothing(tmp_path):
    snapshot.take({"x": torch.ones(2)}, ["x"], str(tmp_path))
    # plain bytes and JSON: nothing the worker writes is unpickled
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meta.json", "values.bin"]
    assert (tmp_path / "values.bin").read_bytes()[:8] == torch.ones(2).numpy().tobytes()
    v = snapshot.load(str(tmp_path))["x"]
    assert type(v.data) is torch.Tensor and torch.equal(v.data, torch.ones(2))
