"""Part two's checked values: modules, optimizers, lists of strings and dicts captured as plain
data without running learner code; bounds, module, optimizer and same-values rows in words;
values in messages."""

from __future__ import annotations

import torch
from torch import nn

from tutor.judge import snapshot
from tutor.judge.checks import run_checks
from tutor.judge.fill import fill, unfilled


def roundtrip(tmp_path, namespace, names):
    snapshot.take(namespace, names, str(tmp_path))
    return snapshot.load(str(tmp_path))


def boom(*args, **kwargs):
    raise SystemExit("learner code ran during the snapshot")


def hostile_module() -> nn.Module:
    """A model whose every hook into Python raises: __getattr__, __getattribute__ on the tables
    the snapshot reads, __repr__, named_parameters, state_dict, parameters, a training
    property. The snapshot must read it all the same and run none of them."""

    class Hostile(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 2)

    model = Hostile()
    for name in (
        "__getattr__",
        "__repr__",
        "named_parameters",
        "state_dict",
        "parameters",
        "children",
        "modules",
        "extra_repr",
    ):
        setattr(Hostile, name, boom)

    def getattribute(self, name):
        if name in ("_modules", "_parameters", "_buffers", "training", "__dict__"):
            boom()
        return object.__getattribute__(self, name)

    Hostile.__getattribute__ = getattribute  # type: ignore[method-assign]
    return model


def test_a_hostile_module_subclass_is_described_without_running_its_code(tmp_path):
    values = roundtrip(tmp_path, {"model": hostile_module()}, ["model", "model.fc.weight"])
    m = values["model"]
    assert m.kind == "module" and m.type_name == "Hostile"
    assert m.module["layers"] == [("fc", "Linear")]
    assert m.module["count"] == 8 and m.module["training"] is True
    assert [(p["name"], p["shape"]) for p in m.module["params"]] == [
        ("fc.weight", (2, 3)),
        ("fc.bias", (2,)),
    ]
    assert values["model.fc.weight"].data.shape == (2, 3)


def test_a_module_subclass_cannot_hide_a_parameter_behind_a_property(tmp_path):
    class Sneaky(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

    Sneaky._modules = property(boom)  # type: ignore[assignment]  # a data descriptor on the class
    values = roundtrip(tmp_path, {"m": Sneaky.__new__(Sneaky)}, ["m"])
    assert values["m"].kind == "module"  # read, and nothing of the learner's ran


def test_optimizer_lists_of_strings_dicts_and_indexes(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(5, 4)).sum().backward()
    namespace = {
        "model": model,
        "opt": opt,
        "names": [n for n, _ in model.named_parameters()],
        "d": dict(opt.defaults),
        "losses": [1.0, 0.5, 0.25],
    }
    values = roundtrip(
        tmp_path, namespace, ["model", "opt", "names", "d", "losses[-1]", "model[2].bias"]
    )
    groups = values["opt"].optimizer["groups"]
    assert groups[0]["hyper"]["lr"] == 0.1 and groups[0]["hyper"]["momentum"] == 0.9
    ids = {p["id"] for p in values["model"].module["params"]}
    assert set(groups[0]["params"]) == ids
    assert values["names"].plain == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert values["d"].plain["lr"] == 0.1
    assert values["losses[-1]"].scalar == 0.25
    assert values["model[2].bias"].data.shape == (2,)
    nonzero = [p["grad_nonzero"] for p in values["model"].module["params"]]
    assert all(n and n > 0 for n in nonzero)


def _verdict(tmp_path, learner_ns, names, expect):
    (tmp_path / "l").mkdir()
    learner = roundtrip(tmp_path / "l", learner_ns, names)
    return run_checks({"expect": expect, "feedback": []}, learner, None, lang="en")


def test_bounds_are_rows_in_words(tmp_path):
    ns = {"w": torch.tensor([[2.41]]), "acc": 0.83, "losses": [5.0, float("nan")]}
    verdict = _verdict(
        tmp_path,
        ns,
        ["w", "acc", "losses[-1]"],
        [
            {"var": "w", "near": 3.0, "within": 0.1},
            {"var": "acc", "at_least": 0.9},
            {"var": "losses[-1]", "finite": True},
        ],
    )
    rows = {c.name: c for c in verdict.checks}
    assert (rows["w.near"].expected, rows["w.near"].got) == ("3 ± 0.1", "2.41")
    assert rows["w.near"].message == "`w` should be within 0.1 of 3; it is 2.41."
    assert (rows["acc.at_least"].expected, rows["acc.at_least"].got) == ("≥ 0.9", "0.83")
    assert not rows["losses[-1].finite"].passed and rows["losses[-1].finite"].got == "nan"
    assert "losses_" not in str(verdict.to_json())  # no mangled names


def test_module_and_optimizer_rows(tmp_path):
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), nn.Softmax(dim=1))
    stale = nn.Linear(2, 2)
    ns = {"model": model, "opt": torch.optim.Adam(stale.parameters(), lr=0.001)}
    verdict = _verdict(
        tmp_path,
        ns,
        ["model", "opt"],
        [
            {"var": "model", "layers": ["Linear", "ReLU", "Linear"], "params": 2410},
            {"var": "opt", "lr": 0.01, "optimizes": "model"},
        ],
    )
    rows = {c.name: c for c in verdict.checks}
    assert rows["model.layers"].got == "Linear, ReLU, Linear, Softmax"
    assert rows["model.params"].passed
    assert (rows["opt.lr"].expected, rows["opt.lr"].got) == ("0.01", "0.001")
    assert rows["opt.optimizes"].got == "another model's parameters"


def test_same_values_as_compares_state_dicts(tmp_path):
    model = nn.Linear(3, 2)
    restored = nn.Linear(3, 2)
    verdict = _verdict(
        tmp_path,
        {"model": model, "restored": restored},
        ["model", "restored"],
        [{"var": "restored", "same_values_as": "model"}],
    )
    row = next(c for c in verdict.checks if c.name == "restored.same_values")
    assert not row.passed and "weight" in row.message


def test_values_in_messages(tmp_path):
    values = roundtrip(tmp_path, {"w": torch.tensor([[5.7003]]), "n": 3}, ["w", "n"])
    assert fill("ended at {w:.2f} after {n} steps {{braces}}", values) == (
        "ended at 5.70 after 3 steps {braces}"
    )
    assert unfilled("{w} and {missing.name}", values) == ["missing.name"]


def test_values_against_the_reference_name_it_in_words(tmp_path):
    # "the reference" is no name of the learner's: never shown as code (`the reference`), and
    # in Chinese never set off by spaces (和 参考答案 不同).
    torch.manual_seed(0)
    (tmp_path / "l").mkdir()
    (tmp_path / "r").mkdir()
    learner = roundtrip(tmp_path / "l", {"layer": nn.Linear(3, 2)}, ["layer"])
    reference = roundtrip(tmp_path / "r", {"layer": nn.Linear(3, 2)}, ["layer"])
    spec = {"expect": [{"var": "layer", "props": ["values"]}], "feedback": []}
    for lang, words in (("en", "the reference"), ("zh", "和参考答案不同")):
        verdict = run_checks(spec, learner, reference, lang=lang)
        row = next(c for c in verdict.checks if c.name == "layer.values")
        assert not row.passed and words in row.message, row.message
        assert "`" + words.strip("和不同") + "`" not in row.message
