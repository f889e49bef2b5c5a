#!/usr/bin/env bash
# GPU checks for the sandbox, in one command: the GPU tests, then the benchmark on CUDA.
# Usage: scripts/gpu_check.sh   (from anywhere; uses .venv/bin/python when present)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda build', torch.version.cuda)"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
timeout 300 "$PY" -m pytest tests/sandbox/test_sandbox_gpu.py -v -rs \
    -W ignore::pytest.PytestConfigWarning -p no:cacheprovider
timeout 300 "$PY" benchmarks/bench_sandbox.py --device cuda --quick
