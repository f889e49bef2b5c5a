"""GPU behaviour of the sandbox; every test skips on a machine without CUDA.

Run on a GPU machine with scripts/gpu_check.sh.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import STUB, make_sandbox

from tutor.sandbox import Sandbox


@pytest.fixture(scope="module")
def gpu() -> Iterator[Sandbox]:
    sandbox = Sandbox(device="cuda", timeout=30.0, grace=1.0, memory_mb=2048, judge_handler=STUB)
    if not sandbox.gpu_available:
        sandbox.close()
        pytest.skip("no CUDA GPU on this machine")
    yield sandbox
    sandbox.close()


def test_zygote_never_initialised_cuda(gpu: Sandbox) -> None:
    info = gpu.zygote_info()
    assert info["problems"] == []
    assert info["gpu_name"]
    assert gpu.device_info()["cuda_available"] is True


def test_tensors_default_to_the_gpu_and_device_is_bound(gpu: Sandbox) -> None:
    result = gpu.run("x = torch.ones(3)\nprint(x.device, device)")
    assert result.outcome == "ok", result
    assert result.output == "cuda:0 cuda\n"


def test_item_on_a_gpu_tensor(gpu: Sandbox) -> None:
    result = gpu.run("print(torch.arange(4.0).sum().item())")
    assert result.output == "6.0\n"


def test_cuda_out_of_memory_is_a_memory_outcome_and_the_worker_lives(gpu: Sandbox) -> None:
    gpu.run("kept = torch.ones(2)")
    result = gpu.run("big = torch.empty(8 * 1024**3, dtype=torch.uint8)")
    assert result.outcome == "memory", result
    assert "memory" in result.error.message.lower()
    assert not result.restarted
    again = gpu.run("print(kept.sum().item())")
    assert again.output == "2.0\n"


def test_huge_cuda_request_is_a_memory_outcome(gpu: Sandbox) -> None:
    result = gpu.run("big = torch.empty(10**14, dtype=torch.uint8)")
    assert result.outcome == "memory", result
    assert gpu.run("print(torch.ones(2).sum().item())").output == "2.0\n"


def test_crash_recovery_on_the_gpu(gpu: Sandbox) -> None:
    gpu.run("w = torch.arange(3.0)")
    result = gpu.run("import ctypes\nctypes.string_at(0)")
    assert result.outcome == "crashed"
    assert gpu.run("print(w.sum().item(), w.device)").output == "3.0 cuda:0\n"


def test_reference_and_snapshot_move_values_to_the_cpu(gpu: Sandbox) -> None:
    gpu.new_namespace("", 0)
    gpu.run("y = torch.arange(6.0).reshape(2, 3)")
    learner = gpu.snapshot(["y"])
    ref = gpu.reference("", "y = torch.arange(6.0).reshape(2, 3)", 0, ["y"])
    assert ref.outcome == "ok"
    answer = gpu.judge({"learner": learner, "reference": ref.snapshot_dir, "name": "y"})
    assert answer["passed"] is True


def test_cpu_only_sandbox_on_a_gpu_machine() -> None:
    sb = make_sandbox(device="cpu")
    try:
        assert sb.run("print(torch.ones(1).device)").output == "cpu\n"
    finally:
        sb.close()
