"""The checker on values built in-process: every expectation kind, property by property."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tutor.judge import snapshot
from tutor.judge.checks import evaluate, run_checks
from tutor.judge.snapshot import Value
from tutor.judge.verdict import Verdict


def values(tmp_path, namespace, names=None, sub="v"):
    dest = tmp_path / sub
    while dest.exists():
        dest = dest.with_name(dest.name + "_")
    dest.mkdir()
    snapshot.take(namespace, list(names or namespace), str(dest))
    return snapshot.load(str(dest))


def check(tmp_path, learner_ns, reference_ns=None, spec=None, names=None, **kw) -> Verdict:
    names = names or sorted(set(learner_ns) | set(reference_ns or {}))
    learner = values(tmp_path, learner_ns, names, "learner")
    reference = values(tmp_path, reference_ns, names, "ref") if reference_ns is not None else None
    return run_checks(spec or {"check": names}, learner, reference, **kw)


def failing(verdict: Verdict) -> list[str]:
    return [c.name for c in verdict.checks if not c.passed]


def test_same_tensor_passes(tmp_path):
    v = check(tmp_path, {"x": torch.zeros(2, 3)}, {"x": torch.zeros(2, 3)})
    assert v.passed
    assert [c.name for c in v.checks] == ["x.type", "x.shape", "x.dtype", "x.device", "x.values"]


def test_shape_leads_and_values_skipped(tmp_path):
    v = check(tmp_path, {"x": torch.zeros(3, 2)}, {"x": torch.zeros(2, 3)})
    assert not v.passed
    assert v.first_failure.name == "x.shape"
    assert v.first_failure.expected == "(2, 3)" and v.first_failure.got == "(3, 2)"
    assert "x.values" not in [c.name for c in v.checks]


def test_dtype_fails_but_values_compared(tmp_path):
    v = check(tmp_path, {"x": torch.tensor([1, 2, 3])}, {"x": torch.tensor([1.0, 2.0, 3.0])})
    assert failing(v) == ["x.dtype"]
    assert [c for c in v.checks if c.name == "x.values"][0].passed


def test_values_differ_message_says_where(tmp_path):
    v = check(tmp_path, {"x": torch.tensor([1.0, 2.0, 5.0])}, {"x": torch.tensor([1.0, 2.0, 3.0])})
    assert v.first_failure.name == "x.values"
    assert "1 of 3" in v.first_failure.message and "(2,)" in v.first_failure.message
    # C11 of the newcomer walk: with several names checked, the line says which one
    assert v.first_failure.message.startswith("`x`: 1 of 3 values differ")


def test_a_scalar_difference_names_what_differs(tmp_path):
    def run(k):
        x = torch.tensor(2.0, requires_grad=True)
        for _ in range(k):
            (x * 7).backward()
        return {"x": x}

    v = check(tmp_path, run(2), run(1))
    assert v.first_failure.name == "x.grad"
    assert v.first_failure.message == "`x.grad` differs by 7."


def test_values_within_tolerance(tmp_path):
    v = check(tmp_path, {"x": torch.tensor([1.0 + 1e-7])}, {"x": torch.tensor([1.0])})
    assert v.passed


def test_tolerance_override(tmp_path):
    spec = {"expect": [{"var": "x", "props": ["values"], "atol": 0.5, "rtol": 0.0}]}
    v = check(tmp_path, {"x": torch.tensor([1.4])}, {"x": torch.tensor([1.0])}, spec=spec)
    assert v.passed


def test_missing_name(tmp_path):
    v = check(tmp_path, {}, {"x": torch.zeros(2)}, names=["x"])
    assert v.first_failure.name == "x.type" and v.first_failure.got == "not defined"


def test_type_tensor_vs_list(tmp_path):
    v = check(tmp_path, {"x": [1.0, 2.0]}, {"x": torch.tensor([1.0, 2.0])})
    assert failing(v) == ["x.type"]


def test_numbers_int_and_float_compare(tmp_path):
    assert check(tmp_path, {"n": 7}, {"n": 7.0}).passed
    assert check(tmp_path, {"s": "abc"}, {"s": "abc"}).passed


def test_string_differs(tmp_path):
    assert failing(check(tmp_path, {"s": "abd"}, {"s": "abc"})) == ["s.values"]


def test_explicit_properties(tmp_path):
    spec = {
        "expect": [
            {
                "var": "x",
                "type": "tensor",
                "shape": [2],
                "dtype": "float32",
                "values": [1.0, 2.0],
                "device": "cpu",
            }
        ]
    }
    assert check(tmp_path, {"x": torch.tensor([1.0, 2.0])}, spec=spec, names=["x"]).passed
    bad = check(tmp_path, {"x": torch.tensor([1, 2])}, spec=spec, names=["x"])
    assert failing(bad) == ["x.dtype"]


def test_grad_compared_with_reference(tmp_path):
    def run(k):
        x = torch.tensor([2.0], requires_grad=True)
        for _ in range(k):
            (x**2 + 3 * x + 1).sum().backward()
        return {"x": x}

    assert check(tmp_path, run(1), run(1)).passed
    v = check(tmp_path, run(2), run(1))
    assert v.first_failure.name == "x.grad"
    assert v.first_failure.expected == "tensor([7.])"
    assert v.first_failure.got == "tensor([14.])"


def test_grad_missing_and_requires_grad(tmp_path):
    x = torch.tensor([2.0], requires_grad=True)
    (x * 3).sum().backward()
    v = check(tmp_path, {"x": torch.tensor([2.0])}, {"x": x})
    assert v.first_failure.name == "x.requires_grad"
    assert "x.grad" in failing(v)


def test_explicit_grad_none_is_leaf_grad_fn(tmp_path):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    spec = {
        "expect": [
            {"var": "y", "is_leaf": False, "grad_fn": "Mul", "grad": "none", "requires_grad": True}
        ]
    }
    assert check(tmp_path, {"y": y}, spec=spec, names=["y"]).passed
    spec2 = {"expect": [{"var": "y", "grad_fn": "AddBackward0"}]}
    assert failing(check(tmp_path, {"y": y}, spec=spec2, names=["y"])) == ["y.grad_fn"]


def test_shares_memory_and_independent(tmp_path):
    t = torch.arange(4.0)
    shared = {"t": t, "v": t.view(2, 2), "c": t.clone(), "a": t.numpy()}
    spec = {
        "expect": [
            {"var": "v", "shares_memory_with": "t"},
            {"var": "a", "shares_memory_with": "t"},
            {"var": "c", "independent_of": "t"},
        ]
    }
    v = check(tmp_path, shared, spec=spec, names=["t", "v", "c", "a"])
    assert v.passed, v.checks
    spec = {"expect": [{"var": "c", "shares_memory_with": "t"}]}
    v = check(tmp_path, shared, spec=spec, names=["t", "c"])
    assert failing(v) == ["c.shares_memory"]


def test_raises_expected(tmp_path):
    spec = {"expect": [{"raises": "RuntimeError", "match": "only for scalar outputs"}]}
    run = {
        "outcome": "error",
        "output": "",
        "error": {
            "type": "RuntimeError",
            "message": "grad can be implicitly created only for scalar outputs",
        },
    }
    assert run_checks(spec, {}, None, learner_run=run).passed
    assert failing(run_checks(spec, {}, None, learner_run={"outcome": "ok", "output": ""})) == [
        "raises"
    ]


def test_unexpected_error_leads(tmp_path):
    run = {"outcome": "error", "output": "", "error": {"type": "NameError", "message": "nope"}}
    v = check(tmp_path, {"x": torch.zeros(1)}, {"x": torch.zeros(1)}, learner_run=run)
    assert v.first_failure.name == "error" and "NameError" in v.first_failure.got


def test_no_diagnosis_of_values_left_by_an_earlier_input(tmp_path):
    """c = (a @ b).T ran before; this input raised: the old c is not what the learner typed."""
    a, b = torch.arange(6.0).reshape(2, 3), torch.arange(12.0).reshape(3, 4)
    learner, reference = {"a": a, "b": b, "c": (a @ b).T}, {"a": a, "b": b, "c": a @ b}
    ok = {"outcome": "ok", "output": ""}
    assert [f.id for f in check(tmp_path, learner, reference, learner_run=ok).feedback] == [
        "transposed"
    ]
    run = {"outcome": "error", "output": "", "error": {"type": "NameError", "message": "nope"}}
    assert check(tmp_path, learner, reference, learner_run=run).feedback == ()


def test_output_kinds():
    run = {"outcome": "ok", "output": "tensor([0, 2])   \n\n"}
    assert run_checks({"expect": [{"output": "tensor([0, 2])"}]}, {}, None, learner_run=run).passed
    assert run_checks({"expect": [{"output_contains": ["0, 2"]}]}, {}, None, learner_run=run).passed
    assert not run_checks(
        {"expect": [{"output_contains": ["True"]}]}, {}, None, learner_run=run
    ).passed
    same = {"expect": [{"same_output": True}]}
    assert run_checks(
        same,
        {},
        None,
        learner_run=run,
        reference_run={"outcome": "ok", "output": "tensor([0, 2])\n"},
    ).passed
    assert not run_checks(
        same,
        {},
        None,
        learner_run=run,
        reference_run={"outcome": "ok", "output": "tensor([0, 1])\n"},
    ).passed


def test_must_call_and_must_not_call():
    spec = {"expect": [{"must_call": ["torch.arange"], "must_not_call": ["torch.tensor"]}]}
    assert run_checks(spec, {}, None, code="x = torch.arange(5)").passed
    v = run_checks(spec, {}, None, code="x = torch.tensor([0, 1, 2, 3, 4])")
    assert v.first_failure.name == "calls"
    assert "torch.arange" in v.first_failure.message and "torch.tensor" in v.first_failure.message


def test_calls_row_shows_a_method_on_an_expression_without_placeholder():
    """`torch.empty(3).uniform_()` is listed as `torch.empty, .uniform_`, not with the
    matcher's `?.` receiver the newcomer re-walk found unexplained."""
    spec = {"expect": [{"must_call": ["uniform_"]}]}
    v = run_checks(spec, {}, None, code="x = torch.empty(3).uniform_(0, 1)\nf()()")
    (row,) = v.checks
    assert row.passed and row.got == ".uniform_, f, torch.empty"


def test_predicate_and_message(tmp_path):
    spec = {
        "expect": [
            {
                "predicate": "x.sum().item() == 6",
                "uses": ["x"],
                "message": {"en": "sum should be 6", "zh": "和应为 6"},
            }
        ]
    }
    learner = values(tmp_path, {"x": torch.tensor([1, 2, 3])})
    assert run_checks(spec, learner, None).passed
    learner = values(tmp_path, {"x": torch.tensor([1, 2, 4])}, sub="w")
    v = run_checks(spec, learner, None, lang="zh")
    assert v.first_failure.name == "predicate" and v.first_failure.message == "和应为 6"


def test_predicate_on_missing_or_raising():
    assert evaluate("x + 1", ["x"], {}) == (False, "x is not defined")
    ok, detail = evaluate("1 / 0", [], {})
    assert not ok and "ZeroDivisionError" in detail


def test_feedback_rules(tmp_path):
    spec = {
        "check": ["x"],
        "feedback": [
            {"id": "used-ones", "message": {"en": "ones!", "zh": "一!"}, "calls": ["torch.ones"]},
            {"id": "wrong-shape", "message": {"en": "shape", "zh": ""}, "failed": ["x.shape"]},
            {"id": "never", "message": {"en": "no", "zh": ""}, "error": "TypeError"},
        ],
    }
    v = check(
        tmp_path,
        {"x": torch.ones(2, 3)},
        {"x": torch.zeros(2, 3)},
        spec=spec,
        code="x = torch.ones(2, 3)",
        lang="zh",
    )
    assert [f.id for f in v.feedback][:1] == ["used-ones"]
    assert v.feedback[0].message == "一!"
    assert "wrong-shape" not in [f.id for f in v.feedback]


def test_value_rules_stay_quiet_when_the_code_raised(tmp_path):
    """A SyntaxError ran nothing: the y left from an earlier input is not this answer's."""
    spec = {
        "check": ["y"],
        "feedback": [
            {
                "id": "swapped",
                "message": {"en": "swapped", "zh": ""},
                "predicate": "y < 0",
                "uses": ["y"],
            },
            {"id": "syntax", "message": {"en": "syntax", "zh": ""}, "error": "SyntaxError"},
        ],
    }
    learner, reference = {"y": torch.tensor(-3.0)}, {"y": torch.tensor(9.0)}
    ok = {"outcome": "ok", "output": ""}
    assert [f.id for f in check(tmp_path, learner, reference, spec=spec, learner_run=ok).feedback][
        :1
    ] == ["swapped"]
    raised = {"outcome": "error", "output": "", "error": {"type": "SyntaxError", "message": "x"}}
    ids = [
        f.id for f in check(tmp_path, learner, reference, spec=spec, learner_run=raised).feedback
    ]
    assert ids == ["syntax"]


def test_feedback_not_given_on_pass(tmp_path):
    spec = {"check": ["x"], "feedback": [{"id": "any", "message": {"en": "m"}}]}
    assert check(tmp_path, {"x": torch.ones(1)}, {"x": torch.ones(1)}, spec=spec).feedback == ()


def test_ndarray_and_list_values(tmp_path):
    assert check(tmp_path, {"a": np.arange(3)}, {"a": np.arange(3)}).passed
    assert failing(check(tmp_path, {"a": [1, 2]}, {"a": [1, 3]})) == ["a.values"]
    row = check(tmp_path, {"a": np.arange(3) * 2}, {"a": np.arange(3)}).first_failure
    assert (row.expected, row.got) == ("array([0, 1, 2])", "array([0, 2, 4])")


def test_constructed_values_without_snapshot():
    got = Value(
        "x",
        "tensor",
        "Tensor",
        shape=(2,),
        dtype="torch.float32",
        device="cpu",
        data=torch.tensor([1.0, 2.0]),
    )
    want = Value(
        "x",
        "tensor",
        "Tensor",
        shape=(2,),
        dtype="torch.float32",
        device="cpu",
        data=torch.tensor([1.0, 3.0]),
    )
    v = run_checks({"check": ["x"]}, {"x": got}, {"x": want})
    assert failing(v) == ["x.values"]
    assert v.to_json()["checks"][4]["name"] == "x.values"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_messages_in_both_languages(tmp_path, lang):
    v = check(tmp_path, {"x": torch.zeros(3)}, {"x": torch.zeros(2)}, lang=lang)
    assert v.first_failure.message


def test_a_name_in_check_and_in_expect_gets_one_row_each(tmp_path):
    spec = {"check": ["x"], "expect": [{"var": "x", "type": "tensor", "shape": [2]}]}
    v = check(tmp_path, {"x": torch.zeros(2)}, {"x": torch.zeros(2)}, spec=spec, names=["x"])
    names = [c.name for c in v.checks]
    assert v.passed and len(names) == len(set(names)) and names[0] == "x.type"


def test_when_duplicate_rows_disagree_the_failing_one_stays(tmp_path):
    spec = {"check": ["x"], "expect": [{"var": "x", "shape": [3]}]}
    v = check(tmp_path, {"x": torch.zeros(2)}, {"x": torch.zeros(2)}, spec=spec, names=["x"])
    shape = [c for c in v.checks if c.name == "x.shape"]
    assert not v.passed and len(shape) == 1 and not shape[0].passed
    assert [c.name for c in v.checks].index("x.shape") == 1  # where the first row was


def test_word_rows_expecting_different_things_stay_apart():
    spec = {"expect": [{"output_contains": ["a"]}, {"output_contains": ["b"]}]}
    v = run_checks(spec, {}, None, learner_run={"outcome": "ok", "output": "a"})
    assert [c.passed for c in v.checks] == [True, False]


def test_chinese_verdicts_say_not_defined_in_chinese(tmp_path):
    v = check(tmp_path, {}, {"x": torch.zeros(2)}, names=["x"], lang="zh")
    assert v.first_failure.got == "未定义" and "not defined" not in v.first_failure.message
    spec = {"expect": [{"predicate": "y > 0", "uses": ["y"]}, {"must_not_call": ["torch.ones"]}]}
    v = run_checks(spec, {}, None, code="y = torch.ones(1)", lang="zh")
    assert v.checks[0].got == "y 未定义"
    assert v.checks[1].expected == "不用 torch.ones"
    assert evaluate("x + 1", ["x"], {}, "zh") == (False, "x 未定义")


@pytest.mark.parametrize("written", ["none", "None"])
def test_no_grad_fn_is_shown_as_python_prints_it(tmp_path, written):
    """The 08b walk showed "✗ pred.grad_fn │ none │ SumBackward0": the lesson's spelling."""
    w = torch.tensor([0.5, -1.0], requires_grad=True)
    pred = (w * torch.tensor([3.0, 4.0])).sum()
    spec = {"expect": [{"var": "pred", "grad_fn": written}]}
    v = check(tmp_path, {"pred": pred}, spec=spec, names=["pred"], lang="zh")
    row = next(c for c in v.checks if c.name == "pred.grad_fn")
    assert (row.passed, row.expected, row.got) == (False, "None", "SumBackward0")
    assert row.message == "`pred.grad_fn` 应该是 None：它不应该被记录进计算图。"
    with torch.no_grad():
        quiet = (w * 2).sum()
    v = check(tmp_path, {"pred": quiet}, spec=spec, names=["pred"])
    row = next(c for c in v.checks if c.name == "pred.grad_fn")
    assert (row.passed, row.expected, row.got) == (True, "None", "None")
    props = {"expect": [{"var": "pred", "props": ["grad_fn"]}]}
    implicit = check(tmp_path, {"pred": pred}, {"pred": quiet}, spec=props, names=["pred"])
    assert ("None", "SumBackward0") in {(c.expected, c.got) for c in implicit.checks}


# ---------------------------------------------------------------- predicates on objects


def holds(tmp_path, namespace, expr, uses=None):
    learner = values(tmp_path, namespace, uses or list(namespace))
    return evaluate(expr, uses or list(namespace), learner)


def test_predicate_reads_a_torch_module(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    model(torch.ones(2, 4)).sum().backward()
    seq = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.ReLU()).eval()
    ns = {"model": model, "seq": seq}
    for expr in (
        "isinstance(model, torch.nn.Linear) and model.out_features == 3",
        "model.weight.shape == (3, 4) and model.weight.requires_grad",
        "model.weight.grad is not None and model.bias.grad.tolist() == [2.0, 2.0, 2.0]",
        "sum(p.numel() for p in model.parameters()) == 15",
        "torch.allclose(model(torch.zeros(1, 4))[0], model.bias)",  # torch's own forward
        "len(seq) == 2 and isinstance(seq[1], torch.nn.ReLU) and seq[0].in_features == 4",
        "not seq.training and seq(torch.ones(3, 4)).shape == (3, 2)",
    ):
        assert holds(tmp_path, ns, expr) == (True, "True"), expr


def test_a_module_the_learner_wrote_keeps_its_data_but_not_its_code(tmp_path):
    calls = []

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)
            self.scale = 2.5

        def forward(self, x):
            calls.append("forward")
            return self.fc(x)

        def parameters(self, recurse=True):  # lies, and would run if anything called it
            calls.append("parameters")
            return iter([torch.zeros(1)])

        def __getattr__(self, name):
            calls.append(name)
            return super().__getattr__(name)

    net = Net()
    ns = {"net": net}
    assert holds(tmp_path, ns, "type(net).__name__ == 'Net' and isinstance(net, torch.nn.Module)")[
        0
    ]
    assert holds(tmp_path, ns, "net.fc.out_features == 2 and net.scale == 2.5")[0]
    assert holds(tmp_path, ns, "sum(p.numel() for p in net.parameters()) == 8")[0]
    ok, detail = holds(tmp_path, ns, "net(torch.ones(1, 3)).shape == (1, 2)")
    assert not ok and "Net.forward is code the learner wrote" in detail
    assert calls == []  # nothing of the learner's ran, in the worker or in the checker


def test_predicate_reads_an_optimizer(tmp_path):
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    ns = {"opt": opt, "model": model}
    for expr in (
        "isinstance(opt, torch.optim.SGD) and opt.param_groups[0]['lr'] == 0.1",
        "opt.defaults['momentum'] == 0.9 and len(opt.param_groups[0]['params']) == 2",
        "all('momentum_buffer' in opt.state[p] for p in opt.param_groups[0]['params'])",
    ):
        assert holds(tmp_path, ns, expr) == (True, "True"), expr


def test_predicate_reads_dtypes_devices_dicts_and_lists(tmp_path):
    x = torch.ones(2, dtype=torch.float64)
    ns = {"x": x, "cfg": {"lr": 0.1, "w": torch.arange(3)}, "names": ["a", "b"]}
    uses = ["x.dtype", "x.device", "x.shape", "cfg", "names"]
    for expr in (
        "x_dtype == torch.float64 and x_device.type == 'cpu' and x_shape == torch.Size([2])",
        "cfg['lr'] == 0.1 and cfg['w'].tolist() == [0, 1, 2]",
        "names == ['a', 'b']",
    ):
        assert holds(tmp_path, ns, expr, uses) == (True, "True"), expr


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_value_a_predicate_cannot_read_is_named(tmp_path, lang):
    ns = {"gen": (i for i in range(3)), "f": len}
    learner = values(tmp_path, ns)
    # What it is not can still be asked (a function stored instead of its result) ...
    assert evaluate("not isinstance(f, (bool, int))", ["f"], learner, lang) == (True, "True")
    # ... anything about its content says which value could not be read.
    ok, detail = evaluate("len(list(gen)) == 3", ["gen"], learner, lang)
    assert not ok
    if lang == "en":
        assert detail == (
            "`gen` is a generator, which a predicate cannot read (it reads tensors, arrays, "
            "numbers, strings, lists, tuples, dicts, modules and optimizers)"
        )
    else:
        assert detail.startswith("`gen` 是 generator，条件判断读取不了这种值")
