"""The checker's messages to the learner, in English and Chinese (private to tutor.judge.checks)."""

from __future__ import annotations

from typing import Any

_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("`{name}` is not defined yet.", "`{name}` 还没有定义。"),
    "not_defined": ("not defined", "未定义"),
    "name_not_defined": ("{name} is not defined", "{name} 未定义"),
    "no_shape": ("no shape", "没有形状"),
    "not_call": ("not {name}", "不用 {name}"),
    "type": ("`{name}` should be a {want}.", "`{name}` 应该是 {want}。"),
    "shape": ("`{name}` has the wrong shape.", "`{name}` 的形状不对。"),
    "dtype": ("`{name}` has the wrong dtype.", "`{name}` 的数据类型（dtype）不对。"),
    "device": ("`{name}` is on the wrong device.", "`{name}` 所在的设备不对。"),
    "values": ("`{name}` holds different values.", "`{name}` 的值不对。"),
    "values_kinds": (
        "The values cannot be compared: one holds booleans or complex numbers and "
        "the other does not.",
        "无法比较这些值：一方是布尔值或复数，另一方不是。",
    ),
    "values_differ": (
        "{n} of {total} values differ (first at {where}, largest difference {diff}).",
        "{total} 个值中有 {n} 个不同（第一处在下标 {where}，最大差值 {diff}）。",
    ),
    "value_differs": ("The value differs by {diff}.", "数值相差 {diff}。"),
    "requires_grad": (
        "`{name}.requires_grad` should be {want}.",
        "`{name}.requires_grad` 应该是 {want}。",
    ),
    "is_leaf": ("`{name}.is_leaf` should be {want}.", "`{name}.is_leaf` 应该是 {want}。"),
    "grad_fn": (
        "`{name}` was made by a different operation (see `grad_fn`).",
        "`{name}` 是由另一种运算得到的（见 `grad_fn`）。",
    ),
    "grad_none": (
        "`{name}.grad` is None: no gradient reached it.",
        "`{name}.grad` 是 None：没有梯度传到它。",
    ),
    "grad_not_none": ("`{name}.grad` should be None.", "`{name}.grad` 应该是 None。"),
    "no_memory": (
        "`{name}` and `{other}` must both be tensors or arrays to compare their memory.",
        "`{name}` 和 `{other}` 都必须是张量或数组，才能比较内存。",
    ),
    "shared": ("shared memory", "共享内存"),
    "separate": ("separate memory", "各自独立的内存"),
    "shares_memory": (
        "`{name}` should share memory with `{other}`, but it is a copy.",
        "`{name}` 应该与 `{other}` 共享内存，但它是一份副本。",
    ),
    "independent": (
        "`{name}` should be independent of `{other}`, but they share memory.",
        "`{name}` 应该独立于 `{other}`，但它们共享内存。",
    ),
    "no_error": ("no error", "没有报错"),
    "error": ("The code raised an error.", "代码报错了。"),
    "raises": ("The code should raise {want}.", "这段代码应该引发 {want}。"),
    "output": ("The printed output is different.", "打印的输出不一样。"),
    "output_contains": ("The output should contain: {missing}.", "输出中应该包含：{missing}。"),
    "must_call": ("Use {names}.", "请使用 {names}。"),
    "must_not_call": ("Do not use {names} here.", "这里不要使用 {names}。"),
    "predicate": ("The condition `{expr}` does not hold.", "条件 `{expr}` 不成立。"),
    "predicate_unchecked": (
        "the condition could not be evaluated in the sandbox",
        "无法在沙箱中检查这个条件",
    ),
}


def msg(key: str, lang: str, **fields: Any) -> str:
    """A checker message in ``lang`` (English or Chinese), formatted."""
    en, zh = _MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)
