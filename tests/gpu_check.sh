#!/usr/bin/env bash
# GPU checks for issue 9 (and the earlier CUDA tests), in one run of about 5 minutes:
#   bash tests/gpu_check.sh
# Runs the CUDA test files, then the GPU benchmark rows (quick mode) against PyTorch on the same
# GPU. Results go to $OUT (the device tool's output folder) or /tmp/gpu_check.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
export PYTHONPATH="packages/core/src:packages/lightning/src:packages/vision/src:tests:.${PYTHONPATH:+:$PYTHONPATH}"

# ember needs ml_dtypes; the device has no network, so install the wheel carried in the tree.
if ! python3 -c "import ml_dtypes" 2>/dev/null; then
    python3 -m pip install --no-index --no-deps --quiet tests/gpu_wheels/ml_dtypes-*.whl \
        || echo "WARNING: ml_dtypes missing and its wheel did not install"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import cupy, torch, numpy; print('cupy', cupy.__version__, 'torch', torch.__version__, 'numpy', numpy.__version__)"
python3 -c "import ember; print('ember sees CUDA:', ember.cuda.is_available())"

status=0
timeout 150 python3 -m pytest -q -rs --no-header -p no:cacheprovider \
    tests/core/test_cuda_api.py tests/core/test_cuda_kernels.py tests/core/test_autocast.py \
    tests/core/test_grad_scaler.py tests/core/test_cuda.py tests/core/test_cuda_ops.py \
    > "$OUT/gpu_tests.txt" 2>&1 || status=1
tail -40 "$OUT/gpu_tests.txt"

# The core and nn suites on the GPU: the shared test helper runs every parity and gradcheck case
# on each device in EMBER_TEST_DEVICES (compared with PyTorch on the CPU).
EMBER_TEST_DEVICES=cuda timeout 200 python3 -m pytest tests/core -q -rs --no-header \
    -p no:cacheprovider --maxfail=60 -k "parity or gradcheck or device or cuda" \
    --deselect tests/core/test_distributed.py --deselect tests/core/test_ddp.py \
    --deselect tests/core/test_dataloader_workers.py \
    > "$OUT/gpu_core_suite.txt" 2>&1 || status=1
grep -E "^(FAILED|ERROR)" "$OUT/gpu_core_suite.txt" | head -60
tail -3 "$OUT/gpu_core_suite.txt"

# Quick GPU benchmarks (1 warm-up + 3 timed steps), each bounded so that one slow row cannot eat
# the budget; the table goes to stdout, JSON to $OUT.
for spec in gpu_adam_100m:40 gpu_transformer:50 gpu_resnet50_train:70; do
    row="${spec%%:*}"
    timeout "${spec##*:}" python3 benchmarks/run.py --quick --only "$row" \
        --output "$OUT/bench_$row.json" > "$OUT/bench_$row.txt" 2>&1 \
        || echo "bench $row: timed out or failed (see bench_$row.txt)"
    tail -4 "$OUT/bench_$row.txt"
done
exit $status
