"""Code at the prompt runs in the environment ``python -i`` gives it (issue: Python as Python
runs it): a real ``__main__``, no inherited ``from __future__``, Python's own tracebacks."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox_helpers import make_sandbox

from tutor import runscript
from tutor.sandbox import Sandbox


def test_annotations_are_evaluated_as_python_does(sb: Sandbox) -> None:
    # The worker's own `from __future__ import annotations` must not reach learner code.
    result = sb.run("def f(x: int) -> float:\n    return x\nprint(f.__annotations__)")
    assert result.output == "{'x': <class 'int'>, 'return': <class 'float'>}\n"
    bad = sb.run("size: Sizes = 3")
    assert bad.outcome == "error" and bad.error.type == "NameError", bad


def test_future_import_at_the_prompt_holds_for_later_inputs(sb: Sandbox) -> None:
    sb.new_namespace("")
    sb.run("from __future__ import annotations")
    result = sb.run("def g(x: Undefined): pass\nprint(g.__annotations__)")
    assert result.output == "{'x': 'Undefined'}\n", result
    sb.new_namespace("")  # a fresh namespace forgets it, as a new `python -i` would
    assert sb.run("def g(x: Undefined): pass").error.type == "NameError"


def test_learner_code_lives_in_a_real_main_module(sb: Sandbox) -> None:
    sb.new_namespace("")
    code = (
        "import pickle, sys\n"
        "class Point:\n    def __init__(self, x):\n        self.x = x\n"
        "def double(n):\n    return 2 * n\n"
        "print(pickle.loads(pickle.dumps(Point(3))).x, pickle.loads(pickle.dumps(double))(4))\n"
        "print(sys.modules['__main__'].Point is Point, __name__)"
    )
    result = sb.run(code)
    assert result.output == "3 8\nTrue __main__\n", result


def test_torch_save_of_a_learner_module(sb: Sandbox) -> None:
    sb.new_namespace("")
    code = (
        "import io\nfrom torch import nn\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(2, 1)\n"
        "buf = io.BytesIO()\ntorch.save(Net(), buf)\nbuf.seek(0)\n"
        "print(type(torch.load(buf, weights_only=False)).__name__)"
    )
    result = sb.run(code)
    assert result.output == "Net\n", result


def test_a_pool_maps_a_function_defined_at_the_prompt() -> None:
    # Shared memory (multiprocessing's locks) is granted as `run FILE` grants it; the
    # function is sent to the pool's children by reference to __main__.
    sandbox = make_sandbox(timeout=30.0, write=[runscript.SHARED_MEMORY])
    try:
        code = (
            "from multiprocessing import Pool\n"
            "def square(n):\n    return n * n\n"
            "with Pool(2) as pool:\n    print(pool.map(square, range(4)))"
        )
        result = sandbox.run(code)
        assert result.output == "[0, 1, 4, 9]\n", result
    finally:
        sandbox.close()


def test_main_attributes_and_argv_are_those_of_the_python_prompt(sb: Sandbox) -> None:
    sb.new_namespace("")
    code = (
        "import sys\n"
        "print(__doc__, __spec__, __package__, __loader__.__name__, __annotations__)\n"
        "print(sys.argv, repr(sys.path[0]))"
    )
    result = sb.run(code)
    assert result.output == "None None None BuiltinImporter {}\n[''] ''\n", result


def test_traceback_keeps_the_chain_and_position_markers(sb: Sandbox) -> None:
    code = (
        "def load(path):\n    try:\n        return {}[path]\n"
        "    except KeyError as exc:\n        raise RuntimeError('cannot load') from exc\n"
        "load('x')"
    )
    trace = sb.run(code).error.traceback
    assert "KeyError: 'x'" in trace
    assert "The above exception was the direct cause of the following exception:" in trace
    assert "~~^^^^^^" in trace  # {}[path]: Python 3.11's markers under the subscript
    assert trace.rstrip().endswith("RuntimeError: cannot load")
    implicit = sb.run("try:\n    1 / 0\nexcept ZeroDivisionError:\n    undefined_name")
    text = implicit.error.traceback
    assert "During handling of the above exception, another exception occurred:" in text
    assert "ZeroDivisionError: division by zero" in text


def test_compile_time_syntax_error_shows_its_line_and_caret(sb: Sandbox) -> None:
    result = sb.run("x = 1\nif x:\n    return x")
    trace = result.error.traceback
    assert trace == (
        '  File "<input>", line 3\n    return x\n    ^^^^^^^^\n'
        "SyntaxError: 'return' outside function\n"
    ), trace


def test_name_error_suggests_as_python_does(sb: Sandbox) -> None:
    sb.run("learning_rate = 0.1")
    result = sb.run("print(learning_rat)")
    assert result.error.traceback.rstrip().endswith(
        "NameError: name 'learning_rat' is not defined. Did you mean: 'learning_rate'?"
    )


def test_position_markers_stand_under_their_columns_on_the_last_line(sb: Sandbox) -> None:
    # The input's last line has no newline; the markers must not move one column right.
    trace = sb.run('x = None\nname = len(x) + input("?")').error.traceback
    assert '\n    name = len(x) + input("?")\n           ^^^^^^\n' in trace, trace


def test_a_script_starts_on_the_cpu_whatever_device_the_prompt_uses(tmp_path: Path) -> None:
    # The prompt's device (a GPU, say; here "meta", which any build has) is the default for
    # code at the prompt; a script picks its own, and its tensors start on the CPU.
    script = tmp_path / "where.py"
    script.write_text("import torch\nprint(torch.zeros(1).device)\n", encoding="utf-8")
    sandbox = make_sandbox(device="meta", timeout=30.0, write=[tmp_path])
    try:
        assert sandbox.run("print(torch.zeros(1).device)").output == "meta\n"
        read_end, write_end = os.pipe()
        os.close(write_end)
        try:
            result = sandbox.run_script(str(script), [str(script)], stdin=read_end)
        finally:
            os.close(read_end)
        assert (result.output, result.exit_code) == ("cpu\n", 0), result
    finally:
        sandbox.close()
