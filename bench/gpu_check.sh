#!/usr/bin/env bash
# The GPU check: on a CUDA machine with torch and triton already installed and no network,
# install tritonact without downloading anything, run the whole test suite on CUDA (tests/gpu/
# included), the audit, `python -m tritonact verify` and the quick benchmark suite, and write
# everything to $OUT (default ./gpu-check): environment.txt, tests.log, audit.log, verify.log,
# compile-warmup.log, bench.log and bench/ (results.csv, summary.md, plots.tar).
#
# Time plan (README: GPU check), 465 s of command time in all, on one H100/H200:
#   install                    ~10 s (estimate: pip --no-index of a local checkout)
#   tests on CUDA              timeout 190 s; meanwhile, on idle CPU cores (16 there):
#     audit (CPU only)         timeout 150 s, 4 jobs
#     torch.compile warm-up    the quick suite's compile builds, ordered as the run will time
#                              them, filling Inductor's on-disk caches (stopped before the bench)
#   verify on CUDA             timeout 75 s
#   bench --quick              what is left of 465 s (at least 90 s); it starts a step only when
#                              its estimate fits --budget (45 s short of its timeout, so that the
#                              CSV, summary and plots are written), phases in this order:
#                              headline (every provider on each op's goal shape), host overhead,
#                              bandwidth sizes, latency sizes, torch.compile at latency sizes.
# Liger-Kernel (pure Python) is benchmarked when its wheel sits in bench/wheels/ (git-ignored),
# with `packaging`, which its utils import but its wheel does not require:
# `pip download --no-deps -d bench/wheels liger-kernel packaging` on a machine with network.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu-check}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
unset TRITON_INTERPRET

{
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  date -u +"date: %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import torch, triton; print('torch', torch.__version__, 'cuda', torch.version.cuda, '| triton', triton.__version__)"
} | tee "$OUT/environment.txt"
log="$OUT/environment.txt"

# Install without the network: pip with no index and no build isolation; failing that, lay the
# package out by hand in a site folder (kernels/ and autograd/ go inside tritonact/).
if ! python3 -m pip install --no-index --no-deps --no-build-isolation -q -e . >>"$log" 2>&1; then
  site=$(mktemp -d)
  cp -r tritonact "$site/tritonact"
  cp -r kernels "$site/tritonact/kernels"
  cp -r autograd "$site/tritonact/autograd"
  cp -r bench "$site/tritonact/bench"
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
  echo "pip install failed; using $site" | tee -a "$log"
fi
# Optional benchmark dependencies, from local wheels only; the suite says what is missing.
if compgen -G "bench/wheels/*.whl" >/dev/null; then
  python3 -m pip install --no-index --no-deps -q bench/wheels/*.whl >>"$log" 2>&1 \
    || echo "bench/wheels: install failed" | tee -a "$log"
fi
# Imported, not looked up: an installed package can still fail to import.
python3 - <<'PY' 2>&1 | tee -a "$log"
import importlib
for name in ("liger_kernel.ops", "matplotlib", "tqdm", "pytest_benchmark"):
    try:
        importlib.import_module(name)
        print(f"{name}: importable")
    except Exception as error:
        print(f"{name}: not importable ({type(error).__name__}: {error})")
PY

status=0
# In the tests' shadow: the audit (CPU only) and the torch.compile warm-up. Neither times
# anything, and the warm-up is stopped before the benchmark starts.
timeout 150 python3 -m tritonact audit --arch 90 --summary --jobs 4 >"$OUT/audit.log" 2>&1 &
audit_pid=$!
TORCHINDUCTOR_COMPILE_THREADS=4 timeout 300 python3 -m tritonact bench --quick --warm-compile \
  >"$OUT/compile-warmup.log" 2>&1 &
warmup_pid=$!

workers=$(python3 -c "import pytest, xdist" 2>/dev/null && echo "-n 8" || echo "")
# The audit gate belongs to CPU CI (triton 3.8); here the audit runs with this machine's triton
# and is logged as it is (with triton 3.6 one kernel sits 3 registers over the ceiling).
timeout 190 python3 -m pytest tests $workers -q -rs -p no:cacheprovider \
  --deselect tests/test_audit.py::test_every_kernel_passes_the_sm90_gate 2>&1 | tee "$OUT/tests.log" || status=1
timeout 75 python3 -m tritonact verify 2>&1 | tee "$OUT/verify.log" || status=1

kill "$warmup_pid" 2>/dev/null
wait "$warmup_pid" 2>/dev/null
wait "$audit_pid" 2>/dev/null
echo "compile warm-up: $(grep -c ': built in' "$OUT/compile-warmup.log") builds" | tee -a "$log"

# The quick benchmark suite, in whatever time is left.
bench_s=$(( 465 - SECONDS )); (( bench_s < 90 )) && bench_s=90
echo "bench: ${bench_s} s left, steps started while they fit $(( bench_s - 45 )) s" | tee "$OUT/bench.log"
timeout "$bench_s" python3 -m tritonact bench --quick --out "$OUT/bench" \
  --budget $(( bench_s - 45 )) 2>&1 | tee -a "$OUT/bench.log" || status=1
if compgen -G "$OUT/bench/*.png" >/dev/null; then
  (cd "$OUT/bench" && tar -cf plots.tar ./*.png && rm -f ./*.png)
fi
echo "gpu check exit status: $status (${SECONDS} s)" | tee -a "$OUT/environment.txt"
exit $status
