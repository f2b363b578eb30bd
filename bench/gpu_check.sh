#!/usr/bin/env bash
# The GPU check: on a CUDA machine with torch and triton already installed and no network,
# install tritonact without downloading anything, run the whole test suite on CUDA (tests/gpu/
# included), `python -m tritonact verify` and the quick benchmark suite, and write everything to
# $OUT (default ./gpu-check): environment.txt, tests.log, audit.log, verify.log, bench.log and
# bench/ (results.csv, summary.md, plots.tar): eight files, what the device tool brings back.
# Budget: 8 minutes all told on one H100/H200. Timeouts: tests 190 s, audit 40 s, verify 75 s;
# the benchmark gets what is left of 465 s (at least 90 s) and stops starting cases 45 s before
# its end, so that host overhead, the CSV, the summary and the plots are still written.
# Liger-Kernel (pure Python) is benchmarked when its wheel sits in bench/wheels/ (git-ignored:
# `pip download --no-deps -d bench/wheels liger-kernel` on a machine with network, and carry it).
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
python3 - <<'PY' 2>&1 | tee -a "$log"
import importlib.util as u
for name in ("liger_kernel", "matplotlib", "tqdm", "pytest_benchmark"):
    print(f"{name}: {'present' if u.find_spec(name) else 'missing'}")
PY

status=0
workers=$(python3 -c "import pytest, xdist" 2>/dev/null && echo "-n 8" || echo "")
# The audit gate belongs to CPU CI (triton 3.8); here the audit runs with this machine's triton
# and is logged as it is (with triton 3.6 one kernel sits 3 registers over the ceiling).
timeout 190 python3 -m pytest tests $workers -q -rs -p no:cacheprovider \
  --deselect tests/test_audit.py::test_every_kernel_passes_the_sm90_gate 2>&1 | tee "$OUT/tests.log" || status=1
timeout 40 python3 -m tritonact audit --arch 90 --summary 2>&1 | tee "$OUT/audit.log"
timeout 75 python3 -m tritonact verify 2>&1 | tee "$OUT/verify.log" || status=1

# The quick benchmark suite, in whatever time is left.
bench_s=$(( 465 - SECONDS )); (( bench_s < 90 )) && bench_s=90
echo "bench: ${bench_s} s left, cases started for $(( bench_s - 45 )) s" | tee "$OUT/bench.log"
timeout "$bench_s" python3 -m tritonact bench --quick --out "$OUT/bench" \
  --budget $(( bench_s - 45 )) 2>&1 | tee -a "$OUT/bench.log" || status=1
if compgen -G "$OUT/bench/*.png" >/dev/null; then
  (cd "$OUT/bench" && tar -cf plots.tar ./*.png && rm -f ./*.png)
fi
echo "gpu check exit status: $status (${SECONDS} s)" | tee -a "$OUT/environment.txt"
exit $status
