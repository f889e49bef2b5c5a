"""Friendly explanations of PyTorch's own error messages, in English and Chinese.

UI side: this module must never import torch. ``explain(error_type, message,
lang)`` matches the stable part of a message with a regular expression, pulls the
learner's own shapes, sizes and dtypes out of it, and returns an ``Explanation``
(a ``Feedback`` of kind ``"error"`` plus an optional picture payload), or None
for an error it does not know, in which case the caller shows the plain
traceback. The caller always shows the original message too; the text here
refers to it ("the message above").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tutor import codeinfo
from tutor.judge.verdict import Feedback


@dataclass(frozen=True)
class Explanation:
    """A friendly explanation of one error and, where it helps, a picture payload.

    ``picture`` is plain JSON for ``tutor.render.pictures.picture_for``, e.g.
    ``{"kind": "broadcast", "shapes": [[3, 2], [3]], "clash": -1}``.
    """

    feedback: Feedback
    picture: dict[str, Any] | None = None


# A rule turns a regex match into (English text, Chinese text, picture or None).
Builder = Callable[[re.Match[str]], "tuple[str, str, dict[str, Any] | None]"]


@dataclass(frozen=True)
class _Rule:
    id: str
    pattern: re.Pattern[str]
    build: Builder


def _shape(text: str) -> list[int]:
    """``"2x3"`` / ``"[2, 3]"`` / ``"(2)"`` -> ``[2, 3]``."""
    return [int(n) for n in re.findall(r"-?\d+", text)]


def _fmt(shape: list[int]) -> str:
    """A shape written the way ``tensor.shape`` prints it, without the torch.Size."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _matmul(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    a, b = _shape(m["a"]), _shape(m["b"])
    en = (
        f"Matrix product `A @ B` needs A's number of columns to equal B's number of rows. "
        f"Here A is {_fmt(a)} and B is {_fmt(b)}: {a[-1]} ≠ {b[0]}. "
        f"Check which tensor goes first, or transpose one of them (`B.T`). "
        f"If you wanted element-by-element multiplication, use `*`. (For tensors with more than "
        f"two dimensions the message flattens the leading ones into rows.)"
    )
    zh = (
        f"矩阵乘法 `A @ B` 要求 A 的列数等于 B 的行数。这里 A 是 {_fmt(a)}，B 是 {_fmt(b)}："
        f"{a[-1]} ≠ {b[0]}。检查两个张量的先后顺序，或把其中一个转置（`B.T`）。"
        f"如果你想要的是逐元素相乘，请用 `*`。（超过二维的张量，报错信息会把前面的维度并成行。）"
    )
    return en, zh, None


def _matmul_batch(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    want, got = _shape(m["want"]), _shape(m["got"])
    en = (
        f"In a batched matrix product the second tensor's matrices must have {want[-1]} rows "
        f"(the first one's number of columns), but they have {got[-1]}. "
        f"Compare the last two sizes of both tensors."
    )
    zh = (
        f"批量矩阵乘法中，第二个张量里每个矩阵的行数应为 {want[-1]}（等于第一个张量的列数），"
        f"实际是 {got[-1]}。请比较两个张量最后两维的大小。"
    )
    return en, zh, None


def _dot(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    a, b = m["a"], m["b"]
    en = (
        f"A product of two vectors (`@` or `dot` on 1-d tensors) needs them to have the same "
        f"length, but one has {a} elements and the other {b}."
    )
    zh = (
        f"两个向量相乘（对一维张量用 `@` 或 `dot`）要求长度相同，"
        f"但一个有 {a} 个元素，另一个有 {b} 个。"
    )
    return en, zh, None


def _mv(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    mat, vec = _shape(m["mat"]), m["vec"]
    en = (
        f"A matrix times a vector needs the vector's length to equal the matrix's number of "
        f"columns: the matrix is {_fmt(mat)}, so the vector needs {mat[-1]} elements, "
        f"but it has {vec}."
    )
    zh = (
        f"矩阵乘向量要求向量长度等于矩阵的列数：矩阵是 {_fmt(mat)}，向量应有 {mat[-1]} 个元素，"
        f"实际有 {vec} 个。"
    )
    return en, zh, None


def _broadcast(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    a, b, dim = int(m["a"]), int(m["b"]), int(m["dim"])
    en = (
        f"These two tensors cannot be broadcast together. PyTorch lines shapes up from the "
        f"last dimension backwards; each pair of sizes must be equal or one of them 1. "
        f"At dimension {dim} of the result one tensor has size {a} and the other {b}. "
        f"Add a size-1 dimension where you mean to repeat (`unsqueeze`), or check the shapes "
        f"with `.shape`."
    )
    zh = (
        f"这两个张量无法广播。PyTorch 从最后一维开始向前对齐形状，"
        f"每一对大小必须相等或其中一个为 1。"
        f"在结果的第 {dim} 维，一个张量大小为 {a}，另一个为 {b}。"
        f"想重复的地方可以用 `unsqueeze` 加一个大小为 1 的维度，或用 `.shape` 检查形状。"
    )
    picture = {"kind": "broadcast", "shapes": None, "sizes": [a, b], "dim": dim, "clash": None}
    return en, zh, picture


def _broadcast_inplace(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    out, result = _shape(m["out"]), _shape(m["result"])
    en = (
        f"An in-place operation (a name ending in `_`, or `+=`) writes into the tensor it is "
        f"called on, which has shape {_fmt(out)}. Broadcasting the two operands gives "
        f"{_fmt(result)}, which does not fit. Use the out-of-place form (`a = a + b`) to get "
        f"a new, bigger tensor."
    )
    zh = (
        f"原地操作（名字以 `_` 结尾，或 `+=`）会写回调用它的张量，而它的形状是 {_fmt(out)}。"
        f"两个操作数广播后的形状是 {_fmt(result)}，放不进去。"
        f"请用非原地写法（`a = a + b`）得到一个新张量。"
    )
    picture = {"kind": "broadcast", "shapes": [out, result], "clash": None, "inplace": True}
    return en, zh, picture


def _expand(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    target, sizes = _shape(m["target"]), _shape(m["sizes"])
    en = (
        f"`expand` can only stretch dimensions of size 1. Your tensor is {_fmt(sizes)} and you "
        f"asked for {_fmt(target)}: size {m['existing']} cannot become {m['new']}."
    )
    zh = (
        f"`expand` 只能拉伸大小为 1 的维度。你的张量是 {_fmt(sizes)}，目标是 {_fmt(target)}："
        f"大小 {m['existing']} 不能变成 {m['new']}。"
    )
    return en, zh, {"kind": "broadcast", "shapes": [sizes, target], "clash": None}


def _view_contiguous(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "`view` only relabels the memory a tensor already has, so it needs the elements to lie "
        "in memory in the order you ask for. After `transpose`, `.T` or `permute` they do not. "
        "Use `.reshape(...)` (it copies when it must), or `.contiguous().view(...)`."
    )
    zh = (
        "`view` 只是重新解释张量已有的内存，所以要求元素在内存里按你要的顺序排列。"
        "经过 `transpose`、`.T` 或 `permute` 之后就不是这样了。"
        "请用 `.reshape(...)`（必要时会复制），或 `.contiguous().view(...)`。"
    )
    return en, zh, None


def _view_numel(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    shape, size = _shape(m["shape"]), int(m["size"])
    known = [n for n in shape if n != -1]
    prod = 1
    for n in known:
        prod *= n
    what = (
        f"the sizes you gave multiply to {prod}"
        if -1 not in shape
        else f"{size} is not divisible by {prod}, the product of the other sizes"
    )
    what_zh = (
        f"你给的大小相乘是 {prod}" if -1 not in shape else f"{size} 不能被其余大小之积 {prod} 整除"
    )
    en = (
        f"`view`/`reshape` keeps every element, so the new shape must hold exactly as many "
        f"elements as the tensor has: {size}. You asked for {_fmt(shape)}, and {what}. "
        f"Use `-1` for one size to let PyTorch work it out."
    )
    zh = (
        f"`view`/`reshape` 不增不减元素，新形状的元素总数必须等于张量的元素数 {size}。"
        f"你要的是 {_fmt(shape)}，而{what_zh}。可以把某一维写成 `-1`，让 PyTorch 自己算。"
    )
    return en, zh, None


def _item(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    n = m["n"]
    en = (
        f"`.item()` turns a tensor with exactly one element into a Python number, but this one "
        f"has {n} elements. Pick one first (`t[0].item()`), reduce it (`t.sum().item()`), or use "
        f"`.tolist()` to get them all."
    )
    zh = (
        f"`.item()` 只能把恰好含一个元素的张量变成 Python 数字，而这个张量有 {n} 个元素。"
        f"先取出一个（`t[0].item()`）、先归约（`t.sum().item()`），或用 `.tolist()` 取出全部。"
    )
    return en, zh, None


def _requires_grad_int(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "Only floating-point (or complex) tensors can require gradients: a gradient is a small "
        "change, and integers cannot change a little. Make the tensor float: write `2.0` "
        "instead of `2`, or pass `dtype=torch.float32`."
    )
    zh = (
        "只有浮点（或复数）张量才能设置 requires_grad=True："
        "梯度描述的是微小变化，整数无法微小变化。"
        "请让张量成为浮点数：把 `2` 写成 `2.0`，或传入 `dtype=torch.float32`。"
    )
    return en, zh, None


def _numpy_grad(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "This tensor requires grad, so it is part of the autograd graph, and NumPy cannot track "
        "gradients. Take it out of the graph first: `t.detach().numpy()`."
    )
    zh = (
        "这个张量 requires_grad，属于自动微分的计算图，而 NumPy 不会跟踪梯度。"
        "先把它从图中分离出来：`t.detach().numpy()`。"
    )
    return en, zh, None


def _numpy_gpu(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    dev = m["device"]
    en = (
        f"NumPy arrays live in the computer's main memory, but this tensor lives on `{dev}`. "
        f"Copy it to the CPU first: `t.cpu().numpy()`."
    )
    zh = f"NumPy 数组位于主机内存，而这个张量在 `{dev}` 上。先复制到 CPU：`t.cpu().numpy()`。"
    return en, zh, None


def _backward_scalar(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "`backward()` with no argument needs a single number (a scalar) to start from, but this "
        "tensor has several elements. Reduce it first, e.g. `y.sum().backward()`, or pass the "
        "starting gradient: `y.backward(torch.ones_like(y))`."
    )
    zh = (
        "不带参数的 `backward()` 需要从一个数（标量）出发，而这个张量有多个元素。"
        "先归约，例如 `y.sum().backward()`，或传入起始梯度：`y.backward(torch.ones_like(y))`。"
    )
    return en, zh, None


def _backward_twice(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "You called `backward()` a second time through the same graph. After the first call "
        "PyTorch frees the values it saved to save memory. Recompute the result (run the forward "
        "code again) before the next `backward()`, or pass `retain_graph=True` the first time."
    )
    zh = (
        "你对同一张计算图第二次调用了 `backward()`。"
        "第一次调用后，PyTorch 为节省内存释放了保存的中间值。"
        "再次 `backward()` 前请重新计算结果（重新运行前向代码），"
        "或在第一次调用时传入 `retain_graph=True`。"
    )
    return en, zh, None


def _inplace_leaf(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "You changed a leaf tensor that requires grad in place (`x += ...`, `x.add_(...)`, "
        "`x[0] = ...`). Autograd needs its value to compute gradients, so this is refused. "
        "Make a new tensor (`y = x + 1`), or, to update parameters on purpose, do it inside "
        "`with torch.no_grad():`."
    )
    zh = (
        "你原地修改了一个 requires_grad 的叶子张量（`x += ...`、`x.add_(...)`、`x[0] = ...`）。"
        "自动微分需要它的值来计算梯度，所以这是不允许的。请生成新张量（`y = x + 1`）；"
        "若确实要更新参数，请放在 `with torch.no_grad():` 里。"
    )
    return en, zh, None


def _device(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    devices = [d for d in (m.groupdict().get("d1"), m.groupdict().get("d2")) if d]
    both = " and ".join(f"`{d}`" for d in devices) if devices else "two different devices"
    both_zh = "和".join(f"`{d}`" for d in devices) if devices else "两个不同的设备"
    en = (
        f"An operation can only combine tensors on the same device; here they are on {both}. "
        f"Move them together with `.to(device)` (the tutor's namespace has `device` ready)."
    )
    zh = (
        f"一次运算只能组合同一设备上的张量；这里它们分别在 {both_zh} 上。"
        f"用 `.to(device)` 把它们放到一起（命名空间里已有 `device`）。"
    )
    return en, zh, None


def _dim(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    lo, hi, got = int(m["lo"]), int(m["hi"]), int(m["got"])
    en = (
        f"You asked for dimension {got}, but here `dim` must be between {lo} and {hi}. "
        f"Dimensions count from 0 and -1 is the last: a 2-d tensor has dims 0 and 1 "
        f"(`unsqueeze` allows one more, the new position). Check `.dim()` or `.shape`."
    )
    zh = (
        f"你指定的是第 {got} 维，但这里 `dim` 必须在 {lo} 到 {hi} 之间。"
        f"维度从 0 开始数，-1 表示最后一维："
        f"二维张量只有第 0 和第 1 维（`unsqueeze` 可多一个位置，即新维度的位置）。"
        f"请用 `.dim()` 或 `.shape` 查看。"
    )
    return en, zh, None


def _index(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    idx, dim, size = int(m["idx"]), int(m["dim"]), int(m["size"])
    en = (
        f"Index {idx} is out of range: dimension {dim} has size {size}, so valid indices are "
        f"0 to {size - 1} (or -{size} to -1 from the end)."
    )
    zh = (
        f"下标 {idx} 超出范围：第 {dim} 维的大小是 {size}，合法下标是 0 到 {size - 1}"
        f"（或从末尾数 -{size} 到 -1）。"
    )
    return en, zh, None


def _index_select(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "One of the indices you passed (to `index_select`, an embedding or fancy indexing) is "
        "not smaller than the size of the dimension it indexes. Indices count from 0."
    )
    zh = (
        "你传入的某个下标（给 `index_select`、embedding 或高级索引）不小于该维度的大小。"
        "下标从 0 开始。"
    )
    return en, zh, None


def _mean_int(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    dtype = m["dtype"]
    en = (
        f"`mean()` needs a floating-point tensor, because an average is usually not a whole "
        f"number; yours is an integer tensor ({dtype}). Convert first: `t.float().mean()`."
    )
    zh = (
        f"`mean()` 需要浮点张量，因为平均值通常不是整数；你的是整数张量（{dtype}）。"
        f"先转换：`t.float().mean()`。"
    )
    return en, zh, None


def _backward_no_grad(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "Nothing in this computation requires grad, so autograd recorded no graph to go back "
        "through. Create the input with `requires_grad=True` (before computing the result), and "
        "do not compute it inside `torch.no_grad()` or after `.detach()`."
    )
    zh = (
        "这次计算中没有任何张量 requires_grad，所以自动微分没有记录可回溯的计算图。"
        "请在计算结果之前用 `requires_grad=True` 创建输入，"
        "并且不要在 `torch.no_grad()` 中或 `.detach()` 之后计算。"
    )
    return en, zh, None


def _inplace_dtype(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    res, out = m["res"], m["out"]
    en = (
        f"An in-place operation must keep the tensor's dtype. The result is {res} but the "
        f"tensor holds {out}. Convert first (`t = t.float()`) or use the out-of-place form, "
        f"which makes a new tensor (`t = t / 2` rather than `t /= 2`)."
    )
    zh = (
        f"原地操作不能改变张量的 dtype。结果是 {res}，而张量的类型是 {out}。"
        f"请先转换（`t = t.float()`），或改用会生成新张量的非原地写法"
        f"（用 `t = t / 2`，而不是 `t /= 2`）。"
    )
    return en, zh, None


def _not_tensor(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    fn, arg, got = m["fn"], m["arg"], m["got"]
    en = (
        f"`{fn}()` needs a tensor for its `{arg}` argument, but got a Python {got}. "
        f"Make a tensor first, e.g. `torch.tensor([1, 2, 3])`."
    )
    zh = (
        f"`{fn}()` 的参数 `{arg}` 需要一个张量，但你给的是 Python 的 {got}。"
        f"先创建张量，例如 `torch.tensor([1, 2, 3])`。"
    )
    return en, zh, None


def _input_eof(m: re.Match[str]) -> tuple[str, str, dict[str, Any] | None]:
    en = (
        "`input()` waits for someone to type a line, but code at the tutor's prompt has no "
        "keyboard to read from, so it met the end of input at once. Give the value directly "
        'instead, e.g. `name = "Ada"`. A script that reads input runs as usual with '
        "`python -m tutor run FILE` (or `python FILE`)."
    )
    zh = (
        "`input()` 要等人输入一行文字，但在导师提示符下运行的代码没有键盘可读，"
        '所以立刻读到了输入结束。请直接给出这个值，例如 `name = "Ada"`。'
        "需要读取输入的脚本可以用 `python -m tutor run FILE`（或 `python FILE`）照常运行。"
    )
    return en, zh, None


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


# Order matters: the first rule whose pattern is found in the message wins.
_RULES: tuple[_Rule, ...] = (
    _Rule(
        "matmul-inner-size",
        _r(r"shapes cannot be multiplied \((?P<a>\d+x\d+) and (?P<b>\d+x\d+)\)"),
        _matmul,
    ),
    _Rule(
        "matmul-inner-size",
        _r(
            r"Expected size for first two dimensions of batch2 tensor to be: "
            r"(?P<want>\[[\d, ]+\]) but got: (?P<got>\[[\d, ]+\])"
        ),
        _matmul_batch,
    ),
    _Rule(
        "matmul-inner-size",
        _r(
            r"inconsistent tensor size, expected tensor \[\d+\] and src \[\d+\] .*"
            r"but got (?P<a>\d+) and (?P<b>\d+) elements"
        ),
        _dot,
    ),
    _Rule(
        "matmul-inner-size",
        _r(
            r"size mismatch, got input \(\d+\), mat \((?P<mat>\d+x\d+)\), "
            r"vec \((?P<vec>\d+)\)"
        ),
        _mv,
    ),
    _Rule(
        "broadcast-mismatch",
        _r(
            r"size of tensor a \((?P<a>\d+)\) must match the size of tensor b "
            r"\((?P<b>\d+)\) at non-singleton dimension (?P<dim>\d+)"
        ),
        _broadcast,
    ),
    _Rule(
        "broadcast-mismatch",
        _r(
            r"output with shape (?P<out>\[[\d, ]*\]) doesn't match the broadcast "
            r"shape (?P<result>\[[\d, ]*\])"
        ),
        _broadcast_inplace,
    ),
    _Rule(
        "broadcast-mismatch",
        _r(
            r"expanded size of the tensor \((?P<new>-?\d+)\) must match the existing "
            r"size \((?P<existing>\d+)\).*Target sizes: (?P<target>\[[-\d, ]*\])"
            r".*Tensor sizes: (?P<sizes>\[[\d, ]*\])"
        ),
        _expand,
    ),
    _Rule(
        "view-non-contiguous",
        _r(r"view size is not compatible with input tensor's size and stride"),
        _view_contiguous,
    ),
    _Rule(
        "view-numel",
        _r(r"shape '(?P<shape>\[[-\d, ]*\])' is invalid for input of size (?P<size>\d+)"),
        _view_numel,
    ),
    _Rule(
        "item-many", _r(r"a Tensor with (?P<n>\d+) elements cannot be converted to Scalar"), _item
    ),
    _Rule(
        "requires-grad-int",
        _r(r"only Tensors of floating point.*dtype can require gradients"),
        _requires_grad_int,
    ),
    _Rule(
        "numpy-requires-grad", _r(r"Can't call numpy\(\) on Tensor that requires grad"), _numpy_grad
    ),
    _Rule(
        "numpy-gpu", _r(r"can't convert (?P<device>[\w:]+) device type tensor to numpy"), _numpy_gpu
    ),
    _Rule(
        "backward-non-scalar",
        _r(r"grad can be implicitly created only for scalar outputs"),
        _backward_scalar,
    ),
    _Rule("backward-twice", _r(r"backward through the graph a second time"), _backward_twice),
    _Rule(
        "inplace-leaf",
        _r(r"leaf Variable that requires grad (is being|has been) used in an in-place"),
        _inplace_leaf,
    ),
    _Rule(
        "device-mismatch",
        _r(
            r"Expected all tensors to be on the same device, but found at least two "
            r"devices, (?P<d1>[\w:]+) and (?P<d2>[\w:]+)"
        ),
        _device,
    ),
    _Rule(
        "device-mismatch",
        _r(
            r"Expected all tensors to be on the same device, but got \w+ is on "
            r"(?P<d1>[\w:]+), different from other tensors on (?P<d2>[\w:]+)"
        ),
        _device,
    ),
    _Rule("device-mismatch", _r(r"Expected all tensors to be on the same device"), _device),
    _Rule(
        "device-mismatch",
        _r(
            r"Tensor on device (?P<d1>[\w:]+) is not on the expected device "
            r"(?P<d2>[\w:]+)"
        ),
        _device,
    ),
    _Rule(
        "device-mismatch",
        _r(
            r"Expected object of device type (?P<d1>\w+) but got device type "
            r"(?P<d2>\w+)"
        ),
        _device,
    ),
    _Rule(
        "dim-out-of-range",
        _r(
            r"Dimension out of range \(expected to be in range of "
            r"\[(?P<lo>-?\d+), (?P<hi>-?\d+)\], but got (?P<got>-?\d+)\)"
        ),
        _dim,
    ),
    _Rule(
        "index-out-of-range",
        _r(
            r"index (?P<idx>-?\d+) is out of bounds for dimension (?P<dim>\d+) "
            r"with size (?P<size>\d+)"
        ),
        _index,
    ),
    _Rule("index-out-of-range", _r(r"index out of range in self"), _index_select),
    _Rule(
        "mean-int",
        _r(
            r"mean\(\).*(?:floating point|could not infer output dtype).*?Got:?\s*"
            r"(?P<dtype>\w+)"
        ),
        _mean_int,
    ),
    _Rule(
        "backward-no-grad",
        _r(r"does not require grad and does not have a grad_fn"),
        _backward_no_grad,
    ),
    _Rule(
        "arg-not-tensor",
        _r(
            r"(?P<fn>\w+)\(\): argument '(?P<arg>\w+)' \(position \d+\) must be "
            r"Tensor, not (?P<got>\w+)"
        ),
        _not_tensor,
    ),
    _Rule(
        "inplace-dtype",
        _r(
            r"result type (?P<res>\w+) can't be cast to the desired output type "
            r"(?P<out>\w+)"
        ),
        _inplace_dtype,
    ),
    _Rule("input-eof", _r(r"^EOF when reading a line$"), _input_eof),
)

IDS: tuple[str, ...] = tuple(dict.fromkeys(rule.id for rule in _RULES))


def _size_at(shape: Sequence[int], back: int) -> int:
    """The size at ``back`` (negative, from the right), 1 where the shape is shorter."""
    return int(shape[back]) if len(shape) >= -back else 1


# Element-wise methods and torch functions whose two tensor operands broadcast together.
_ELEMENTWISE = frozenset(
    {
        "add",
        "sub",
        "subtract",
        "mul",
        "multiply",
        "div",
        "divide",
        "true_divide",
        "floor_divide",
        "remainder",
        "fmod",
        "pow",
        "maximum",
        "minimum",
        "fmax",
        "fmin",
        "atan2",
        "hypot",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "logical_and",
        "logical_or",
        "logical_xor",
    }
)


# Every binary operator but @, and the comparisons: element-wise, so their operands broadcast.
_ELEMENTWISE_OPS = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)  # fmt: skip
# The element-wise calls, in place too (t.add_(u)).
_ELEMENTWISE_CALLS = _ELEMENTWISE | {name + "_" for name in _ELEMENTWISE}


def _clash(p: Sequence[int], q: Sequence[int], a: int, b: int, dim: int) -> int | None:
    """The clashing dim (from the right) when shapes ``p`` and ``q`` clash as the message says."""
    back = dim - max(len(p), len(q))
    if back < 0 and (_size_at(p, back), _size_at(q, back)) == (a, b):
        return back
    return None


def _could_have(shape: Sequence[int], size: int, dim: int) -> bool:
    """Whether an operand of ``shape`` can have ``size`` at ``dim`` of the result, whatever the
    other operand's shape (a longer other operand pushes this one's dims to the right)."""
    return any(int(shape[i]) == size for i in range(min(dim, len(shape) - 1) + 1))


def _source(code: str, node: ast.expr) -> str:
    text = " ".join((ast.get_source_segment(code, node) or "").split())
    return text if 0 < len(text) <= 40 else ""


def _with_operands(
    en: str, zh: str, picture: dict[str, Any], code: str, shapes: Mapping[str, Sequence[int]]
) -> tuple[str, str, dict[str, Any]]:
    """Name the clashing operands of the failing expression, never a variable that is not one.

    Two plain names whose known shapes clash exactly as the message says are
    named with their whole shapes, and drawn. Otherwise, when the code has a
    single operation that can be the one that failed, its operands are quoted
    as written (``x.sum(0)``) with the sizes the message gives.
    """
    (a, b), dim = picture["sizes"], picture["dim"]
    unsure: dict[tuple[str, str], None] = {}
    for left, right in codeinfo.operand_pairs(code, _ELEMENTWISE_OPS, _ELEMENTWISE_CALLS):
        if codeinfo.is_literal(left) or codeinfo.is_literal(right):
            continue
        first = left.id if isinstance(left, ast.Name) else ""
        second = right.id if isinstance(right, ast.Name) else ""
        p, q = shapes.get(first), shapes.get(second)
        if p is not None and q is not None:
            back = _clash(p, q, a, b, dim)
            if back is not None:
                en += f" Here `{first}` is {_fmt(list(p))} and `{second}` is {_fmt(list(q))}."
                zh += f"这里 `{first}` 是 {_fmt(list(p))}，`{second}` 是 {_fmt(list(q))}。"
                return (
                    en,
                    zh,
                    {
                        **picture,
                        "shapes": [list(p), list(q)],
                        "names": [first, second],
                        "clash": back,
                    },
                )
        elif (p is None or _could_have(p, a, dim)) and (q is None or _could_have(q, b, dim)):
            unsure[(_source(code, left), _source(code, right))] = None
    if len(unsure) != 1:
        return en, zh, picture  # no operation, or several that could have failed
    left_src, right_src = next(iter(unsure))
    lq, rq = (f" `{left_src}`" if left_src else ""), (f" `{right_src}`" if right_src else "")
    en += (
        f" In your code the left operand{lq} has size {a} at dimension {dim} of the result, "
        f"and the right operand{rq} has size {b}."
    )
    lz, rz = (f"{lq} " if lq else ""), (f"{rq} " if rq else "")
    zh += f"在你的代码里，左操作数{lz}在结果的第 {dim} 维大小为 {a}，右操作数{rz}为 {b}。"
    return en, zh, picture


def explain(
    error_type: str,
    message: str,
    lang: str = "en",
    *,
    code: str = "",
    shapes: Mapping[str, Sequence[int]] | None = None,
) -> Explanation | None:
    """Explain a PyTorch error in the learner's language, or None when it is not a known one.

    ``error_type`` is the exception's class name (``"RuntimeError"``; unused for
    matching, since torch has moved messages between exception types); ``message``
    is ``str(exc)``; ``lang`` is ``"en"`` or ``"zh"`` (anything else: English).
    Optional: ``code`` (the code that failed) lets a broadcasting error quote the
    operands of the failing operation; with ``shapes`` too (name -> shape of the
    learner's tensors, e.g. from ``sb.call("vars")``) two clashing variables are
    named and their whole shapes drawn.
    """
    for rule in _RULES:
        found = rule.pattern.search(message)
        if found:
            en, zh, picture = rule.build(found)
            if picture and picture.get("sizes") and code:
                en, zh, picture = _with_operands(en, zh, picture, code, shapes or {})
            text = zh if lang.startswith("zh") else en
            return Explanation(Feedback(rule.id, text, kind="error"), picture)
    return None


__all__ = ["IDS", "Explanation", "explain"]
