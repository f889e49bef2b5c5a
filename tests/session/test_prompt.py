"""The prompt: when Enter runs or continues, completion from the worker, a real PromptSession."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from tutor.session.prompt import PromptUI, SandboxCompleter
from tutor.session.ui import BlockReader, PlainUI, dedent_clause, input_complete, next_indent


@pytest.mark.parametrize(
    "text, done",
    [
        ("x = 1", True),
        ("", True),
        ("/hint", True),
        ("?torch.arange", True),
        ("for i in range(3):", False),
        ("for i in range(3):\n    print(i)", False),
        ("for i in range(3):\n    print(i)\n", True),
        ("while True: pass", True),
        ("x = 1\nif x:\n    y = 2", False),
        ("x = (1,", False),
        ("x = (1,\n 2)", True),
        ("what is a tensor?", True),
        ("x = = 1", True),
        ('s = """abc', False),
    ],
)
def test_input_complete(text: str, done: bool) -> None:
    assert input_complete(text) is done


def test_next_indent() -> None:
    assert next_indent("for i in range(3):") == "    "
    assert next_indent("for i in range(3):\n    if i:") == "        "
    assert next_indent("def f():\n    return 1") == ""
    assert next_indent("for i in x:\n    if i:\n        break") == "    "
    assert next_indent("if x > 0:  # positive") == "    "
    assert next_indent('s = "#:"') == ""


@pytest.mark.parametrize(
    ("text", "moved"),
    [
        ("if x > 0:\n    y = x\n    else:", "if x > 0:\n    y = x\nelse:"),
        ("try:\n    f()\n    except ValueError as e:", "try:\n    f()\nexcept ValueError as e:"),
        (
            "if a:\n    if b:\n        y = 1\n        elif c:",
            "if a:\n    if b:\n        y = 1\n    elif c:",
        ),
        ("if a:\n    if b:\n        y = 1\n    else:", None),  # dedented by hand: stays
        ("else:", None),
        ("if a:\n    y = 1\n    else:  # negative", "if a:\n    y = 1\nelse:  # negative"),
        ("if a:\n    y = 1\n    x = else_value", None),
    ],
)
def test_dedent_clause(text: str, moved: str | None) -> None:
    assert dedent_clause(text) == (moved or text)


def test_block_reader_without_a_terminal() -> None:
    reader = BlockReader()
    got: list[str] = []
    for line in [
        "x = 1",
        "for i in range(2):",
        "    print(i)",
        "/quit",
        "if x:",
        "    y = 1",
        "else:",
        "    y = 2",
        "",
    ]:
        got += reader.feed(line)
    assert got == [
        "x = 1",
        "for i in range(2):\n    print(i)",
        "/quit",
        "if x:\n    y = 1\nelse:\n    y = 2",
    ]


def test_plain_ui_reads_blocks_and_echoes() -> None:
    out = io.StringIO()
    ui = PlainUI(Console(file=out, width=60), io.StringIO("def f():\n    return 2\n\nf()\n"))
    assert ui.read() == "def f():\n    return 2"
    assert ui.read() == "f()"
    assert ui.read() is None
    assert ">>> def f():\n...     return 2\n" in out.getvalue()


class FakeSandbox:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def call(self, op: str, **kwargs: Any) -> Any:
        assert op == "complete"
        self.asked.append(kwargs["text"])
        names = ["torch.zero_", "torch.zeros", "torch.zeros_like"]
        return [n for n in names if n.startswith(kwargs["text"])]


def _completions(text: str, sandbox: Any = None) -> list[str]:
    completer = SandboxCompleter(sandbox or FakeSandbox(), ["/hint", "/help", "/quit"])
    doc = Document(text, len(text))
    return [
        doc.text[: len(text) + c.start_position] + c.text
        for c in completer.get_completions(doc, CompleteEvent(completion_requested=True))
    ]


def test_completer_asks_the_worker_and_hides_in_place_twins() -> None:
    sandbox = FakeSandbox()
    assert _completions("y = torch.zer", sandbox) == ["y = torch.zeros", "y = torch.zeros_like"]
    assert sandbox.asked == ["torch.zer"]
    assert _completions("torch.zero_") == ["torch.zero_"]


def test_completer_completes_commands() -> None:
    assert _completions("/h") == ["/help", "/hint"]


def test_completer_survives_a_failing_sandbox() -> None:
    class Broken:
        def call(self, op: str, **kwargs: Any) -> Any:
            raise RuntimeError("busy")

    assert _completions("torch.ze", Broken()) == []


Ready = Callable[[PromptUI, list[str | None]], bool]


def _drive(
    keys: str, sandbox: Any = None, then: tuple[str, Ready] | None = None
) -> list[str | None]:
    """Type ``keys`` into a real PromptSession, and ``then``'s keys once its condition holds
    (no fixed pause, which a loaded machine outlasts); collect the inputs read."""
    got: list[str | None] = []
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        ui = PromptUI(
            Console(file=io.StringIO(), color_system=None),
            sandbox or FakeSandbox(),
            None,
            input=inp,
            output=DummyOutput(),
        )
        inp.send_text(keys)
        if then:
            threading.Thread(target=_send_when, args=(inp, ui, got, *then)).start()
        while True:
            text = ui.read()
            got.append(text)
            if text is None:
                break
    return got


def _send_when(inp: Any, ui: PromptUI, got: list[str | None], keys: str, ready: Ready) -> None:
    deadline = time.monotonic() + 60  # a cap only: the test then fails on what it got
    while not ready(ui, got) and time.monotonic() < deadline:
        time.sleep(0.005)
    inp.send_text(keys)


def _completed(typed: str) -> Ready:
    """Ready once the completion (on another thread) has added to ``typed``."""

    def ready(ui: PromptUI, _got: list[str | None]) -> bool:
        text = ui.session.default_buffer.text
        return text.startswith(typed) and len(text) > len(typed)

    return ready


def _first_read(_ui: PromptUI, got: list[str | None]) -> bool:
    return len(got) >= 1


def test_enter_runs_complete_code_and_continues_blocks() -> None:
    got = _drive("x = 1\rfor i in range(2):\rprint(i)\r\r\x04")
    assert got == ["x = 1", "for i in range(2):\n    print(i)\n    ", None]


def test_else_typed_after_a_body_moves_out_to_its_if() -> None:
    got = _drive("if x > 0:\ry = x\relse:\ry = -x\r\r\x04")
    assert got[0] is not None and got[0].rstrip() == "if x > 0:\n    y = x\nelse:\n    y = -x"
    compile(got[0], "<input>", "exec")


def test_backspace_in_the_indentation_takes_a_whole_level() -> None:
    # Enter indents to 8 inside the inner block; one Backspace closes it, as in an editor.
    got = _drive("for i in range(2):\rif i:\rprint(i)\r\x7fprint(-i)\r\r\x04")
    assert got[0] is not None
    assert got[0].rstrip() == "for i in range(2):\n    if i:\n        print(i)\n    print(-i)"


def test_ctrl_c_clears_the_line_and_ctrl_d_leaves() -> None:
    assert _drive("abc\x03/quit\r\x04") == ["/quit", None]


class SlowSandbox(FakeSandbox):
    """A worker that answers a completion late, as a loaded machine does."""

    def call(self, op: str, **kwargs: Any) -> Any:
        time.sleep(1.0)
        return super().call(op, **kwargs)


@pytest.mark.parametrize("sandbox", [FakeSandbox, SlowSandbox])
def test_tab_completes_from_the_worker(sandbox: type[FakeSandbox]) -> None:
    """Enter waits for the completion however late it comes (a third loaded suite run saw
    a fixed half-second pause outlasted)."""
    typed = "a = torch.zer"
    got = _drive(typed + "\t", sandbox(), then=("\r\r\x04", _completed(typed)))
    assert got[0] == "a = torch.zeros"


def test_history_on_a_full_disk_keeps_the_line_in_memory(tiny_fs: Any) -> None:
    from fsfaults import fill

    from tutor.session.prompt import history_for

    history = history_for(tiny_fs / "history")
    fill(tiny_fs)
    history.append_string("x = torch.zeros(2, 3)\n" * 2000)  # more than any page left
    assert history.get_strings()[-1].startswith("x = torch.zeros")


def test_unreadable_history_starts_empty(tmp_path: Any) -> None:
    from tutor.session.prompt import history_for

    (tmp_path / "history").mkdir()  # a folder where the file should be
    history = history_for(tmp_path / "history")
    assert list(history.load_history_strings()) == []
    history.append_string("print(1)")
    assert history.get_strings() == ["print(1)"]


# -- Python as Python reads it (blank lines, comments, recalled blocks) ---------------------


@pytest.mark.parametrize(
    "text, done",
    [
        ("x = [1,\n", False),  # a blank line inside brackets is part of the input
        ('"""Train a model.\n', False),  # ... and inside a triple-quoted string
        ('"""Train a model.\n\nMore words.\n', False),
        ('"""Train a model.\n\nMore words."""', True),
        ("def f():\n    '''Fit.\n\n    Args:\n", False),
        ("x = [1,\n\n2]", True),
        ("for i in x:\n    pass\n", True),  # a blank line still ends a block
        ("if x:\n", True),  # ... and an empty one shows Python's IndentationError
        ("x = 'abc\n", True),  # an unclosed one-line string is an error, as in Python
    ],
)
def test_blank_lines_end_input_only_outside_brackets_and_strings(text: str, done: bool) -> None:
    assert input_complete(text) is done


def test_comments_keep_the_blocks_indentation() -> None:
    assert next_indent("for i in range(3):\n    # square it") == "    "
    assert next_indent("for i in x:\n    y = i  # don't stop:") == "    "
    assert next_indent("x = 1  # it's a list:") == ""
    assert next_indent("def f():\n    '''Fit.\n\n    Args:") == "    "  # inside a docstring


def test_typed_docstring_and_bracket_with_blank_lines_are_one_input() -> None:
    got = _drive('"""Train a model.\r\rMore words."""\rx = [1,\r\r2]\r\x04')
    assert got == ['"""Train a model.\n\nMore words."""', "x = [1,\n\n2]", None]


def test_typed_function_with_a_multi_paragraph_docstring_compiles() -> None:
    got = _drive('def fit(n):\r"""Fit.\r\rArgs:\rn: epochs.\r"""\rreturn n\r\r\x04')
    assert got[0] is not None and got[1] is None
    compile(got[0], "<input>", "exec")
    lines = "\n".join(line.rstrip() for line in got[0].split("\n"))
    assert '    """Fit.\n\n    Args:\n    n: epochs.\n    """\n    return n' in lines


def test_a_comment_in_a_block_keeps_its_indentation_when_typed() -> None:
    got = _drive("for i in range(2):\r# square it\rprint(i * i)\r\r\x04")
    assert got[0] is not None
    assert got[0].rstrip() == "for i in range(2):\n    # square it\n    print(i * i)"
    got = _drive("for i in range(2):\ry = i  # don't stop:\rprint(y)\r\r\x04")
    assert got[0] is not None
    assert got[0].rstrip() == "for i in range(2):\n    y = i  # don't stop:\n    print(y)"


UP, LEFT, END, ALT_ENTER = "\x1b[A", "\x1b[D", "\x05", "\x1b\r"


def test_enter_inside_a_recalled_block_adds_a_line_and_alt_enter_runs_it() -> None:
    # As IPython and ptpython: Enter on an earlier line of the block adds a line there;
    # Alt-Enter (Esc, Enter) runs the whole block from wherever the cursor is.
    first = "with torch.no_grad:\rpred = 1\r\r"
    edit = UP + UP + UP + END + LEFT + "()"  # recall it, go to its first line, add ()
    got = _drive(first, then=(edit + ALT_ENTER + "\x04", _first_read))
    assert got[1] is not None and got[1].startswith("with torch.no_grad():\n    pred = 1")
    got = _drive(first, then=(edit + "\r" + ALT_ENTER + "\x04", _first_read))
    assert got[1] is not None and got[1].startswith("with torch.no_grad()\n")  # split, as IPython


def test_enter_runs_a_single_complete_line_from_the_middle() -> None:
    assert _drive("x = torch.ones(2, 3)" + LEFT * 4 + "\r\x04") == ["x = torch.ones(2, 3)", None]


def test_the_hint_says_how_to_run_a_block_being_edited() -> None:
    from tutor.session.prompt import block_hint

    text = "with torch.no_grad():\n    pred = 1\n"
    assert block_hint(Document(text, 5), "en").startswith("Alt-Enter")
    assert block_hint(Document(text, 5), "zh").startswith("Alt-Enter（")
    assert block_hint(Document(text, len(text)), "en") == ""  # on the last line Enter runs
    assert block_hint(Document("x = 1", 2), "en") == ""


def test_plain_reader_keeps_docstrings_and_brackets_whole() -> None:
    reader = BlockReader()
    got: list[str] = []
    source = '"""Train.\n\nMore words,\n\nand more."""\nx = [1,\n\n2]\ndef f():\n'
    source += '    """Fit.\n\n    Returns.\n    """\n    return 1\n\nprint(x)\n'
    for line in source.splitlines():
        got += reader.feed(line)
    assert got == [
        '"""Train.\n\nMore words,\n\nand more."""',
        "x = [1,\n\n2]",
        'def f():\n    """Fit.\n\n    Returns.\n    """\n    return 1',
        "print(x)",
    ]


def test_several_lines_are_never_a_question() -> None:
    from tutor.session.ask import is_question

    assert is_question("what is a tensor")
    assert not is_question('"""Train a model.\n\nThis is about what a tensor is."""')
    assert not is_question("what is a tensor\nx = torch.ones(2)")
    # A pasted block with a Chinese comment and a slip is code: its SyntaxError is shown.
    assert not is_question("# 计算梯度\ny = (x *\nprint(y)")


def test_a_pasted_cell_that_can_never_compile_runs_to_show_its_error() -> None:
    # Open bracket, but Python already sees the mistake: Enter on the blank line submits.
    text = "x = torch.tensor([[1, 2],\n                  [3, 4]]\nprint(x)\n"
    assert input_complete(text)
    got = _drive("\x1b[200~" + text + "\x1b[201~\r\x04")
    assert got == [text, None]
