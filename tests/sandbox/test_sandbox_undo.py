"""``Sandbox.undo``: the namespace as it was before the last recorded run (``/undo``)."""

from __future__ import annotations

from pathlib import Path

from sandbox_helpers import make_sandbox

from tutor.sandbox import Sandbox


def _value(sb: Sandbox, expr: str) -> str:
    return sb.run(f"print({expr})", record=False).output.strip()


def test_undo_takes_back_an_in_place_change(sb: Sandbox) -> None:
    sb.new_namespace("a = torch.tensor([1.0, 2.0, 3.0])")
    sb.run("a.add_(10)")
    assert _value(sb, "a.tolist()") == "[11.0, 12.0, 13.0]"
    undone = sb.undo()
    assert undone is not None
    result, ran_clean = undone
    assert result.ok and ran_clean
    assert _value(sb, "a.tolist()") == "[1.0, 2.0, 3.0]"


def test_an_input_that_failed_half_way_is_undone_too(sb: Sandbox) -> None:
    """It never joined the replay history, yet it changed ``a`` before it failed."""
    sb.new_namespace("a = torch.tensor([1.0, 2.0])")
    sb.run("b = a * 2")
    failed = sb.run("a.mul_(5); undefined_name")
    assert failed.outcome == "error"
    assert _value(sb, "a.tolist()") == "[5.0, 10.0]"
    undone = sb.undo()
    assert undone is not None and undone[1] is False  # it had not run cleanly
    assert _value(sb, "a.tolist(), b.tolist()") == "[1.0, 2.0] [2.0, 4.0]"


def test_random_draws_before_the_undone_input_come_back_the_same(sb: Sandbox) -> None:
    """Each input is replayed with its seed, so a draw before the undone one is unchanged."""
    sb.new_namespace("pass", seed=0)
    sb.run("r = torch.rand(3)", seed=7)
    before = _value(sb, "r.tolist()")
    sb.run("r.mul_(0)", seed=7)
    assert sb.undo() is not None
    assert _value(sb, "r.tolist()") == before


def test_undo_again_goes_one_further_and_stops_at_the_set_up(sb: Sandbox) -> None:
    sb.new_namespace("n = 0")
    for _ in range(3):
        sb.run("n += 1")
    assert sb.undo() is not None and sb.undo() is not None
    assert _value(sb, "n") == "1"
    assert sb.undo() is not None
    assert _value(sb, "n") == "0"
    assert sb.undo() is None  # the set-up is not undone
    assert _value(sb, "n") == "0"


def test_a_new_namespace_forgets_what_could_be_undone(sb: Sandbox) -> None:
    sb.new_namespace("n = 0")
    sb.run("n = 5")
    sb.new_namespace("n = 1")
    assert sb.undo() is None
    assert _value(sb, "n") == "1"


def test_a_replay_that_fails_now_stops_there(tmp_path: Path) -> None:
    """An earlier input that read a file since removed: the namespace keeps what ran before
    it, and the result says what failed."""
    path = tmp_path / "data.txt"
    path.write_text("7")
    sb = make_sandbox(read=[tmp_path])
    try:
        _replay_fails(sb, path)
    finally:
        sb.close()


def _replay_fails(sb: Sandbox, path: Path) -> None:
    sb.new_namespace("n = 0")
    sb.run("k = 1")
    sb.run(f"n = int(open({str(path)!r}).read())")
    sb.run("n += 1")
    path.unlink()
    undone = sb.undo()
    assert undone is not None
    result, _ = undone
    assert result.outcome == "error"
    assert _value(sb, "n, k") == "0 1"
